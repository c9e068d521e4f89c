"""Per owner and month: tickets opened and closed by category, SLA attainment, median first
response and resolution time, and customer satisfaction (set-based aggregates)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Q
from django.utils import timezone

from samdrift.core import cells
from samdrift.servicedesk.calendar import STOCKHOLM
from samdrift.servicedesk.models import Ticket


@dataclass
class MonthlyReport:
    owner_id: int
    month: date
    opened: int = 0
    resolved: int = 0
    by_category: list[dict[str, Any]] = field(default_factory=list)
    resolution_met: int = 0
    first_response_met: int = 0
    first_responses: int = 0
    median_first_response_minutes: float | None = None
    median_resolution_minutes: float | None = None
    csat_average: float | None = None
    csat_count: int = 0

    @property
    def resolution_attainment(self) -> float | None:
        return round(100 * self.resolution_met / self.resolved, 1) if self.resolved else None

    @property
    def first_response_attainment(self) -> float | None:
        return round(100 * self.first_response_met / self.first_responses, 1) if self.first_responses else None


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime.combine(month.replace(day=1), time(0), tzinfo=STOCKHOLM)
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, datetime.combine(nxt, time(0), tzinfo=STOCKHOLM)


def get_monthly_report_for_owner(user: Any, owner_id: int, month: date) -> MonthlyReport:
    """The report over the tickets `user` may see (confidential ones only for agents and admins)."""
    start, end = month_bounds(month)
    tickets = Ticket.objects.for_user(user).filter(owner_id=owner_id)
    opened = tickets.filter(created__gte=start, created__lt=end)
    resolved = tickets.filter(resolved_at__gte=start, resolved_at__lt=end, merged_into__isnull=True)
    report = MonthlyReport(owner_id=owner_id, month=month.replace(day=1))
    report.opened = opened.count()
    counts = resolved.aggregate(
        n=Count("id"),
        met=Count("id", filter=Q(resolution_breached=False)),
        avg=Avg("csat_score"),
        rated=Count("csat_score"),
    )
    report.resolved, report.resolution_met = counts["n"], counts["met"]
    report.csat_count = counts["rated"]
    report.csat_average = round(counts["avg"], 2) if counts["avg"] is not None else None
    responded = opened.filter(first_responded_at__isnull=False)
    first = responded.aggregate(n=Count("id"), met=Count("id", filter=Q(first_response_breached=False)))
    report.first_responses, report.first_response_met = first["n"], first["met"]
    report.by_category = [
        dict(row)
        for row in opened.values("category__name").annotate(opened=Count("id")).order_by("-opened", "category__name")
    ]
    # Medians over the month's rows only (one owner, one month: thousands of rows, not millions).
    fr = [(r - c).total_seconds() / 60 for c, r in responded.values_list("created", "first_responded_at") if r]
    rs = [(r - c).total_seconds() / 60 for c, r in resolved.values_list("created", "resolved_at") if r]
    report.median_first_response_minutes = round(statistics.median(fr), 1) if fr else None
    report.median_resolution_minutes = round(statistics.median(rs), 1) if rs else None
    return report


def this_month() -> date:
    return timezone.localdate().replace(day=1)


@dataclass
class TrendMonth:
    month: date
    opened: int = 0
    resolved: int = 0
    met: int = 0

    @property
    def attainment(self) -> float | None:
        return round(100 * self.met / self.resolved, 1) if self.resolved else None


def get_trend_for_owner(user: Any, owner_id: int, month: date, months: int = 12) -> list[TrendMonth]:
    """Opened, resolved and resolved within SLA per month for the `months` months up to `month`
    (two grouped queries, whatever the number of tickets)."""
    from django.db.models.functions import TruncMonth

    first = month.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    start, _end = month_bounds(first)
    _start, end = month_bounds(month)
    tickets = Ticket.objects.for_user(user).filter(owner_id=owner_id)
    rows = {t.month: t for t in (TrendMonth(m) for m in _months(first, months))}
    opened = (
        tickets.filter(created__gte=start, created__lt=end)
        .annotate(m=TruncMonth("created", tzinfo=STOCKHOLM))
        .values("m")
        .annotate(n=Count("id"))
    )
    for row in opened:
        key = row["m"].date() if hasattr(row["m"], "date") else row["m"]
        if key in rows:
            rows[key].opened = row["n"]
    resolved = (
        tickets.filter(resolved_at__gte=start, resolved_at__lt=end, merged_into__isnull=True)
        .annotate(m=TruncMonth("resolved_at", tzinfo=STOCKHOLM))
        .values("m")
        .annotate(n=Count("id"), met=Count("id", filter=Q(resolution_breached=False)))
    )
    for row in resolved:
        key = row["m"].date() if hasattr(row["m"], "date") else row["m"]
        if key in rows:
            rows[key].resolved, rows[key].met = row["n"], row["met"]
    return list(rows.values())


def _months(first: date, count: int) -> list[date]:
    out, current = [], first
    for _ in range(count):
        out.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return out


def report_workbook(
    report: MonthlyReport, figures: list[tuple[str, Any]], trend: list[TrendMonth], labels: dict[str, str]
) -> bytes:
    """The report as XLSX: key figures, opened by category with a bar chart, and the trend with a chart."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference

    book = Workbook()
    sheet = book.active
    sheet.title = labels["figures"][:31]
    for label, value in figures:
        sheet.append([label, value])
    sheet.column_dimensions["A"].width = 40
    cats = book.create_sheet(labels["categories"][:31])
    cats.append([labels["category"], labels["opened"]])
    for row in report.by_category:
        cats.append(cells.xlsx_row(cats, [row["category__name"] or labels["none"], row["opened"]]))
    if report.by_category:
        chart = BarChart()
        chart.type = "bar"
        chart.title = labels["categories"]
        chart.add_data(
            Reference(cats, min_col=2, min_row=1, max_row=len(report.by_category) + 1), titles_from_data=True
        )
        chart.set_categories(Reference(cats, min_col=1, min_row=2, max_row=len(report.by_category) + 1))
        cats.add_chart(chart, "D2")
    trend_sheet = book.create_sheet(labels["trend"][:31])
    trend_sheet.append([labels["month"], labels["opened"], labels["resolved"], labels["attainment"]])
    for t in trend:
        trend_sheet.append([f"{t.month:%Y-%m}", t.opened, t.resolved, t.attainment])
    line = LineChart()
    line.title = labels["trend"]
    line.add_data(
        Reference(trend_sheet, min_col=2, max_col=3, min_row=1, max_row=len(trend) + 1), titles_from_data=True
    )
    line.set_categories(Reference(trend_sheet, min_col=1, min_row=2, max_row=len(trend) + 1))
    trend_sheet.add_chart(line, "F2")
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
