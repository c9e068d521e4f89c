"""Table and column names of a model, quoted for hand-written SQL on the hot paths (a ticket's
creation, the audit chain, the outbox's kick): SQL written once per process from the model, never
from input, where the ORM would compile the same statement again on every request."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Field


def table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: Any, name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is a relation seen from the other side, not a column")
    return connection.ops.quote_name(str(field.column))
