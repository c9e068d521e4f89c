"""`samdrift demo`: load demo data (three owners) or larger synthetic data for benchmarks."""

import resource
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from samdrift.tenancy.demo import DEMO_PASSWORD, demo_logins, is_empty, load_demo

# Each capability's demo data for the three demo owners, in dependency order: a module
# `samdrift.<app>.demo` with `load_app_demo() -> dict[str, int]`. A missing one is skipped.
APP_DEMOS = ("assets", "servicedesk", "ordering", "billing", "records", "circular", "insight")


def load_app_demos() -> list[tuple[str, dict[str, int]]]:
    loaded = []
    for app in APP_DEMOS:
        try:
            loader = import_string(f"samdrift.{app}.demo.load_app_demo")
        except ImportError:
            continue
        loaded.append((app, loader()))
    return loaded


class Command(BaseCommand):
    verbosity = 1
    help = "Load demo data into an empty database. --owners/--people build synthetic data at scale."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing when data exists")
        parser.add_argument("--owners", type=int, default=None, help="number of owners (default: the three)")
        parser.add_argument("--people", type=int, default=None, help="total people (default 4,300 + 3,500)")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        if not is_empty():
            if options["if_empty"]:
                if options["verbosity"] > 0:
                    self.stdout.write("Existing data kept (demo data is loaded only into an empty database).")
                return
            raise CommandError("The database already has owners; demo data is only loaded into an empty one.")
        for name in ("owners", "people"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name} must be at least 1.")
        self.verbosity = options["verbosity"]
        started = time.monotonic()
        counts = load_demo(
            owners=options["owners"], people=options["people"], seed=options["seed"], progress=self._progress()
        )
        # -v 0 (make run) loads quietly: `run_all` prints the logins and nothing else.
        out = self.stdout if self.verbosity > 0 else None
        if out:
            out.write(self.style.SUCCESS("Demo data loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items())))
        if options["owners"] is None and options["people"] is None:
            for app_label, app_counts in load_app_demos():
                if out:
                    out.write(f"  {app_label}: " + ", ".join(f"{v} {k}" for k, v in app_counts.items()))
        if options["people"] is not None:
            peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stdout.write(f"Took {time.monotonic() - started:.0f} s, peak memory {peak_mib:.0f} MiB.")
        if out:
            out.write(f"Logins (password {DEMO_PASSWORD}): " + ", ".join(u for u, _ in demo_logins()))

    def _progress(self) -> Any:
        """Report every 10% of a large load (verbosity 1+); small loads stay quiet."""
        reported = [0]

        def progress(done: int, total: int) -> None:
            if self.verbosity < 1 or total < 100_000:
                return
            tenth = done * 10 // total
            if tenth > reported[0]:
                reported[0] = tenth
                self.stdout.write(f"  {done:,} of {total:,} people written")

        return progress
