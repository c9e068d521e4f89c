"""Refresh planning (förnyelseplan): per owner and quarter, the devices that reach the end of their
expected life or warranty over the next three years, and what replacing them costs.

Counted in the database, grouped by model and purchase month (a few hundred groups, whatever the
number of devices); only the month arithmetic on those groups happens in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from samdrift.assets.models import Asset, AssetStatus
from samdrift.core.money import to_money

# Devices that no longer need replacing: gone, or on their way out of the register.
GONE = [
    AssetStatus.ERASED,
    AssetStatus.REUSED,
    AssetStatus.RESOLD,
    AssetStatus.RECYCLED,
    AssetStatus.LOST,
    AssetStatus.STOLEN,
    AssetStatus.AWAITING_ERASURE,
]


@dataclass
class QuarterRow:
    quarter: str
    end_of_life: int = 0
    replacement_cost: Decimal = Decimal("0.00")
    warranty_ends: int = 0


def _quarter(year: int, month: int) -> str:
    return f"{year}-Q{(month - 1) // 3 + 1}"


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def quarters_from(start: date, years: int = 3) -> list[str]:
    out = []
    for i in range(years * 4):
        y, m = _add_months(start.year, start.month, 3 * i)
        out.append(_quarter(y, m))
    return list(dict.fromkeys(out))


def get_refresh_forecast_for_owner(user: Any, *, owner_id: int | None, start: date, years: int = 3) -> list[QuarterRow]:
    """Rows per quarter from `start`; overdue devices (end of life before `start`) count in the first."""
    assets = Asset.objects.for_user(user).exclude(status__in=GONE)
    if owner_id is not None:
        assets = assets.filter(owner_id=owner_id)
    quarters = quarters_from(start, years)
    rows = {q: QuarterRow(q) for q in quarters}
    first, last = quarters[0], quarters[-1]

    def bucket(year: int, month: int, *, overdue_first: bool = True) -> QuarterRow | None:
        q = _quarter(year, month)
        if q < first:
            if not overdue_first:
                return None
            q = first
        return rows.get(q) if q <= last else None

    groups = (
        assets.filter(purchase_date__isnull=False)
        .values(
            "model__expected_lifetime_months",
            "model__list_price",
            "purchase_date__year",
            "purchase_date__month",
        )
        .annotate(n=Count("id"), paid=Sum("price"), priced=Count("price"))
        .order_by()
    )
    for g in groups:
        y, m = _add_months(g["purchase_date__year"], g["purchase_date__month"], g["model__expected_lifetime_months"])
        row = bucket(y, m)
        if row is None:
            continue
        row.end_of_life += g["n"]
        unit = g["model__list_price"]
        if unit is None and g["priced"]:
            unit = g["paid"] / g["priced"]  # no list price: what was paid for these, on average
        if unit is not None:
            row.replacement_cost = to_money(row.replacement_cost + unit * g["n"])
    warranties = (
        assets.filter(warranty_end__isnull=False)
        .values("warranty_end__year", "warranty_end__month")
        .annotate(n=Count("id"))
        .order_by()
    )
    for w in warranties:
        row = bucket(w["warranty_end__year"], w["warranty_end__month"], overdue_first=False)
        if row is not None:
            row.warranty_ends += w["n"]
    return [rows[q] for q in quarters]
