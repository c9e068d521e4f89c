"""Writing and verifying the audit trail (DESIGN.md rule 3).

Actions call `record_event` inside their transaction. Events form hash chains, one per owner and
one for the operator (events of no owner), so that the writes of different owners do not wait on
one lock: a chain is extended under its own lock (an advisory lock keyed by the chain on
PostgreSQL; SQLite serialises writers itself). Events written before the split form one chain of
their own (`chain` ""), verified as written. Each event carries its domain verb (`verb`, declared
by the app in its events.py), taken from `extra["action"]` when the caller names none.
"""

from __future__ import annotations

import functools
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
from samdrift.core.sqlnames import column, table

GENESIS = "0" * 64
_LOCK_KEY = 730_001  # advisory lock class of the audit chains on PostgreSQL; the chain's owner id is the object
OPERATOR_CHAIN = "operator"
LEGACY_CHAIN = ""  # the single chain of the events written before chains were per owner


def chain_of(owner_id: int | None) -> str:
    """The chain an event of this owner continues (the operator's for events of no owner)."""
    return f"owner:{owner_id}" if owner_id is not None else OPERATOR_CHAIN


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
    fields = _base_fields(event, created)
    if event.chain != LEGACY_CHAIN:  # the chain and the verb are sealed too (events before the split had neither)
        fields["chain"] = event.chain
        fields["verb"] = event.verb
    return fields


def _base_fields(event: AuditEvent, created: str) -> dict[str, Any]:
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


@functools.cache
def _newest_sql(vendor: str) -> str:
    """The newest hash of a chain, as SQL written once: the ORM compiled the same query on every write."""
    return (
        f"SELECT {column(AuditEvent, 'hash')} FROM {table(AuditEvent)} "  # noqa: S608 - names from the model
        f"WHERE {column(AuditEvent, 'chain')} = %s ORDER BY {column(AuditEvent, 'id')} DESC LIMIT 1"
    )


def _lock_chain(chain: str) -> str:
    """Take the chain's lock for the rest of the transaction and return its newest hash."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            number = int(chain.split(":", 1)[1]) if chain.startswith("owner:") else 0
            # One round trip, two statements: the lock, then the newest hash. Under READ COMMITTED
            # each statement takes its own snapshot, so the read sees every event committed by the
            # writer that held the lock before us (psycopg's client-side binding, Django's default,
            # sends both as one simple query).
            cursor.execute(
                f"SELECT pg_advisory_xact_lock(%s, %s); {_newest_sql(connection.vendor)}", [_LOCK_KEY, number, chain]
            )
            cursor.nextset()
        else:  # SQLite: the transaction (IMMEDIATE) already holds the only write lock
            cursor.execute(_newest_sql(connection.vendor), [chain])
        row = cursor.fetchone()
    return row[0] if row else GENESIS


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
    verb: str = ""  # the domain verb; extra["action"] when empty


def _build(actor: Any, role: str, pending: PendingEvent, now: datetime) -> AuditEvent:
    request = current_request()
    obj = pending.obj
    object_type = pending.object_type or (obj._meta.label_lower if obj is not None else "")
    object_id = pending.object_id or (str(obj.pk) if obj is not None else "")
    object_repr = pending.object_repr or (str(obj)[:200] if obj is not None else "")
    owner_id = pending.owner_id
    if owner_id is None and obj is not None:
        owner_id = getattr(obj, "scope_owner_id", None)
    extra = _jsonable(pending.extra or {})
    verb = pending.verb or str(extra.get("action", ""))
    # Microsecond precision in UTC is what both SQLite and PostgreSQL store exactly.
    return AuditEvent(
        verb=verb[:40],
        chain=chain_of(owner_id),
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
        extra=extra,
        request_id=getattr(request, "request_id", "") if request else "",
        ip_address=(request.META.get("REMOTE_ADDR") or None) if request else None,
    )


def _chained(actor: Any, role: str, pending: Iterable[PendingEvent]) -> list[AuditEvent]:
    """The events built, their chains locked and each linked to the one before it (not yet saved)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit events must be written inside the action's transaction")
    now = timezone.now()
    events = [_build(actor, role, p, now) for p in pending]
    # Locks in a fixed order (two actions touching the same two owners cannot deadlock).
    heads = {chain: _lock_chain(chain) for chain in sorted({e.chain for e in events})}
    for event in events:
        event.prev_hash = heads[event.chain]
        event.hash = _digest(event.prev_hash, _hashed_fields(event))
        heads[event.chain] = event.hash
    return events


def record_events(actor: Any, role: str, pending: Iterable[PendingEvent]) -> list[AuditEvent]:
    """Append events to the chain in the caller's transaction (bulk, for imports and demo data)."""
    events = _chained(actor, role, pending)
    if len(events) == 1:
        _insert_one(events[0])
        return events
    return AuditEvent.objects.bulk_create(events, batch_size=2000) if events else []


def _insert_one(event: AuditEvent) -> None:
    """The one event of an ordinary action, inserted with SQL written once per process (what
    `bulk_create` would send, without compiling it again on every write)."""
    fields = _insert_fields()
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor), values)
        event.pk = cursor.fetchone()[0] if connection.features.can_return_columns_from_insert else cursor.lastrowid
    event._state.adding = False
    event._state.db = connection.alias


@functools.cache
def _insert_fields() -> list[Any]:
    return [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


@functools.cache
def _insert_sql(vendor: str) -> str:
    names = ", ".join(column(AuditEvent, f.name) for f in _insert_fields())
    marks = ", ".join(["%s"] * len(_insert_fields()))
    returning = f" RETURNING {column(AuditEvent, 'id')}" if connection.features.can_return_columns_from_insert else ""
    return f"INSERT INTO {table(AuditEvent)} ({names}) VALUES ({marks}){returning}"  # noqa: S608 - names from the model


def record_events_fast(actor: Any, role: str, pending: Iterable[PendingEvent]) -> int:
    """`record_events` for thousands of events in one action (a partner report's devices): the
    same chains, locks and hashes, but written with COPY on PostgreSQL (one statement, no SQL to
    compile per row) and nothing returned but their number. Elsewhere it is `record_events`."""
    events = _chained(actor, role, pending)
    if not events or connection.vendor != "postgresql":
        return len(AuditEvent.objects.bulk_create(events, batch_size=2000)) if events else 0
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    names = ", ".join(connection.ops.quote_name(f.column or f.name) for f in fields)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {AuditEvent._meta.db_table} ({names}) FROM STDIN") as copy:
            for event in events:
                copy.write_row([f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields])
    return len(events)


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
    verb: str = "",
) -> AuditEvent:
    """Append one event to its chain in the caller's transaction."""
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
                verb=verb,
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
    chains: int = 0

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def iter_chain(chunk_size: int = 5000, chain: str | None = None) -> Iterator[AuditEvent]:
    qs = AuditEvent.objects.all() if chain is None else AuditEvent.objects.filter(chain=chain)
    return qs.order_by("id").iterator(chunk_size=chunk_size)


def verify_chain(chain: str | None = None) -> ChainReport:
    """Recompute every hash in order, each chain from its own start (all chains in one pass, or
    only `chain`); report the first event whose link is broken."""
    heads: dict[str, str] = {}
    checked = 0
    for event in iter_chain(chain=chain):
        prev = heads.get(event.chain, GENESIS)
        if event.prev_hash != prev:
            return ChainReport(
                checked,
                event.pk,
                "previous-hash link does not match the event before it (an event was removed or inserted)",
                len(heads),
            )
        expected = _digest(prev, _hashed_fields(event))
        if expected != event.hash:
            return ChainReport(checked, event.pk, "content does not match its hash (the event was edited)", len(heads))
        if event.chain == LEGACY_CHAIN and event.verb != str((event.extra or {}).get("action", ""))[:40]:
            return ChainReport(checked, event.pk, "its verb does not match its sealed details (the event was edited)")
        heads[event.chain] = event.hash
        checked += 1
    return ChainReport(checked, chains=len(heads))


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
