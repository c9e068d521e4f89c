"""The scheduler process: enqueues periodic tasks for the worker (DESIGN.md: processes).

Each capability adds its periodic tasks to PERIODIC_TASKS. The scheduler keeps no state of its
own: on start it enqueues every task once, then each again when its interval has passed. Tasks
must therefore be idempotent, which they are by design (polls, checks, warnings).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    task_path: str  # dotted path to a django.tasks Task
    every: timedelta


PERIODIC_TASKS: list[Periodic] = [
    Periodic("verify-audit-chain", "samdrift.core.tasks.verify_audit_chain", timedelta(hours=24)),
    Periodic("audit-checkpoint", "samdrift.core.tasks.export_audit_checkpoint", timedelta(hours=24)),
    Periodic("assets-retry-inventory", "samdrift.assets.tasks.retry_inventory_uploads", timedelta(minutes=15)),
    Periodic("servicedesk-sla-check", "samdrift.servicedesk.tasks.check_sla_task", timedelta(minutes=5)),
]


class Scheduler:
    def __init__(self, periodic: list[Periodic], clock: Callable[[], float] = time.monotonic) -> None:
        self.periodic = periodic
        self.clock = clock
        self.next_due: dict[str, float] = {}

    def tick(self) -> list[str]:
        """Enqueue what is due now; return the names enqueued."""
        now = self.clock()
        enqueued = []
        for item in self.periodic:
            if now >= self.next_due.get(item.name, 0.0):
                task: Any = import_string(item.task_path)
                task.enqueue()
                self.next_due[item.name] = now + item.every.total_seconds()
                enqueued.append(item.name)
                log.info("enqueued periodic task %s", item.name)
        return enqueued

    def run_forever(self, poll_seconds: float = 30.0) -> None:
        while True:
            self.tick()
            time.sleep(poll_seconds)
