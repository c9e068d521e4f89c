"""`samdrift scheduler`: enqueue periodic tasks for the worker, forever."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from samdrift.core.scheduling import PERIODIC_TASKS, Scheduler


class Command(BaseCommand):
    help = "Enqueue periodic tasks (mailbox polls, checks, warnings) for the task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue what is due now and exit")
        parser.add_argument("--poll", type=float, default=30.0, help="seconds between checks")

    def handle(self, *args: Any, **options: Any) -> None:
        scheduler = Scheduler(PERIODIC_TASKS)
        if options["once"]:
            names = scheduler.tick()
            self.stdout.write("Enqueued: " + (", ".join(names) or "nothing"))
            return
        if options["verbosity"] > 0:
            self.stdout.write(f"Scheduler running: {len(PERIODIC_TASKS)} periodic task(s).")
        try:
            scheduler.run_forever(options["poll"])
        except KeyboardInterrupt:
            pass
