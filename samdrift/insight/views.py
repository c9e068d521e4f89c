"""Insight's pages: the start page per role, the owner insight page with its drill-down and
exports, the monthly reports, and the operator's insight setting. Thin: authorise, read, render."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from samdrift.billing import services as billing_services
from samdrift.core.access import scope_for
from samdrift.core.audit import record_event_now
from samdrift.core.cells import writer, xlsx_row
from samdrift.core.models import AuditEventType
from samdrift.core.roles import Role
from samdrift.insight import actions, charts
from samdrift.insight.figures import build_owner_insight
from samdrift.insight.forms import InsightSettingsForm
from samdrift.insight.models import INSIGHT_OPERATOR_ROLES, INSIGHT_OWNER_ROLES, InsightSettings, OwnerReport
from samdrift.insight.start import sections_for
from samdrift.tenancy import services as tenancy_services
from samdrift.tenancy.models import Owner


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """The start page: each of the user's roles gets its section of work (an end user the portal)."""
    scope = scope_for(request.user)
    held = scope.all_roles
    if held == frozenset({Role.END_USER}):
        return redirect("sd_portal")
    return render(request, "insight/start.html", {"sections": sections_for(request.user, scope), "held": held})


def insight_owners(user: Any) -> list[Owner]:
    return tenancy_services.get_owners_for_user(user, INSIGHT_OWNER_ROLES, INSIGHT_OPERATOR_ROLES)


def access_insight_owner(user: Any, pk: Any) -> Owner:
    """The owner whose insight `user` may open: 404 alike for missing and not yours."""
    scope = scope_for(user)
    try:
        owner = Owner.objects.get(pk=pk, active=True)
    except (Owner.DoesNotExist, ValueError, TypeError, OverflowError, ValidationError) as exc:
        raise Http404 from exc
    if scope.has_operator_role(INSIGHT_OPERATOR_ROLES) or owner.pk in scope.owner_ids(INSIGHT_OWNER_ROLES):
        return owner
    raise Http404


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Which owner: one owner goes straight to its page; operators choose among all."""
    owners = insight_owners(request.user)
    if not owners:
        raise PermissionDenied
    if len(owners) == 1:  # the page of the one owner, at the menu's own address
        return owner_page(request, owners[0].pk)
    return render(request, "insight/index.html", {"owners": owners})


def _month_param(request: HttpRequest, default: date) -> date:
    raw = request.GET.get("month", "")
    if not raw:
        return default
    try:
        year, month = (int(x) for x in raw.split("-")[:2])
        return date(year, month, 1)
    except (ValueError, TypeError) as exc:
        raise Http404 from exc


@login_required
def owner_page(request: HttpRequest, pk: int) -> HttpResponse:
    owner = access_insight_owner(request.user, pk)
    data = build_owner_insight(request.user, owner)
    months = data.months
    own_cpe = [f.cost_per_employee for f in data.own]
    group_cpe = [f.cost_per_employee for f in data.group]
    own_sla = [f.sla for f in data.own]
    group_sla = [f.sla for f in data.group]
    own_lead = [f.lead_median for f in data.own]
    mine, avg = owner.name, _("Group average")
    context = {
        "owner": owner,
        "d": data,
        "cost_chart": charts.line_chart(
            _("Cost per employee and month"), months, [(mine, own_cpe), (avg, group_cpe)], unit="kr"
        ),
        "cost_rows": charts.chart_rows(
            months, [f.cost for f in data.own], own_cpe, group_cpe, [f.cost_per_pupil for f in data.own]
        ),
        "sla_chart": charts.line_chart(
            _("SLA attainment per month"), months, [(mine, own_sla), (avg, group_sla)], unit="%", decimals=0
        ),
        "sla_rows": charts.chart_rows(
            months, own_sla, group_sla, [f.csat for f in data.own], [f.tickets_per_employee for f in data.own]
        ),
        "lead_chart": charts.line_chart(
            _("Order lead time, median days"),
            months,
            [(_("Median"), own_lead), (_("90th percentile"), [f.lead_p90 for f in data.own])],
            unit=_("days"),
            decimals=0,
        ),
        "lead_rows": charts.chart_rows(
            months, own_lead, [f.lead_p90 for f in data.own], [f.lines_handed_over for f in data.own]
        ),
        "service_chart": charts.bar_chart(
            _("Cost by service"), [(s["label"] or "–", s["value"]) for s in data.services[:12]]
        ),
        "month_param": f"{data.reference.month:%Y-%m}",
        "header_cost": [_("Cost"), _("Per employee"), _("Group average"), _("Per pupil")],
        "header_sla": [_("SLA attainment"), _("Group average"), _("Satisfaction (1–5)"), _("Tickets per employee")],
        "header_lead": [_("Median"), _("90th percentile"), _("Order lines handed over")],
    }
    return render(request, "insight/owner.html", context)


owner_page.model = Owner  # type: ignore[attr-defined]


@login_required
def owner_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """Drill-down: the issued invoice lines behind one month's cost (of a service or cost centre)."""
    owner = access_insight_owner(request.user, pk)
    month = _month_param(request, date.today().replace(day=1))
    service = request.GET.get("service", "")[:60]
    centre_raw = request.GET.get("cost_centre", "")
    centre = int(centre_raw) if centre_raw.isdigit() else None
    lines, total = billing_services.get_issued_lines(
        request.user, owner.pk, month, service_key=service, cost_centre_id=centre
    )
    return render(
        request,
        "insight/lines.html",
        {"owner": owner, "month": month, "lines": lines, "total": total, "shown": len(lines)},
    )


owner_lines.model = Owner  # type: ignore[attr-defined]

EXPORT_HEADER = [
    "month",
    "owner",
    "employees",
    "pupils",
    "cost",
    "cost_per_employee",
    "group_cost_per_employee",
    "tickets_opened",
    "tickets_resolved",
    "sla_attainment_pct",
    "group_sla_attainment_pct",
    "csat_average",
    "order_lines_handed_over",
    "lead_time_median_days",
    "lead_time_p90_days",
    "devices",
    "device_age_months",
    "refresh_due_12_months",
    "refresh_cost",
    "licence_seats",
    "licence_used",
]


def export_rows(data: Any) -> list[list[Any]]:
    rows = []
    for own, group in zip(data.own, data.group, strict=True):
        rows.append(
            [
                own.month.strftime("%Y-%m"),
                data.owner.name,
                own.employees,
                own.pupils,
                own.cost,
                own.cost_per_employee,
                group.cost_per_employee,
                own.tickets_opened,
                own.tickets_resolved,
                own.sla,
                group.sla,
                own.csat,
                own.lines_handed_over,
                own.lead_median,
                own.lead_p90,
                own.devices,
                own.device_age,
                own.refresh_due,
                own.refresh_cost,
                own.licence_seats,
                own.licence_used,
            ]
        )
    return rows


@login_required
def owner_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The 24 months of figures as CSV (`?export=csv`, default) or XLSX (`?export=xlsx`)."""
    owner = access_insight_owner(request.user, pk)
    data = build_owner_insight(request.user, owner)
    fmt = request.GET.get("export") or request.GET.get("format", "csv")
    rows = export_rows(data)
    scope = scope_for(request.user)
    held = sorted(scope.operator_roles & INSIGHT_OPERATOR_ROLES)
    record_event_now(
        request.user,
        held[0] if held else Role.OWNER_VIEWER,
        AuditEventType.EXPORTED,
        owner_id=owner.pk,
        object_type="insight.ownermonth",
        object_repr=f"Insight {owner.name}",
        extra={"format": fmt, "rows": len(rows)},
    )
    filename = f"insight-{owner.municipality_code}"
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Insight")
        sheet.append(EXPORT_HEADER)
        for row in rows:
            sheet.append(xlsx_row(sheet, row))
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    text = io.StringIO()
    w = writer(text, delimiter=";", quoting=csv.QUOTE_MINIMAL)
    w.writerow(EXPORT_HEADER)
    w.writerows(rows)
    response = HttpResponse(text.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


owner_export.model = Owner  # type: ignore[attr-defined]


@login_required
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """A monthly owner report as it was made and mailed."""
    try:
        report = OwnerReport.objects.for_user(request.user).get(pk=pk)
    except (OwnerReport.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="agarrapport-{report.month:%Y-%m}.pdf"'
    return response


report_pdf.model = OwnerReport  # type: ignore[attr-defined]


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """The operator's insight setting (administrators)."""
    if not scope_for(request.user).has_operator_role({Role.ADMIN}):
        raise PermissionDenied
    current = InsightSettings.current()
    form = InsightSettingsForm(request.POST or None, initial={"name_other_owners": current.name_other_owners})
    if request.method == "POST" and form.is_valid():
        actions.do_update_insight_settings(form.cleaned_data, actor=request.user)
        messages.success(request, _("Saved."))
        return redirect(reverse("insight_settings"))
    return render(request, "insight/settings.html", {"form": form})
