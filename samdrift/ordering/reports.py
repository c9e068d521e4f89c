"""Read-only figures: lead times per stage and the joint-procurement view per agreement.

Both are aggregates over scoped querysets: an owner's users see their own owner's figures only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy

from samdrift.core.access import scope_for
from samdrift.core.roles import OPERATOR_ROLES, Role
from samdrift.ordering.models import OrderLine, PurchaseOrderLine
from samdrift.tenancy.models import Owner

#: The owner column of figures combined over every owner the user sees.
ALL_OWNERS = gettext_lazy("All owners")

STAGES = (
    ("submitted_at", "approved_at"),
    ("approved_at", "ordered_at"),
    ("ordered_at", "confirmed_at"),
    ("confirmed_at", "delivered_at"),
    ("delivered_at", "handed_over_at"),
    ("submitted_at", "handed_over_at"),
)


def may_see_lead_times(user: Any) -> bool:
    """Operator staff, and an owner's viewers, orderers and approvers (their own owner's figures)."""
    scope = scope_for(user)
    return scope.has_operator_role(OPERATOR_ROLES) or bool(
        scope.owner_ids({Role.OWNER_VIEWER, Role.ORDERER, Role.APPROVER})
    )


def default_since() -> date:
    """The report's first day unless one is chosen: the first of the month a year back."""
    from samdrift.ordering.actions import today

    return today().replace(day=1) - timedelta(days=365)


class MedianAndP90(Aggregate):
    """PostgreSQL's percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY expression): both
    figures from one sort of the group; NULLs are left out (NULL when nothing is left)."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = ArrayField(FloatField())


class DaysBetween(Func):
    """Days from `start` to `end` as a float (NULL when either is empty), on PostgreSQL."""

    # date_part gives a double; EXTRACT a numeric, several times slower to divide and sort.
    template = "date_part('epoch', %(expressions)s) / 86400.0"
    arg_joiner = " - "
    output_field = FloatField()


def _percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    values = sorted(values)
    if not values:
        return 0.0
    k = (len(values) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _stage(n: int, median: float | None, p90: float | None) -> dict[str, Any]:
    if not n or median is None or p90 is None:
        return {"n": 0, "median": None, "p90": None}
    return {"n": n, "median": round(median, 1), "p90": round(p90, 1)}


def lead_times(
    user: Any, since: date, owner_id: int | None = None, *, combine_owners: bool = False
) -> list[dict[str, Any]]:
    """Per owner and month of submission: median and 90th percentile in days of every stage.

    With `combine_owners` the months are not split by owner (the owner is then ALL_OWNERS), which
    is the operator's overview of every owner at once. On PostgreSQL the figures are computed in
    one aggregate query (percentile_cont, one sort per stage); elsewhere the lines are read and computed here, which
    gives the same numbers at the sizes SQLite is meant for."""
    # From midnight of `since` (a range on the column itself, so the (owner, submitted_at) index serves).
    midnight = timezone.make_aware(datetime.combine(since, time.min))
    lines = OrderLine.objects.for_user(user).filter(submitted_at__gte=midnight).exclude(status="cancelled")
    if owner_id:
        lines = lines.filter(owner_id=owner_id)
    qs: Any = lines.annotate(month=TruncMonth("submitted_at"))
    if connection.vendor == "postgresql":
        # Grouped by owner id, not name: a join to the owners made the planner loop over them all.
        group = ["month"] if combine_owners else ["owner_id", "month"]
        aggregates: dict[str, Any] = {"lines": Count("id")}
        for i, (start, end) in enumerate(STAGES):
            days = DaysBetween(F(end), F(start))
            aggregates |= {f"n{i}": Count(days), f"q{i}": MedianAndP90(days)}
        found = list(qs.values(*group).annotate(**aggregates).order_by())
        names: dict[int, str] = (
            {}
            if combine_owners
            else dict(Owner.objects.filter(pk__in={r["owner_id"] for r in found}).values_list("pk", "name"))
        )
        result = []
        for r in found:
            quantiles = [r[f"q{i}"] or [None, None] for i in range(len(STAGES))]
            result.append(
                {
                    "owner": ALL_OWNERS if combine_owners else names[r["owner_id"]],
                    "month": _as_date(r["month"]),
                    "lines": r["lines"],
                    "stages": [_stage(r[f"n{i}"], *quantiles[i]) for i in range(len(STAGES))],
                }
            )
        return sorted(result, key=lambda row: (str(row["owner"]), row["month"]))
    fields = sorted({f for pair in STAGES for f in pair})
    rows = qs.values_list("owner__name", "month", *fields).iterator(chunk_size=5000)
    buckets: dict[tuple[Any, Any], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[tuple[Any, Any], int] = defaultdict(int)
    for row in rows:
        owner, month, values = row[0], row[1], dict(zip(fields, row[2:], strict=True))
        key = ("", _as_date(month)) if combine_owners else (owner, _as_date(month))
        counts[key] += 1
        for i, (start, end) in enumerate(STAGES):
            if values[start] is not None and values[end] is not None:
                buckets[key][i].append((values[end] - values[start]).total_seconds() / 86400)
    result = []
    for key in sorted(counts.keys(), key=lambda k: (k[0], k[1])):
        stages = []
        for i in range(len(STAGES)):
            vals = buckets[key].get(i, [])
            stages.append(_stage(len(vals), _percentile(vals, 0.5), _percentile(vals, 0.9)))
        owner_label = ALL_OWNERS if combine_owners else key[0]
        result.append({"owner": owner_label, "month": key[1], "lines": counts[key], "stages": stages})
    return result


def _as_date(month: Any) -> date:
    return month.date() if hasattr(month, "date") else month


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
