"""`samdrift audit verify [--head FILE]` and `samdrift audit checkpoint`: check the hash chain (and
that the newest events named by a signed checkpoint are still there); write a checkpoint by hand."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samdrift.core.audit import verify_chain
from samdrift.core.checkpoint import do_export_audit_checkpoint, verify_head


class Command(BaseCommand):
    help = (
        "Audit trail tools. 'verify' checks the hash chain; with --head FILE also that the head named by a "
        "signed checkpoint is still there. 'checkpoint' writes a signed checkpoint of the head now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify", "checkpoint"])
        parser.add_argument(
            "--head", metavar="FILE", help="a checkpoint file written by 'checkpoint' or the daily task"
        )
        parser.add_argument("--dir", metavar="DIR", help="where 'checkpoint' writes (default: the setting)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "checkpoint":
            path = do_export_audit_checkpoint(actor=None, directory=Path(options["dir"]) if options["dir"] else None)
            self.stdout.write(self.style.SUCCESS(f"Audit checkpoint written: {path}"))
            return
        if options["head"]:
            try:
                checkpoint = json.loads(Path(options["head"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read the checkpoint {options['head']}: {exc}") from exc
            head = verify_head(checkpoint)
            if not head.ok:
                raise CommandError(f"Audit trail BROKEN against checkpoint {options['head']}: {head.reason}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Audit chain OK: {head.checked} events verified; the checkpoint's heads "
                    f"({len(checkpoint.get('heads') or {}) or 1} chain(s), newest event {checkpoint['head_id']}) "
                    "are in place."
                )
            )
            return
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain BROKEN at event {report.broken_at} after {report.checked} good events: {report.reason}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain OK: {report.checked} events verified in {report.chains} chain(s).")
        )
