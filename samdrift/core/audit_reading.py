"""Reading the audit trail: an event is shown only with what its reader may read of its object.

The trail is for operator admins and records officers, but not every one of them may read every
object (a records officer gets 404 on a confidential ticket). An event about an object the reader
may not read keeps its who, when, what kind and which id, and loses its subject (`object_repr`),
its changed fields and its details. The rule is the object's own scoped query layer, so it holds
for every model without a list to keep up. One query per object type on the page, not per event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

from samdrift.core.access import scope_for
from samdrift.core.labels import model_for_label
from samdrift.core.models import AuditEvent


def _model(label: str) -> type[models.Model] | None:
    return model_for_label(label)


def _readable_ids(model: type[models.Model], scope: Any, object_ids: set[str]) -> set[str] | None:
    """The ids among `object_ids` the scope may read; None when it may read every row of the model
    (deleted ones included: a reader who sees the whole table also saw the row that was removed)."""
    narrow = getattr(model, "scope_queryset", None)
    if narrow is None:
        return None  # not owner data: no narrower rule to apply than the trail's own
    scoped = narrow(model._default_manager.all(), scope)
    if scoped.query.is_empty():
        return set()
    if not scoped.query.where:
        return None
    pk_field = model._meta.pk
    assert pk_field is not None
    valid: dict[Any, str] = {}
    for raw in object_ids:
        try:
            valid[pk_field.to_python(raw)] = raw
        except (ValidationError, ValueError, TypeError):
            continue
    if not valid:
        return set()
    found = scoped.filter(pk__in=list(valid)).values_list("pk", flat=True)
    return {valid[pk] for pk in found if pk in valid}


def mask_unreadable(user: Any, events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Blank, in memory, what `user` may not read of each event's object; sets `event.masked`."""
    events = list(events)
    scope = scope_for(user)
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        event.masked = False  # type: ignore[attr-defined]
        if event.object_type and event.object_id:
            wanted[event.object_type].add(event.object_id)
    readable: dict[str, set[str] | None] = {}
    for label, ids in wanted.items():
        model = _model(label)
        readable[label] = None if model is None else _readable_ids(model, scope, ids)
    for event in events:
        allowed = readable.get(event.object_type)
        if allowed is None or event.object_id in allowed:
            continue
        event.object_repr = ""
        event.changes = {}
        event.extra = {}
        event.masked = True  # type: ignore[attr-defined]
    return events


def related_names(user: Any, events: Iterable[AuditEvent]) -> dict[tuple[type[models.Model], str], str]:
    """The names of the related rows the events' changes point to (an asset's model, a ticket's
    assignee), looked up once per related model for the whole page, as `change_value` shows them:
    an owner's row only when `user` may open it."""
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for event in events:
        model = _model(event.object_type)
        if model is None:
            continue
        for name, change in (event.changes or {}).items():
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            related = getattr(field, "related_model", None)
            if related is None or not field.many_to_one or not isinstance(change, list | tuple):
                continue
            pk_field = related._meta.pk
            assert pk_field is not None
            for value in change[:2]:
                if value in (None, "") or isinstance(value, bool | list | dict) or len(str(value)) > 100:
                    continue
                try:
                    wanted[related].add(pk_field.to_python(value))
                except (ValidationError, ValueError, TypeError):
                    continue
    names: dict[tuple[type[models.Model], str], str] = {}
    for related, ids in wanted.items():
        rows = list(related._default_manager.filter(pk__in=list(ids)[:1000]))
        owned = any(f.name == "owner" for f in related._meta.get_fields())
        manager: Any = related._default_manager
        readable: set[Any] | None = None
        if owned and hasattr(manager, "for_user"):
            readable = set(manager.for_user(user).filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True))
        for found in rows:
            if hasattr(found, "get_full_name"):
                label = found.get_full_name() or found.get_username()  # type: ignore[attr-defined]
            elif readable is not None and found.pk not in readable:
                continue
            else:
                label = str(found)
            names[(related, str(found.pk))] = str(label)
    return names
