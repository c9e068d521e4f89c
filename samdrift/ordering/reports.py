"""Read-only figures: lead times per stage and the joint-procurement view per agreement.

Both are aggregates over scoped querysets: an owner's users see their own owner's figures only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from samdrift.ordering.models import OrderLine, PurchaseOrderLine

STAGES = (
    ("submitted_at", "approved_at"),
    ("approved_at", "ordered_at"),
    ("ordered_at", "confirmed_at"),
    ("confirmed_at", "delivered_at"),
    ("delivered_at", "handed_over_at"),
    ("submitted_at", "handed_over_at"),
)


def _percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    values = sorted(values)
    if not values:
        return 0.0
    k = (len(values) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def lead_times(user: Any, since: date, owner_id: int | None = None) -> list[dict[str, Any]]:
    """Per owner and month of submission: median and 90th percentile in days of every stage."""
    qs = OrderLine.objects.for_user(user).filter(submitted_at__date__gte=since).exclude(status="cancelled")
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    fields = sorted({f for pair in STAGES for f in pair})
    rows = (
        qs.annotate(month=TruncMonth("submitted_at"))
        .values_list("owner__name", "month", *fields)
        .iterator(chunk_size=5000)
    )
    buckets: dict[tuple[str, Any], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[tuple[str, Any], int] = defaultdict(int)
    for row in rows:
        owner, month, values = row[0], row[1], dict(zip(fields, row[2:], strict=True))
        key = (owner, month.date() if hasattr(month, "date") else month)
        counts[key] += 1
        for i, (start, end) in enumerate(STAGES):
            if values[start] is not None and values[end] is not None:
                buckets[key][i].append((values[end] - values[start]).total_seconds() / 86400)
    result = []
    for key in sorted(buckets.keys() | counts.keys(), key=lambda k: (k[0], k[1])):
        stages = []
        for i in range(len(STAGES)):
            vals = buckets[key].get(i, [])
            stages.append(
                {"n": len(vals), "median": round(_percentile(vals, 0.5), 1), "p90": round(_percentile(vals, 0.9), 1)}
                if vals
                else {"n": 0, "median": None, "p90": None}
            )
        result.append({"owner": key[0], "month": key[1], "lines": counts[key], "stages": stages})
    return result


def joint_procurement(user: Any, agreement_id: int | None = None) -> list[dict[str, Any]]:
    """Per agreement, category and owner: units bought and spend at agreement prices."""
    qs = PurchaseOrderLine.objects.for_user(user)
    if agreement_id:
        qs = qs.filter(agreement_id=agreement_id)
    rows = (
        qs.values("agreement_id", "agreement__reference", "agreement__name", "category", "owner__name")
        .annotate(n_units=Sum("quantity"), spend=Sum("amount"), n_lines=Count("id"))
        .order_by("agreement__reference", "category", "owner__name")
    )
    result: list[dict[str, Any]] = []
    for r in rows:
        result.append(
            {
                "agreement_id": r["agreement_id"],
                "agreement": f"{r['agreement__reference']} {r['agreement__name']}",
                "category": r["category"] or "–",
                "owner": r["owner__name"],
                "units": r["n_units"] or 0,
                "spend": r["spend"] or Decimal(0),
            }
        )
    top = max((item["spend"] for item in result), default=Decimal(0)) or Decimal(1)
    for item in result:
        item["width"] = int(item["spend"] * 100 / top)
    return result
