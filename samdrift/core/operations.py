"""What the operations page and /health/ report: the database, the worker and scheduler
heartbeats, the queue, failed tasks and abandoned jobs; plus sections other apps register.

An app adds a section from its AppConfig.ready():

    register_section(Section("outbox", _("Outbox"), "outbox/_operations.html", outbox_context, order=50))

`context(now)` returns a dict (a few aggregate queries, never one per row) that the section's
template sees as `data`; the page shows the sections after its own, by `order`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, models
from django.utils import timezone

from samdrift.core.jobs import job_summary
from samdrift.core.models import ProcessHeartbeat, ProcessKind


@dataclass(frozen=True)
class Section:
    key: str
    title: Any
    template: Any  # a template name (or a compiled template); it sees its context as `data`
    context: Callable[[datetime], dict[str, Any]]
    order: int = 100


SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    """Add (or replace) a section of the operations page."""
    SECTIONS[section.key] = section


def check_database() -> dict[str, Any]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return {"ok": False, "error": str(exc).strip()[:200], "vendor": connection.vendor}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1), "vendor": connection.vendor}


def processes(now: datetime) -> dict[str, Any]:
    """The heartbeat rows by kind, each marked alive, silent or stopped; a kind is up while one
    of its processes is alive."""
    silent_after = timedelta(seconds=settings.SAMDRIFT_SILENT_SECONDS)
    rows = list(ProcessHeartbeat.objects.order_by("kind", "-last_seen")[:200])
    by_kind: dict[str, Any] = {}
    for kind in ProcessKind:
        mine = [r for r in rows if r.kind == kind]
        for row in mine:
            row.age = (now - row.last_seen).total_seconds()  # type: ignore[attr-defined]
            row.state = (  # type: ignore[attr-defined]
                "stopped" if row.stopped else ("alive" if now - row.last_seen <= silent_after else "silent")
            )
        alive = [r for r in mine if r.state == "alive"]  # type: ignore[attr-defined]
        newest = max((r.last_seen for r in mine), default=None)
        by_kind[kind.value] = {
            "label": kind.label,
            "ok": bool(alive),
            "alive": len(alive),
            "last_seen": newest,
            "silent_for": round((now - newest).total_seconds()) if newest else None,
            "rows": mine,
        }
    return by_kind


def queue(now: datetime) -> dict[str, Any]:
    """The task queue (django-tasks-db): what waits, the oldest waiting, what runs, recent failures."""
    from django_tasks_db.models import DBTaskResult

    day_ago = now - timedelta(days=1)
    counts = DBTaskResult.objects.aggregate(
        ready=models.Count("pk", filter=models.Q(status="READY")),
        running=models.Count("pk", filter=models.Q(status="RUNNING")),
        failed_day=models.Count("pk", filter=models.Q(status="FAILED", finished_at__gte=day_ago)),
        lost_day=models.Count(
            "pk",
            filter=models.Q(
                status="FAILED", finished_at__gte=day_ago, exception_class_path="samdrift.core.jobs.WorkerLost"
            ),
        ),
    )
    oldest: Any = (
        DBTaskResult.objects.filter(status="READY", run_after__lte=now)
        .order_by("enqueued_at")
        .values("task_path", "enqueued_at")
        .first()
    )
    if oldest:
        oldest["waiting"] = round((now - oldest["enqueued_at"]).total_seconds())
    failed = list(
        DBTaskResult.objects.filter(status="FAILED", finished_at__gte=day_ago)
        .order_by("-finished_at")
        .values("id", "task_path", "finished_at", "exception_class_path", "worker_ids")[:10]
    )
    return {**counts, "oldest": oldest, "failed": failed}


def snapshot(now: datetime | None = None) -> dict[str, Any]:
    """Everything the operations page shows, from a fixed number of queries."""
    now = now or timezone.now()
    database = check_database()
    if not database["ok"]:
        return {"now": now, "database": database, "ok": False}
    procs = processes(now)
    jobs = job_summary(now)
    return {
        "now": now,
        "database": database,
        "processes": procs,
        "queue": queue(now),
        "jobs": jobs,
        "overdue_jobs": sum(row["overdue"] for row in jobs),
        "ok": procs["worker"]["ok"] and procs["scheduler"]["ok"],
    }


def health(now: datetime | None = None) -> tuple[bool, dict[str, Any]]:
    """The load balancer's answer: healthy while the database answers and a worker and the
    scheduler have been heard from within SAMDRIFT_SILENT_SECONDS."""
    now = now or timezone.now()
    database = check_database()
    body: dict[str, Any] = {"database": "ok" if database["ok"] else "unavailable"}
    if not database["ok"]:
        return False, {"status": "unavailable", **body}
    try:
        procs = processes(now)
        from django_tasks_db.models import DBTaskResult

        oldest = (
            DBTaskResult.objects.filter(status="READY", run_after__lte=now)
            .order_by("enqueued_at")
            .values_list("enqueued_at", flat=True)
            .first()
        )
        overdue = sum(row["overdue"] for row in job_summary(now, days=0))
    except DatabaseError:  # the database went away between the two checks
        return False, {"status": "unavailable", "database": "unavailable"}
    for kind in (ProcessKind.WORKER, ProcessKind.SCHEDULER):
        info = procs[kind.value]
        body[kind.value] = {
            "ok": info["ok"],
            "alive": info["alive"],
            "last_seen": info["last_seen"].isoformat() if info["last_seen"] else None,
            "silent_seconds": info["silent_for"],
        }
    body["oldest_queued_seconds"] = round((now - oldest).total_seconds()) if oldest else 0
    body["overdue_jobs"] = overdue
    healthy = procs["worker"]["ok"] and procs["scheduler"]["ok"]
    body["status"] = "ok" if healthy else "degraded"
    return healthy, body


def sections(now: datetime) -> list[dict[str, Any]]:
    return [{"section": s, **s.context(now)} for s in sorted(SECTIONS.values(), key=lambda s: (s.order, s.key))]
