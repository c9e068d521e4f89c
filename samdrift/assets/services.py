"""What other apps may read of assets (read-only): the fleet grouped by purchase month (for fleet
age and the refresh forecast), licence use per owner, and the technician's device counts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Count, Sum

from samdrift.assets.licences import get_licence_compliance
from samdrift.assets.models import Asset, AssetStatus
from samdrift.assets.planning import GONE

# A technician's work on devices: prepare what is in stock, pack what came back (take-back).
TO_PREPARE = (AssetStatus.IN_STOCK,)
TO_PACK = (AssetStatus.RETURNED, AssetStatus.AWAITING_ERASURE)


def get_fleet_groups(owner_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Devices still in use, grouped by owner, purchase month and model lifetime and price: a few
    thousand groups whatever the number of devices (one grouped query). Each group: owner_id,
    year, month, lifetime_months, unit_price (list price, else the average paid, else None), n."""
    assets = Asset.objects.exclude(status__in=GONE).filter(purchase_date__isnull=False)
    if owner_ids is not None:
        assets = assets.filter(owner_id__in=list(owner_ids))
    groups = (
        assets.values(
            "owner_id",
            "purchase_date__year",
            "purchase_date__month",
            "model__expected_lifetime_months",
            "model__list_price",
        )
        .annotate(n=Count("id"), paid=Sum("price"), priced=Count("price"))
        .order_by()
    )
    out = []
    for g in groups:
        unit = g["model__list_price"]
        if unit is None and g["priced"]:
            unit = g["paid"] / g["priced"]
        out.append(
            {
                "owner_id": g["owner_id"],
                "year": g["purchase_date__year"],
                "month": g["purchase_date__month"],
                "lifetime_months": g["model__expected_lifetime_months"],
                "unit_price": unit,
                "n": g["n"],
            }
        )
    return out


def get_licence_use_by_owner(today: date) -> dict[int, tuple[int, int]]:
    """Per owner id: licence seats entitled today and seats used (assigned or installed)."""
    out: dict[int, tuple[int, int]] = {}
    for row in get_licence_compliance(None, today=today):
        entitled, used = out.get(row.owner_id, (0, 0))
        out[row.owner_id] = (entitled + row.entitled, used + row.used)
    return out


def get_technician_devices(user: Any, cap: int = 1000) -> dict[str, int]:
    """Devices in stock to prepare and returned devices to pack for take-back, as the user sees
    them; each count stops at `cap` + 1 (a work list that long is "more than 1,000", and counting
    it to the end would cost a scan of hundreds of thousands of index entries at national scale)."""
    visible = Asset.objects.for_user(user)
    return {
        str(status): visible.filter(status=status).order_by()[: cap + 1].count() for status in (*TO_PREPARE, *TO_PACK)
    }


def register_status_guard(statuses: Iterable[str], guard: Any) -> None:
    """Another capability refuses devices reaching these statuses unless its rule holds:
    guard(asset_ids) raises a ValidationError (take-back: no closing without an erasure certificate)."""
    from samdrift.assets.actions import STATUS_GUARDS

    for status in statuses:
        if guard not in STATUS_GUARDS.setdefault(status, []):
            STATUS_GUARDS[status].append(guard)
