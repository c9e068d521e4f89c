"""The registry of charge sources: the wiring point for other apps.

A charge source turns its rows into invoice lines for one period. The billing run calls every
registered source in order; each inserts `InvoiceLine` rows with `invoice` empty (the run attaches
them to invoices afterwards), using set-based SQL where it can (`insert_lines_from`).

Billable ticket time (service desk) is wired in by `samdrift.billing.external`. To plug in
another source (orders, say), call `register(...)` from the app's
`AppConfig.ready()`:

    from samdrift.billing.sources import ChargeSource, register
    register(ChargeSource("ticket_time", _("Billable time"), build=build_time_lines, rows=time_rows))

`build(period, run) -> int` inserts the lines and returns how many; `rows(line) -> QuerySet` gives
the source rows behind one line, for the drill-down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models import Value
from django.db.models.functions import Cast


@dataclass(frozen=True)
class ChargeSource:
    key: str  # stored as InvoiceLine.source_type
    label: Any
    build: Callable[[Any, Any], int]
    rows: Callable[[Any], models.QuerySet | Sequence[Any]] | None = None


_REGISTRY: dict[str, ChargeSource] = {}


def register(source: ChargeSource) -> None:
    _REGISTRY[source.key] = source


def unregister(key: str) -> None:
    _REGISTRY.pop(key, None)


def charge_sources() -> list[ChargeSource]:
    """Built-in sources first, then what other apps registered, in registration order."""
    from samdrift.billing import engine, external, reconciliation  # noqa: F401  (register the built-in sources)

    return list(_REGISTRY.values())


def get_source(key: str) -> ChargeSource | None:
    charge_sources()
    return _REGISTRY.get(key)


def const(value: Any, field: models.Field) -> Cast:
    """A typed constant for INSERT ... SELECT (PostgreSQL will not guess the type of a bare NULL)."""
    return Cast(Value(value), output_field=field)


def insert_lines_from(queryset: models.QuerySet, columns: Sequence[str]) -> int:
    """INSERT INTO billing_invoiceline (columns) SELECT ... — one statement, no rows in Python.

    `queryset` must be a `values_list(*columns)` of annotations in the same order as `columns`.
    """
    from samdrift.billing.models import InvoiceLine

    sql, params = queryset.order_by().query.sql_with_params()
    qn = connection.ops.quote_name
    opts = InvoiceLine._meta
    cols = ", ".join(qn(opts.get_field(c).column) for c in columns)  # type: ignore[union-attr,arg-type]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(opts.db_table)} ({cols}) {sql}", params)
        return max(cursor.rowcount, 0)
