"""`samdrift billing_demo`: billing demo data for the demo owners and an open period to run."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samdrift.billing.demo import is_loaded, load_billing_demo


class Command(BaseCommand):
    help = "Load billing demo data (articles, services, usage, pools) and open a period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=2026)
        parser.add_argument("--month", type=int, default=11)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when billing demo data exists")

    def handle(self, *args: Any, **options: Any) -> None:
        if is_loaded():
            if options["if_empty"]:
                self.stdout.write("Billing demo data already loaded.")
                return
            raise CommandError("Billing demo data is already loaded.")
        try:
            counts = load_billing_demo(year=options["year"], month=options["month"])
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS("Billing demo loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        )
