"""Building blocks for actions (DESIGN.md rule 2): validate, write with update_fields, audit."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import require_role, role_of
from samdrift.core.audit import diff, record_event, record_event_now
from samdrift.core.models import AuditEventType, OutboxStatus, OutgoingMessage
from samdrift.core.roles import Role

M = TypeVar("M", bound=models.Model)


def create_audited(model: type[M], data: dict[str, Any], *, actor: Any, role: str) -> M:
    """Validate and insert one row and record its `created` event. Call inside a transaction."""
    obj = model(**data)
    obj.full_clean()
    obj.save(force_insert=True)
    fields = {name: [None, value] for name, value in data.items()}
    record_event(actor, role, AuditEventType.CREATED, obj, changes=fields)
    return obj


def update_audited(obj: M, data: dict[str, Any], *, actor: Any, role: str, immutable: tuple[str, ...] = ()) -> M:
    """Validate and apply changed fields only, with update_fields, and record an `updated` event."""
    for name in immutable:
        if name in data and getattr(obj, obj._meta.get_field(name).attname) != _pk(data[name]):  # type: ignore[union-attr]
            raise ValidationError({name: "This field cannot be changed after creation."})
    changes = diff(obj, {k: v for k, v in data.items() if k not in immutable})
    if not changes:
        return obj
    obj.full_clean()
    obj.save(update_fields=[obj._meta.get_field(name).attname for name in changes])  # type: ignore[union-attr]
    record_event(actor, role, AuditEventType.UPDATED, obj, changes=changes)
    return obj


def set_active_audited(obj: M, active: bool, *, actor: Any, role: str) -> M:
    if obj.active == active:  # type: ignore[attr-defined]
        return obj
    obj.active = active  # type: ignore[attr-defined]
    obj.save(update_fields=["active"])
    record_event(
        actor,
        role,
        AuditEventType.REACTIVATED if active else AuditEventType.DEACTIVATED,
        obj,
        changes={"active": [not active, active]},
    )
    return obj


def do_record_export(
    actor: Any,
    *,
    object_type: str,
    owner_id: int | None = None,
    object_id: str = "",
    object_repr: str = "",
    extra: dict[str, Any] | None = None,
) -> Any:
    """Record that data left the system (an export, a download, a report file): who, in which of
    their roles, what. Its own short transaction, after the caller has read what it hands out."""
    return record_event_now(
        actor,
        role_of(actor, owner_id),
        AuditEventType.EXPORTED,
        owner_id=owner_id,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        extra=extra,
    )


def _pk(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


@transaction.atomic
def do_retry_outgoing_message(message: OutgoingMessage, *, actor: Any) -> OutgoingMessage:
    """An administrator sends a failed e-mail again (after fixing an address or the mail server);
    its attempts start over and it keeps its Message-ID."""
    from samdrift.core.outbox import kick_on_commit

    role = require_role(actor, owner_id=None, operator_roles={Role.ADMIN})
    message = OutgoingMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != OutboxStatus.FAILED:
        raise ValidationError(_("Only a failed message can be sent again."))
    before = {"status": message.status, "attempts": message.attempts, "next_attempt_at": message.next_attempt_at}
    message.status, message.attempts, message.next_attempt_at = OutboxStatus.QUEUED, 0, timezone.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    record_event(
        actor,
        role,
        AuditEventType.MAIL_RETRIED,
        message,
        changes={name: [value, getattr(message, name)] for name, value in before.items()},
        extra={"error": message.last_error[:500], "to": message.to},
    )
    kick_on_commit()
    return message


@transaction.atomic
def do_start_export(route: str, query: dict[str, list[str]], fmt: str, title: Any, *, actor: Any) -> Any:
    """A large list export as a job (samdrift/core/exports.py): what was asked is kept on the job
    and the task writes the file; the export itself is recorded when the file is made."""
    from samdrift.core.jobs import lease_length
    from samdrift.core.models import ExportJob
    from samdrift.core.tasks import run_export

    if fmt not in {"csv", "xlsx"}:
        raise ValidationError(_("Choose CSV or XLSX."))
    job = ExportJob.objects.create(
        created_by=actor,
        route=route,
        query=query,
        format=fmt,
        title=str(title)[:200],
        lease_expires=timezone.now() + lease_length(),
    )
    record_event(
        actor,
        role_of(actor),
        AuditEventType.CREATED,
        job,
        extra={"action": "start_export", "route": route, "format": fmt, "filters": query},
    )
    transaction.on_commit(lambda: run_export.enqueue(job.pk))
    return job


def do_finish_export(job: Any, content: bytes, rows: int, filename: str, object_type: str) -> None:
    """The task's last step: the file on the job, done, and the export recorded with its maker's
    role (its own short transaction, as for exports written in the request)."""
    from samdrift.core.models import ExportStatus

    job.status, job.content, job.row_count, job.filename = ExportStatus.DONE, content, rows, filename
    job.progress, job.finished, job.lease_expires = 100, timezone.now(), None
    job.save(update_fields=["status", "content", "row_count", "filename", "progress", "finished", "lease_expires"])
    do_record_export(
        job.created_by,
        object_type=object_type,
        extra={"format": job.format, "rows": rows, "filters": job.query, "job": job.pk},
    )
