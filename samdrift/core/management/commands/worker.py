"""`samdrift worker`: run queued tasks (django-tasks-db's worker) with a heartbeat, and wait out a
lost database instead of exiting."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from samdrift.core.models import ProcessKind
from samdrift.core.processes import TRANSIENT_ERRORS, Backoff, Heartbeat, close_connections, process_name

log = logging.getLogger("samdrift.core.worker")


class ResilientWorker(Worker):
    """django-tasks-db's worker, whose loop exits on any database error, restarted after each
    one with backoff. A task that was running when the database went away is marked failed once
    it is back (its job's lease runs out and the sweep marks the job)."""

    def __init__(self, *, heartbeat: Heartbeat, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.heartbeat = heartbeat
        self.current_task: Any = None

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.current_task = db_task_result.pk
        super().run_task(db_task_result)
        self.current_task = None

    def run(self) -> None:
        backoff = Backoff()
        while self.running:
            try:
                connection.ensure_connection()
                self._fail_interrupted_task()
                self.heartbeat.recovered()
                backoff.reset()
                super().run()
                return  # batch done, --max-tasks reached, or asked to stop
            except TRANSIENT_ERRORS as exc:
                self.heartbeat.lost(exc)
                close_connections()
                if self.running:  # a stop asked for during the outage ends the worker here
                    time.sleep(backoff.next())

    def _fail_interrupted_task(self) -> None:
        if self.current_task is None:
            return
        DBTaskResult.objects.filter(pk=self.current_task, status="RUNNING").update(
            status="FAILED",
            finished_at=timezone.now(),
            exception_class_path="django.db.utils.OperationalError",
            traceback="The database connection was lost while the task ran.",
        )
        self.current_task = None


class Command(DbWorkerCommand):
    help = "Run queued tasks, with a heartbeat; a lost database connection is waited out, never fatal."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=None, reload=False)

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        if options.get("reload"):
            raise CommandError("samdrift worker does not reload; use db_worker --reload while developing.")
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        name = options["worker_id"] or process_name(ProcessKind.WORKER)
        heartbeat = Heartbeat(ProcessKind.WORKER, name)
        worker = ResilientWorker(
            heartbeat=heartbeat,
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=name,
            excluded_queue_names=excluded,
        )
        stop = heartbeat.run_in_thread()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
            heartbeat.stop()
            close_connections()
