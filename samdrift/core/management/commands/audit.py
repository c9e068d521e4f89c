"""`samdrift audit verify`: recompute the audit hash chain and report the first broken link."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samdrift.core.audit import verify_chain


class Command(BaseCommand):
    help = "Audit trail tools. 'verify' checks the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain BROKEN at event {report.broken_at} after {report.checked} good events: {report.reason}"
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain OK: {report.checked} events verified."))
