"""Filling the summary tables: per owner and month, from the other apps' published reads.

Set-based: each source is read with a few grouped queries over the whole range of months and all
owners at once (tickets grouped by owner and month, invoice lines by owner, month, service and
cost centre, devices by owner and purchase month); only lead-time percentiles need the rows of
the months refreshed, streamed. The rows of the months refreshed are replaced in one transaction.

Headcounts and licence use exist only as they are now: a month keeps the figures it had when it
was last refreshed as the current month, and a month refreshed for the first time gets today's.
"""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from samdrift.assets import services as assets_services
from samdrift.billing import services as billing_services
from samdrift.core.access import require_role
from samdrift.core.audit import record_event
from samdrift.core.locks import hold_for_transaction
from samdrift.core.models import AuditEventType
from samdrift.insight.hooks import CIRCULAR_SOURCES
from samdrift.insight.models import (
    INSIGHT_OPERATOR_ROLES,
    Dimension,
    OwnerMonth,
    OwnerMonthBreakdown,
    OwnerMonthLeadTime,
    Stage,
)
from samdrift.ordering import services as ordering_services
from samdrift.servicedesk import services as servicedesk_services
from samdrift.servicedesk.calendar import STOCKHOLM
from samdrift.tenancy import services as tenancy_services

log = logging.getLogger(__name__)

DAY = Decimal(86400)
STAGES = [
    (Stage.APPROVAL, 0, 1),
    (Stage.ORDERING, 1, 2),
    (Stage.DELIVERY, 2, 3),
    (Stage.HANDOVER, 3, 4),
    (Stage.TOTAL, 0, 4),
]
# The key of the lock one refresh of the summary tables holds while it writes (core/locks.py).
REFRESH_LOCK_KEY = 0x5A4D_494E  # "SMIN"
REFRESH_HORIZON_MONTHS = 12  # devices due for refresh: end of life within a year of the month


def first_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_back(last: date, n: int) -> list[date]:
    """The `n` months ending with `last`'s month, oldest first."""
    last = first_of(last)
    return [add_months(last, -i) for i in range(n - 1, -1, -1)]


def local_start(month: date) -> datetime:
    return datetime.combine(month, time(0), tzinfo=STOCKHOLM)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p90 of 10 values is the 9th): a value that occurred."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def _days(value: float) -> Decimal:
    return (Decimal(value) / DAY).quantize(Decimal("0.1"))


def _lead_times(first: date, end: date) -> dict[tuple[int, date], dict[str, list[float]]]:
    out: dict[tuple[int, date], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for owner_id, handed, stamps in ordering_services.iter_lead_time_stamps(local_start(first), local_start(end)):
        month = first_of(timezone.localtime(handed, STOCKHOLM).date())
        per_stage = out[(owner_id, month)]
        for stage, a, b in STAGES:
            if stamps[a] is not None and stamps[b] is not None and stamps[b] >= stamps[a]:
                per_stage[stage].append((stamps[b] - stamps[a]).total_seconds())
    return out


def _fleet(months: list[date], owner_ids: list[int]) -> dict[tuple[int, date], dict[str, Any]]:
    """Per owner and month: devices bought by the month's end, their average age in months, those
    whose expected life ends within a year, and what replacing those costs."""
    groups = assets_services.get_fleet_groups(owner_ids)
    out: dict[tuple[int, date], dict[str, Any]] = {}
    for month in months:
        month_index = month.year * 12 + month.month - 1
        for g in groups:
            bought = g["year"] * 12 + g["month"] - 1
            if bought > month_index:
                continue
            row = out.setdefault((g["owner_id"], month), {"devices": 0, "age": 0, "due": 0, "cost": Decimal(0)})
            row["devices"] += g["n"]
            row["age"] += (month_index - bought) * g["n"]
            if bought + g["lifetime_months"] <= month_index + REFRESH_HORIZON_MONTHS:
                row["due"] += g["n"]
                if g["unit_price"] is not None:
                    row["cost"] += Decimal(g["unit_price"]) * g["n"]
    return out


def refresh_owner_months(
    months: Iterable[date], owner_ids: Iterable[int] | None = None, *, today: date | None = None
) -> dict[str, int]:
    """Recompute the summary rows of `months` (first days) for the owners (default: all active)."""
    months = sorted({first_of(m) for m in months})
    if not months:
        return {"months": 0, "owners": 0}
    today = today or timezone.localdate()
    current = first_of(today)
    owners = [oid for oid, _ in tenancy_services.get_active_owners()]
    if owner_ids is not None:
        wanted = set(owner_ids)
        owners = [oid for oid in owners if oid in wanted]
    first, last = months[0], months[-1]
    end = add_months(last, 1)

    heads = tenancy_services.get_headcounts_by_owner(owners)
    licences = assets_services.get_licence_use_by_owner(today)
    costs = billing_services.get_issued_cost_rows(first, last, owners)
    tickets = servicedesk_services.get_ticket_months(local_start(first), local_start(end), owners)
    leads = _lead_times(first, end)
    fleet = _fleet(months, owners)
    circular: dict[tuple[int, date], tuple[Decimal, Decimal]] = {}
    for source in CIRCULAR_SOURCES:
        circular.update(source(first, last))

    month_set = set(months)
    owner_set = set(owners)
    by_owner_month: dict[tuple[int, date], dict[str, Any]] = defaultdict(lambda: {"cost": Decimal(0), "lines": 0})
    breakdown: dict[tuple[int, date, str, str], list[Any]] = {}
    for r in costs:
        key = (r["owner_id"], r["month"])
        if r["month"] not in month_set or r["owner_id"] not in owner_set:
            continue
        by_owner_month[key]["cost"] += r["amount"]
        by_owner_month[key]["lines"] += r["lines"]
        for dimension, dkey, label in (
            (Dimension.SERVICE, r["service_key"], r["service"]),
            (Dimension.COST_CENTRE, str(r["cost_centre_id"] or ""), r["cost_centre"]),
        ):
            slot = breakdown.setdefault((r["owner_id"], r["month"], dimension, dkey), [label, Decimal(0), 0])
            slot[1] += r["amount"]
            slot[2] += r["lines"]
    for (owner_id, month), cats in tickets["categories"].items():
        if month not in month_set or owner_id not in owner_set:
            continue
        for key, name, n in cats:
            breakdown[(owner_id, month, Dimension.CATEGORY, key or "none")] = [name, Decimal(0), n]

    existing = {
        (row.owner_id, row.month): row for row in OwnerMonth.objects.filter(owner_id__in=owners, month__in=months)
    }
    now = timezone.now()
    rows: list[OwnerMonth] = []
    lead_rows: list[OwnerMonthLeadTime] = []
    for owner_id in owners:
        for month in months:
            key = (owner_id, month)
            old = existing.get(key)
            keep_history = old is not None and month < current
            employees, pupils = (old.employees, old.pupils) if keep_history and old else heads.get(owner_id, (0, 0))
            seats, used = (
                (old.licence_seats, old.licence_used) if keep_history and old else licences.get(owner_id, (0, 0))
            )
            t = tickets["figures"].get(key, {})
            f = fleet.get(key, {"devices": 0, "age": 0, "due": 0, "cost": Decimal(0)})
            credit, co2e = circular.get(key, (Decimal(0), Decimal(0)))
            stage_values = leads.get(key, {})
            total = stage_values.get(Stage.TOTAL, [])
            rows.append(
                OwnerMonth(
                    owner_id=owner_id,
                    month=month,
                    employees=employees,
                    pupils=pupils,
                    cost=by_owner_month[key]["cost"] if key in by_owner_month else Decimal(0),
                    invoice_lines=by_owner_month[key]["lines"] if key in by_owner_month else 0,
                    tickets_opened=t.get("opened", 0),
                    tickets_resolved=t.get("resolved", 0),
                    resolution_met=t.get("resolution_met", 0),
                    first_responses=t.get("first_responses", 0),
                    first_response_met=t.get("first_response_met", 0),
                    csat_sum=t.get("csat_sum", 0),
                    csat_count=t.get("csat_count", 0),
                    lines_handed_over=len(total),
                    lead_days_median=_days(statistics.median(total)) if total else None,
                    lead_days_p90=_days(percentile(total, 0.9)) if total else None,
                    devices=f["devices"],
                    device_age_months=(Decimal(f["age"]) / f["devices"]).quantize(Decimal("0.1"))
                    if f["devices"]
                    else None,
                    refresh_due=f["due"],
                    refresh_cost=Decimal(f["cost"]).quantize(Decimal("0.01")),
                    licence_seats=seats,
                    licence_used=used,
                    takeback_credit=credit,
                    co2e_avoided_kg=co2e,
                    refreshed_at=now,
                )
            )
            for stage, _a, _b in STAGES:
                values = stage_values.get(stage, [])
                if values:
                    lead_rows.append(
                        OwnerMonthLeadTime(
                            owner_id=owner_id,
                            month=month,
                            stage=stage,
                            lines=len(values),
                            median_days=_days(statistics.median(values)),
                            p90_days=_days(percentile(values, 0.9)),
                        )
                    )
    breakdown_rows = [
        OwnerMonthBreakdown(
            owner_id=owner_id, month=month, dimension=dimension, key=key[:60], label=label[:300], amount=amount, count=n
        )
        for (owner_id, month, dimension, key), (label, amount, n) in breakdown.items()
    ]
    with transaction.atomic():
        # Two refreshes of the same months at once (the hourly one and the monthly report's, on
        # two workers) each deleted the rows and inserted their own: the second insert broke the
        # unique (owner, month) constraint and that task failed. One writes at a time; the later
        # one's rows stand.
        hold_for_transaction(REFRESH_LOCK_KEY)
        for model in (OwnerMonth, OwnerMonthBreakdown, OwnerMonthLeadTime):
            model.objects.filter(owner_id__in=owners, month__in=months).delete()  # type: ignore[attr-defined]
        OwnerMonth.objects.bulk_create(rows, batch_size=2000)
        OwnerMonthBreakdown.objects.bulk_create(breakdown_rows, batch_size=2000)
        OwnerMonthLeadTime.objects.bulk_create(lead_rows, batch_size=2000)
    return {"months": len(months), "owners": len(owners), "rows": len(rows), "breakdowns": len(breakdown_rows)}


def do_refresh_insight(months: Iterable[date], owner_ids: Iterable[int] | None = None, *, actor: Any) -> dict[str, int]:
    """Refresh the summary tables and note it in the audit trail (one event per refresh)."""
    months = list(months)
    role = require_role(actor, owner_id=None, operator_roles=INSIGHT_OPERATOR_ROLES)
    with transaction.atomic():
        result = refresh_owner_months(months, owner_ids)
        record_event(
            actor,
            role,
            AuditEventType.UPDATED,
            object_type="insight.ownermonth",
            object_id="",
            object_repr="Insight summary tables",
            extra={"months": [m.isoformat() for m in sorted(set(map(first_of, months)))][:48], **result},
        )
    log.info("insight refreshed: %s", result)
    return result
