"""One mechanism for every long piece of work (billing runs, imports, exports): DESIGN.md rule 9.

A job is a row of a model that inherits `samdrift.core.models.Job` and registers its kind here
(from its AppConfig.ready()): which of its states are running and what a running job becomes when
its process died. The task that does the work calls `set_progress` as it goes and holds the
lease with `holding_lease(job)`, which renews it from a thread while the work runs, so a step
that takes minutes does not lose it. The sweep (run by the scheduler every
SAMDRIFT_SWEEP_SECONDS) finds jobs whose lease ran out and task rows whose worker went silent and
marks them, with a Swedish message, so that the work can be started again at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType, Job, ProcessHeartbeat, ProcessKind

log = logging.getLogger(__name__)

EXPIRED_MESSAGE = _(
    "The job stopped without finishing (its process ended or lost the database). Nothing was half done: start it again."
)
WORKER_LOST_MESSAGE = _("The task worker running this task stopped without finishing it.")
QUEUED_LOST_MESSAGE = _(
    "The job was queued, but its task was lost before a worker took it. Nothing was done: start it again."
)


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its model, its running states (each mapped to the state a job whose lease
    ran out is given) and its failed states (shown on the operations page)."""

    key: str
    label: Any
    model: Any  # a subclass of Job with a `status` field
    running: dict[str, str]
    failed: frozenset[str] = field(default_factory=frozenset)
    expired_message: Any = EXPIRED_MESSAGE  # or one per running state: {state: message}
    # The task that runs a job of this kind and the position of the job's id in its arguments,
    # so that the sweep can tell a job still waiting in the queue from one whose task was lost.
    task_path: str = ""
    task_arg: int = 0


JOB_KINDS: dict[str, JobKind] = {}


def register_job_kind(kind: JobKind) -> None:
    """Called from an app's AppConfig.ready(); registering again replaces."""
    JOB_KINDS[kind.key] = kind


def kind_of(job: Job) -> JobKind | None:
    return next((k for k in JOB_KINDS.values() if isinstance(job, k.model)), None)


def lease_length() -> timedelta:
    return timedelta(seconds=settings.SAMDRIFT_JOB_LEASE_SECONDS)


def set_progress(job: Job, progress: int, message: Any = "", **fields: Any) -> None:
    """Write the job's progress and message (and any other fields) and renew its lease.

    Written with an UPDATE so that, outside a transaction, it commits at once and the page
    polling the job sees it. A job that leaves its running states gives up its lease.
    """
    now = timezone.now()
    job.progress, job.message = max(0, min(100, int(progress))), str(message)[:500]
    for name, value in fields.items():
        setattr(job, name, value)
    kind = kind_of(job)
    running = kind is None or getattr(job, "status", None) in kind.running
    job.heartbeat_at = now
    job.lease_expires = now + lease_length() if running else None
    manager: Any = type(job)._default_manager
    manager.filter(pk=job.pk).update(
        progress=job.progress,
        message=job.message,
        heartbeat_at=job.heartbeat_at,
        lease_expires=job.lease_expires,
        **fields,
    )


def renew_lease(model: Any, pk: Any, **fields: Any) -> bool:
    """Extend the lease of a job that is still running; False when it no longer is."""
    kind = next((k for k in JOB_KINDS.values() if k.model is model), None)
    now = timezone.now()
    qs: Any = model._default_manager.filter(pk=pk)
    if kind is not None:
        qs = qs.filter(status__in=list(kind.running))
    return bool(qs.update(heartbeat_at=now, lease_expires=now + lease_length(), **fields))


@contextmanager
def holding_lease(job: Job) -> Iterator[None]:
    """Renew the job's lease from a thread every third of its length while the block runs.

    Inside a transaction (the synchronous path, or a test) no lease is needed: if the process
    dies, the transaction rolls back and nothing is left running.
    """
    if connection.in_atomic_block:
        yield
        return
    model: Any = type(job)
    pk = job.pk
    renew_lease(model, pk, expired_at=None)  # started again: no longer the abandoned one
    stop = threading.Event()

    def beat() -> None:
        interval = max(0.2, settings.SAMDRIFT_JOB_LEASE_SECONDS / 3)
        try:
            while not stop.wait(interval):
                try:
                    renew_lease(model, pk)
                except Exception as exc:  # the database is away: the sweep decides later
                    log.warning("could not renew the lease of %s %s: %s", model.__name__, pk, exc)
                    close_old_connections()
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"lease-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def progress_context(job: Job, *, poll_url: str = "", after: str = "") -> dict[str, Any]:
    """The context of core/_job_progress.html, the one progress fragment of every kind of job."""
    return {"job": job, "poll_url": poll_url or job.get_absolute_url(), "after": after}  # type: ignore[attr-defined]


def _database_queue() -> bool:
    backend = str(settings.TASKS.get("default", {}).get("BACKEND", ""))
    return backend.startswith("django_tasks_db")


def _task_waiting(kind: JobKind, pk: Any, *, taken: bool) -> bool:
    """Is a task that will run this job still waiting in the queue? Known only with the database
    queue: with the kind's task, a waiting task with the job's id; without it, for a job no
    worker has taken yet (`taken` False), any waiting task (the queue is busy, not lost)."""
    if not _database_queue():
        return False
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(status="READY")
    if kind.task_path:
        for args_kwargs in waiting.filter(task_path=kind.task_path).values_list("args_kwargs", flat=True)[:2000]:
            args = (args_kwargs or {}).get("args") or []
            if len(args) > kind.task_arg and str(args[kind.task_arg]) == str(pk):
                return True
        return False
    return not taken and waiting.exists()


def _expire(kind: JobKind, pk: Any, status: str, now: datetime) -> bool:
    with transaction.atomic():
        job = (
            # A row locked by another transaction belongs to a process that is alive: skip it.
            kind.model._default_manager.select_for_update(skip_locked=True)
            .filter(pk=pk, status=status, lease_expires__lt=now)
            .first()
        )
        if job is None:
            return False  # renewed or finished meanwhile
        taken = job.heartbeat_at is not None
        if _task_waiting(kind, pk, taken=taken):
            # Queued behind other work: its lease starts again when a worker takes it.
            type(job)._default_manager.filter(pk=pk).update(lease_expires=now + lease_length())
            return False
        after = kind.running[status]
        message = kind.expired_message
        if isinstance(message, dict):
            message = message.get(status, EXPIRED_MESSAGE)
        if not taken:
            message = QUEUED_LOST_MESSAGE
        fields = {
            "status": after,
            "message": str(message)[:500],
            "lease_expires": None,
            "expired_at": now,
        }
        if any(f.name == "finished" for f in kind.model._meta.get_fields()):
            fields["finished"] = now
        for name, value in fields.items():
            setattr(job, name, value)
        job.save(update_fields=list(fields))
        record_event(
            None,
            "system",
            AuditEventType.UPDATED,
            job,
            changes={"status": [status, after]},
            extra={"action": "job_lease_expired", "job": kind.key},
        )
    log.warning("%s %s: lease expired in state %s, now %s", kind.key, pk, status, after)
    return True


def sweep_expired_jobs(now: datetime | None = None) -> list[tuple[str, Any]]:
    """Mark every job whose lease ran out; returns (kind, id) of each one marked."""
    now = now or timezone.now()
    marked = []
    for kind in JOB_KINDS.values():
        # A running job without a lease was queued by code that set none: its lease starts now,
        # so that a job whose task is lost before any worker takes it is found as well.
        kind.model._default_manager.filter(status__in=list(kind.running), lease_expires__isnull=True).update(
            lease_expires=now + lease_length()
        )
        stale = kind.model._default_manager.filter(status__in=list(kind.running), lease_expires__lt=now)
        for pk, status in stale.values_list("pk", "status").order_by("pk")[:500]:
            if _expire(kind, pk, status, now):
                marked.append((kind.key, pk))
    return marked


def live_process_names(kind: str, now: datetime | None = None) -> set[str]:
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.SAMDRIFT_SILENT_SECONDS)
    return set(
        ProcessHeartbeat.objects.filter(kind=kind, last_seen__gte=since, stopped__isnull=True).values_list(
            "name", flat=True
        )
    )


def sweep_orphaned_tasks(now: datetime | None = None) -> list[str]:
    """Fail task rows left running by a worker that is no longer alive (killed, or its machine
    gone): a live worker keeps its heartbeat fresh however long its task takes."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    silent_since = now - timedelta(seconds=settings.SAMDRIFT_SILENT_SECONDS)
    live = live_process_names(ProcessKind.WORKER, now)
    failed = []
    running = DBTaskResult.objects.filter(status="RUNNING", started_at__lt=silent_since)
    for pk, worker_ids in running.values_list("pk", "worker_ids")[:1000]:
        worker = worker_ids[-1] if worker_ids else ""
        if worker in live:
            continue
        changed = DBTaskResult.objects.filter(pk=pk, status="RUNNING").update(
            status="FAILED",
            finished_at=now,
            exception_class_path="samdrift.core.jobs.WorkerLost",
            traceback=f"{WORKER_LOST_MESSAGE} ({worker or '?'})",
        )
        if changed:
            failed.append(str(pk))
            log.warning("task %s: worker %s is gone, marked failed", pk, worker or "?")
    return failed


def sweep() -> dict[str, Any]:
    """The periodic sweep: expired jobs, orphaned task rows, long-stopped heartbeats."""
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):  # the messages stored are read in Swedish first
        jobs = sweep_expired_jobs(now)
        tasks = sweep_orphaned_tasks(now)
    ProcessHeartbeat.objects.filter(last_seen__lt=now - timedelta(days=7)).delete()
    return {"jobs": [f"{key}:{pk}" for key, pk in jobs], "tasks": tasks}


def job_summary(now: datetime | None = None, days: int = 7) -> list[dict[str, Any]]:
    """Per kind of job: how many run now, how many overdue (lease ran out, not yet swept), and the
    failed and abandoned ones of the last days (newest first, a few each; none asked for with
    `days=0`, as /health/ does).

    One statement counts every kind (a UNION ALL of one aggregate per job table); only a kind
    with problems to show reads its rows. The operations page, the administrator's start page and
    every /health/ probe used to run two statements per kind (16 with the eight kinds of today)."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    kinds = list(JOB_KINDS.values())
    if not kinds:
        return []
    members = []
    for index, kind in enumerate(kinds):
        running = models.Q(status__in=list(kind.running))
        wanted: models.Q = running
        problems: Any = models.Value(0)
        if days:
            problem = _problem_filter(kind, since)
            wanted, problems = running | problem, models.Count("pk", filter=problem)
        one = (
            kind.model._default_manager.filter(wanted)
            .order_by()
            .annotate(n=models.Value(index))
            .values("n")
            .annotate(
                running=models.Count("pk", filter=running),
                overdue=models.Count("pk", filter=running & models.Q(lease_expires__lt=now)),
                problems=problems,
            )
            .values_list("n", "running", "overdue", "problems")
        )
        # No ORDER BY inside a UNION member (SQLite refuses one), not even the model's default.
        one.query.clear_ordering(force=True, clear_default=True)
        members.append(one)
    counted = members[0].union(*members[1:], all=True).order_by("n")
    found = {n: (running, overdue, problems) for n, running, overdue, problems in counted}
    rows = []
    for index, kind in enumerate(kinds):
        running, overdue, problems = found.get(index, (0, 0, 0))
        shown = []
        if problems:
            manager = kind.model._default_manager
            shown = list(manager.filter(_problem_filter(kind, since)).order_by("-pk")[:10])
        rows.append({"kind": kind, "running": running, "overdue": overdue, "problems": shown})
    return rows


def _problem_filter(kind: JobKind, since: datetime) -> models.Q:
    """Abandoned since `since` (the sweep marked it), or failed since then (or with no end time)."""
    recent = models.Q(expired_at__gte=since)
    if kind.failed:
        failed = models.Q(status__in=list(kind.failed))
        if any(f.name == "finished" for f in kind.model._meta.get_fields()):
            failed &= models.Q(finished__gte=since) | models.Q(finished__isnull=True)
        recent |= failed
    return recent
