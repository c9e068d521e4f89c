"""Writing and verifying the audit trail (DESIGN.md rule 3).

Actions call `record_event` inside their transaction. Events form one hash chain; the chain is
extended under a lock (an advisory lock on PostgreSQL; SQLite serialises writers itself).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from samdrift.core.middleware import current_request
from samdrift.core.models import AuditEvent, AuditEventType

GENESIS = "0" * 64
_LOCK_KEY = 730_001  # advisory lock id for the audit chain on PostgreSQL


def _jsonable(value: Any) -> Any:
    """Reduce a value to what JSON (and JSONB) keeps exactly, so the hash survives a round trip."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal | float):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    return str(value)


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps({"prev": prev_hash, **fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    created = event.created.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    return {
        "created": created,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "actor_role": event.actor_role,
        "owner": event.owner_id,
        "event_type": event.event_type,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "extra": event.extra,
        "request_id": event.request_id,
        "ip_address": event.ip_address,
    }


def _lock_chain() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    return last or GENESIS


@dataclass
class PendingEvent:
    event_type: str
    obj: Model | None = None
    owner_id: int | None = None
    changes: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""


def _build(actor: Any, role: str, pending: PendingEvent, now: datetime) -> AuditEvent:
    request = current_request()
    obj = pending.obj
    object_type = pending.object_type or (obj._meta.label_lower if obj is not None else "")
    object_id = pending.object_id or (str(obj.pk) if obj is not None else "")
    object_repr = pending.object_repr or (str(obj)[:200] if obj is not None else "")
    owner_id = pending.owner_id
    if owner_id is None and obj is not None:
        owner_id = getattr(obj, "scope_owner_id", None)
    # Microsecond precision in UTC is what both SQLite and PostgreSQL store exactly.
    return AuditEvent(
        created=now,
        actor_id=getattr(actor, "pk", None),
        actor_label=(getattr(actor, "username", "") or "system")[:150],
        actor_role=role,
        owner_id=owner_id,
        event_type=pending.event_type,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        changes=_jsonable(pending.changes or {}),
        extra=_jsonable(pending.extra or {}),
        request_id=getattr(request, "request_id", "") if request else "",
        ip_address=(request.META.get("REMOTE_ADDR") or None) if request else None,
    )


def record_events(actor: Any, role: str, pending: Iterable[PendingEvent]) -> list[AuditEvent]:
    """Append events to the chain in the caller's transaction (bulk, for imports and demo data)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit events must be written inside the action's transaction")
    now = timezone.now()
    events = [_build(actor, role, p, now) for p in pending]
    if not events:
        return []
    prev = _lock_chain()
    for event in events:
        event.prev_hash = prev
        event.hash = _digest(prev, _hashed_fields(event))
        prev = event.hash
    return AuditEvent.objects.bulk_create(events, batch_size=2000)


def record_event(
    actor: Any,
    role: str,
    event_type: AuditEventType | str,
    obj: Model | None = None,
    *,
    owner_id: int | None = None,
    changes: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one event to the chain in the caller's transaction."""
    (event,) = record_events(
        actor,
        role,
        [
            PendingEvent(
                event_type=str(event_type),
                obj=obj,
                owner_id=owner_id,
                changes=changes,
                extra=extra,
                object_type=object_type,
                object_id=object_id,
                object_repr=object_repr,
            )
        ],
    )
    return event


def record_event_now(actor: Any, role: str, event_type: AuditEventType | str, **kwargs: Any) -> AuditEvent:
    """For events outside any action (logins, exports): their own short transaction."""
    with transaction.atomic():
        return record_event(actor, role, event_type, **kwargs)


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def iter_chain(chunk_size: int = 5000) -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size)


def verify_chain() -> ChainReport:
    """Recompute every hash in order; report the first event whose link is broken."""
    prev = GENESIS
    checked = 0
    for event in iter_chain():
        if event.prev_hash != prev:
            return ChainReport(
                checked,
                event.pk,
                "previous-hash link does not match the event before it (an event was removed or inserted)",
            )
        expected = _digest(prev, _hashed_fields(event))
        if expected != event.hash:
            return ChainReport(checked, event.pk, "content does not match its hash (the event was edited)")
        prev = event.hash
        checked += 1
    return ChainReport(checked)


def diff(obj: Model, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply `data` to `obj` and return {field: [before, after]} for the fields that changed."""
    changes: dict[str, list[Any]] = {}
    for name, new in data.items():
        field = obj._meta.get_field(name)
        attname = field.attname  # type: ignore[union-attr]
        if field.is_relation and isinstance(new, Model):
            new_value: Any = new.pk
            old_value = getattr(obj, attname)
            if old_value != new_value:
                setattr(obj, name, new)
                changes[name] = [old_value, new_value]
            continue
        old_value = getattr(obj, attname)
        if old_value != new:
            setattr(obj, attname, new)
            changes[name] = [_jsonable(old_value), _jsonable(new)]
    return changes
