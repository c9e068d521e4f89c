"""What the owner insight page, its API, its exports and the monthly report show, read from the
summary tables with a fixed number of queries (whatever the number of owners, tickets or devices).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.formats import format_money, format_number
from samdrift.insight.models import (
    Dimension,
    InsightSettings,
    OwnerMonth,
    OwnerMonthBreakdown,
    OwnerMonthLeadTime,
    OwnerReport,
    Stage,
)
from samdrift.insight.refresh import add_months, first_of, months_back

TREND_MONTHS = 24
SUMS = (
    "cost",
    "employees",
    "pupils",
    "tickets_opened",
    "tickets_resolved",
    "resolution_met",
    "csat_sum",
    "csat_count",
    "devices",
    "refresh_due",
    "refresh_cost",
    "licence_seats",
    "licence_used",
    "lines_handed_over",
)


def _ratio(a: Any, b: Any, places: str = "0.01") -> Decimal | None:
    if not b:
        return None
    return (Decimal(a) / Decimal(b)).quantize(Decimal(places))


def _pct(a: Any, b: Any) -> Decimal | None:
    if not b:
        return None
    return (Decimal(100) * Decimal(a) / Decimal(b)).quantize(Decimal("0.1"))


@dataclass
class MonthFigures:
    month: date
    cost: Decimal = Decimal(0)
    employees: int = 0
    pupils: int = 0
    tickets_opened: int = 0
    tickets_resolved: int = 0
    resolution_met: int = 0
    csat_sum: int = 0
    csat_count: int = 0
    devices: int = 0
    age_total: Decimal = Decimal(0)
    refresh_due: int = 0
    refresh_cost: Decimal = Decimal(0)
    licence_seats: int = 0
    licence_used: int = 0
    lines_handed_over: int = 0
    lead_median: Decimal | None = None
    lead_p90: Decimal | None = None
    takeback_credit: Decimal = Decimal(0)
    co2e_avoided_kg: Decimal = Decimal(0)
    owners: int = 1

    @property
    def cost_per_employee(self) -> Decimal | None:
        return _ratio(self.cost, self.employees)

    @property
    def cost_per_pupil(self) -> Decimal | None:
        return _ratio(self.cost, self.pupils)

    @property
    def sla(self) -> Decimal | None:
        return _pct(self.resolution_met, self.tickets_resolved)

    @property
    def csat(self) -> Decimal | None:
        return _ratio(self.csat_sum, self.csat_count)

    @property
    def tickets_per_employee(self) -> Decimal | None:
        return _ratio(self.tickets_opened, self.employees, "0.001")

    @property
    def device_age(self) -> Decimal | None:
        return _ratio(self.age_total, self.devices, "0.1")

    @property
    def licence_use(self) -> Decimal | None:
        return _pct(self.licence_used, self.licence_seats)


def _from_row(row: OwnerMonth) -> MonthFigures:
    return MonthFigures(
        month=row.month,
        cost=row.cost,
        employees=row.employees,
        pupils=row.pupils,
        tickets_opened=row.tickets_opened,
        tickets_resolved=row.tickets_resolved,
        resolution_met=row.resolution_met,
        csat_sum=row.csat_sum,
        csat_count=row.csat_count,
        devices=row.devices,
        age_total=(row.device_age_months or Decimal(0)) * row.devices,
        refresh_due=row.refresh_due,
        refresh_cost=row.refresh_cost,
        licence_seats=row.licence_seats,
        licence_used=row.licence_used,
        lines_handed_over=row.lines_handed_over,
        lead_median=row.lead_days_median,
        lead_p90=row.lead_days_p90,
        takeback_credit=row.takeback_credit,
        co2e_avoided_kg=row.co2e_avoided_kg,
    )


def last_full_month(today: date | None = None) -> date:
    return add_months(first_of(today or timezone.localdate()), -1)


@dataclass
class OwnerInsight:
    owner: Any
    months: list[date]
    own: list[MonthFigures]
    group: list[MonthFigures]
    reference: MonthFigures
    previous: MonthFigures
    group_reference: MonthFigures
    services: list[dict[str, Any]]
    cost_centres: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    lead_times: list[dict[str, Any]]
    year_to_date: dict[str, Any]
    changes: list[str]
    peers: list[dict[str, Any]] = field(default_factory=list)
    reports: list[Any] = field(default_factory=list)
    takeback_in_use: bool = False

    @property
    def has_data(self) -> bool:
        return any(m.cost or m.tickets_opened or m.devices for m in self.own)


def group_by_month(months: list[date]) -> dict[date, MonthFigures]:
    """The group's totals per month over every owner (one grouped query over the summary table)."""
    weighted_age = ExpressionWrapper(
        F("device_age_months") * F("devices"), output_field=DecimalField(max_digits=18, decimal_places=1)
    )
    rows = (
        OwnerMonth.objects.filter(month__in=months, owner__active=True)
        .values("month")
        .annotate(**{f"s_{name}": Sum(name) for name in SUMS}, s_age=Sum(weighted_age))
        .order_by()
    )
    from django.db.models import Count

    out = {}
    r: Any
    for r in rows.annotate(n=Count("id")):
        sums: dict[str, Any] = {name: r[f"s_{name}"] or 0 for name in SUMS}
        out[r["month"]] = MonthFigures(
            month=r["month"],
            **sums,
            age_total=r["s_age"] or Decimal(0),
            owners=r["n"],
        )
    return out


def build_owner_insight(user: Any, owner: Any, *, today: date | None = None) -> OwnerInsight:
    """Everything the insight page shows for `owner` (already authorised by the caller)."""
    last = last_full_month(today)
    months = months_back(last, TREND_MONTHS)
    own_rows = {r.month: r for r in OwnerMonth.objects.filter(owner=owner, month__in=months)}
    own = [_from_row(own_rows[m]) if m in own_rows else MonthFigures(month=m) for m in months]
    group_rows = group_by_month(months)
    group = [group_rows.get(m, MonthFigures(month=m, owners=0)) for m in months]
    # "This month" is the newest month the group has been invoiced for (billing closes a month
    # after it ends); service and delivery figures exist for every month.
    invoiced = [i for i, g in enumerate(group) if g.cost]
    ref_index = invoiced[-1] if invoiced else len(months) - 1
    reference, previous = own[ref_index], own[ref_index - 1] if ref_index else MonthFigures(month=months[0])
    ref_month = months[ref_index]

    breakdowns = list(
        OwnerMonthBreakdown.objects.filter(owner=owner, month__in=[ref_month, previous.month]).order_by(
            "dimension", "-amount", "-count", "label"
        )
    )

    def split(dimension: str, by: str) -> list[dict[str, Any]]:
        now = {b.key: b for b in breakdowns if b.dimension == dimension and b.month == ref_month}
        before = {b.key: b for b in breakdowns if b.dimension == dimension and b.month == previous.month}
        rows = []
        for key in list(now) + [k for k in before if k not in now]:
            cur, old = now.get(key), before.get(key)
            rows.append(
                {
                    "key": key,
                    "label": (cur or old).label,  # type: ignore[union-attr]
                    "value": getattr(cur, by) if cur else 0,
                    "previous": getattr(old, by) if old else 0,
                    "lines": cur.count if cur else 0,
                }
            )
        return rows

    leads = list(OwnerMonthLeadTime.objects.filter(owner=owner, month__in=months[-12:]).order_by("stage", "month"))
    lead_times = []
    for stage in Stage:
        mine = [lt for lt in leads if lt.stage == stage]
        latest = mine[-1] if mine else None
        lead_times.append(
            {
                "stage": stage,
                "label": stage.label,
                "lines": sum(lt.lines for lt in mine),
                "median": latest.median_days if latest else None,
                "p90": latest.p90_days if latest else None,
                "month": latest.month if latest else None,
                "trend": [(lt.month, lt.median_days, lt.p90_days) for lt in mine],
            }
        )

    year = ref_month.year
    this_year = [f for f in own if f.month.year == year and f.month <= ref_month]
    last_year = [f for f in own if f.month.year == year - 1 and f.month.month <= ref_month.month]
    ytd: dict[str, Any] = {
        "year": year,
        "cost": sum((f.cost for f in this_year), Decimal(0)),
        "previous_year": year - 1,
        "previous_cost": sum((f.cost for f in last_year), Decimal(0)),
        "months": len(this_year),
        "previous_months": len(last_year),
    }
    ytd["change"] = _pct(ytd["cost"] - ytd["previous_cost"], ytd["previous_cost"]) if ytd["previous_months"] else None

    settings_row = InsightSettings.current()
    peers: list[dict[str, Any]] = []
    if settings_row.name_other_owners:
        for row in (
            OwnerMonth.objects.filter(month=ref_month, owner__active=True)
            .select_related("owner")
            .order_by("owner__name")
        ):
            peers.append(
                {
                    "name": row.owner.name,
                    "me": row.owner_id == owner.pk,
                    "cost_per_employee": row.cost_per_employee,
                    "sla": row.sla_attainment,
                    "tickets_per_employee": row.tickets_per_employee,
                }
            )
    services = split(Dimension.SERVICE, "amount")
    insight = OwnerInsight(
        owner=owner,
        months=months,
        own=own,
        group=group,
        reference=reference,
        previous=previous,
        group_reference=group[ref_index],
        services=services,
        cost_centres=split(Dimension.COST_CENTRE, "amount"),
        categories=split(Dimension.CATEGORY, "count")[:5],
        lead_times=lead_times,
        year_to_date=ytd,
        changes=[],
        peers=peers,
        reports=list(OwnerReport.objects.filter(owner=owner).defer("pdf").order_by("-month")[:12]),
        takeback_in_use=any(f.month == ref_month for f in own) and bool(_takeback_sources()),
    )
    insight.changes = describe_changes(insight)
    return insight


def _takeback_sources() -> list[Any]:
    from samdrift.insight.hooks import CIRCULAR_SOURCES

    return CIRCULAR_SOURCES


def _signed_pct(value: Decimal) -> str:
    return format_number(abs(value), 1)


def describe_changes(insight: OwnerInsight) -> list[str]:
    """What changed from the month before, in sentences (in the active language)."""
    now, before = insight.reference, insight.previous
    out: list[str] = []
    if now.cost_per_employee is not None and before.cost_per_employee:
        change = _pct(now.cost_per_employee - before.cost_per_employee, before.cost_per_employee) or Decimal(0)
        movers: list[Any] = sorted(insight.services, key=lambda s: abs(s["value"] - s["previous"]), reverse=True)
        driver = movers[0] if movers and movers[0]["value"] != movers[0]["previous"] else None
        if change == 0:
            out.append(_("The cost per employee was unchanged."))
        elif driver is not None:
            params = {
                "pct": _signed_pct(change),
                "service": driver["label"],
                "amount": format_money(abs(driver["value"] - driver["previous"])),
            }
            if change > 0:
                out.append(
                    _("The cost per employee rose %(pct)s %% mainly because of %(service)s (+%(amount)s).") % params
                )
            else:
                out.append(
                    _("The cost per employee fell %(pct)s %% mainly because of %(service)s (−%(amount)s).") % params
                )
        else:
            params = {"pct": _signed_pct(change)}
            if change > 0:
                out.append(_("The cost per employee rose %(pct)s %%.") % params)
            else:
                out.append(_("The cost per employee fell %(pct)s %%.") % params)
    if now.sla is not None and before.sla is not None and now.sla != before.sla:
        params = {"now": format_number(now.sla, 1), "before": format_number(before.sla, 1)}
        out.append(_("SLA attainment went from %(before)s %% to %(now)s %%.") % params)
    if now.tickets_opened != before.tickets_opened and before.tickets_opened:
        params = {"now": now.tickets_opened, "before": before.tickets_opened}
        out.append(_("%(now)s tickets were opened, against %(before)s the month before.") % params)
    if now.lead_median is not None and before.lead_median is not None and now.lead_median != before.lead_median:
        params = {"now": format_number(now.lead_median, 1), "before": format_number(before.lead_median, 1)}
        out.append(_("The median order lead time went from %(before)s to %(now)s days.") % params)
    if not out:
        out.append(_("No figure changed noticeably from the month before."))
    return out
