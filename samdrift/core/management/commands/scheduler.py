"""`samdrift scheduler`: enqueue periodic tasks for the worker, forever (a lost database is waited out)."""

import signal
import sys
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
        # SIGTERM (systemd, run_all) ends the loop through its `finally`, which marks the heartbeat stopped.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        if options["verbosity"] > 0:
            self.stdout.write(f"Scheduler {scheduler.heartbeat.name} running: {len(PERIODIC_TASKS)} periodic task(s).")
        try:
            scheduler.run_forever(options["poll"])
        except KeyboardInterrupt:
            pass
