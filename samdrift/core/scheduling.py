"""The scheduler process: enqueues periodic tasks for the worker (DESIGN.md: processes).

Core's own periodic tasks are listed here; each capability adds its own from its AppConfig.ready()
with `register_periodic` (core names no capability). When each is next due is kept in the
database (PeriodicState) and decided under a lock (a PostgreSQL advisory lock; on SQLite the
write lock every transaction takes), so that two schedulers started by mistake still enqueue each
periodic task once, and a restarted scheduler goes on where the last one stopped. An `inline`
periodic task (the sweep of abandoned jobs) runs in the scheduler itself, so that it does not wait
behind the queue or need a live worker. A lost database is a pause: the scheduler retries with
backoff and never exits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from samdrift.core.locks import hold_for_transaction
from samdrift.core.models import PeriodicState, ProcessKind
from samdrift.core.processes import TRANSIENT_ERRORS, Backoff, Heartbeat, close_connections

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    task_path: str  # dotted path to a django.tasks Task
    every: timedelta
    inline: bool = False  # run in the scheduler process instead of enqueueing


PERIODIC_TASKS: list[Periodic] = [
    Periodic("core-send-outbox", "samdrift.core.tasks.send_outbox", timedelta(minutes=1)),
    Periodic(
        "core-sweep-jobs",
        "samdrift.core.tasks.sweep_jobs",
        timedelta(seconds=settings.SAMDRIFT_SWEEP_SECONDS),
        inline=True,
    ),
    Periodic("verify-audit-chain", "samdrift.core.tasks.verify_audit_chain", timedelta(hours=24)),
    Periodic("audit-checkpoint", "samdrift.core.tasks.export_audit_checkpoint", timedelta(hours=24)),
]


def register_periodic(*periodic: Periodic) -> None:
    """Add an app's periodic tasks, from its AppConfig.ready() (which may run twice: once each)."""
    for task in periodic:
        if all(p.name != task.name for p in PERIODIC_TASKS):
            PERIODIC_TASKS.append(task)


# Any constant: the key of the advisory lock the schedulers share while they decide what is due.
_LOCK_KEY = 0x5A4D_5343  # "SMSC"


def _lock_schedule() -> None:
    """Serialise the schedulers' decisions for the rest of the transaction. On SQLite the
    transaction already holds the database's write lock (IMMEDIATE mode, and the heartbeat written
    first), which is the same thing."""
    hold_for_transaction(_LOCK_KEY)


class Scheduler:
    def __init__(
        self,
        periodic: list[Periodic],
        clock: Callable[[], datetime] = timezone.now,
        heartbeat: Heartbeat | None = None,
    ) -> None:
        self.periodic = periodic
        self.clock = clock
        self.heartbeat = heartbeat or Heartbeat(ProcessKind.SCHEDULER)

    def tick(self) -> list[str]:
        """Enqueue (or run, if inline) what is due now; return the names of what was."""
        now = self.clock()
        due: list[Periodic] = []
        with transaction.atomic():
            self.heartbeat.beat()
            _lock_schedule()
            states = {s.name: s for s in PeriodicState.objects.select_for_update()}
            for item in self.periodic:
                state = states.get(item.name)
                if state is not None and now < state.next_due:
                    continue
                if not item.inline:
                    task: Any = import_string(item.task_path)
                    task.enqueue()  # the queue row commits with the new due time, or neither does
                PeriodicState.objects.update_or_create(
                    name=item.name,
                    defaults={"next_due": now + item.every, "last_enqueued": now, "last_by": self.heartbeat.name},
                )
                due.append(item)
        for item in due:
            if item.inline:
                runnable: Any = import_string(item.task_path)
                try:
                    runnable.call() if hasattr(runnable, "call") else runnable()
                except TRANSIENT_ERRORS:
                    raise
                except Exception:
                    log.exception("periodic task %s failed", item.name)
            log.info("%s periodic task %s", "ran" if item.inline else "enqueued", item.name)
        return [item.name for item in due]

    def run_forever(self, poll_seconds: float = 30.0) -> None:
        """Tick every `poll_seconds` (at least every heartbeat interval) until stopped; a lost
        database is waited out."""
        backoff = Backoff()
        interval = min(poll_seconds, settings.SAMDRIFT_HEARTBEAT_SECONDS)
        try:
            while True:
                try:
                    self.tick()
                    self.heartbeat.recovered()
                    backoff.reset()
                    time.sleep(interval)
                except TRANSIENT_ERRORS as exc:
                    self.heartbeat.lost(exc)
                    close_connections()
                    time.sleep(backoff.next())
        finally:
            self.heartbeat.stop()
