"""CO2e avoided per owner, year and outcome, with the factors and their sources; on the owner's
take-back page and as CSV/XLSX. Every figure is the sum of the per-device figures stored when the
report was applied, so it matches the factors they were computed with."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from samdrift.circular.models import BatchItem, Co2eFactor, ItemState, Outcome
from samdrift.core import cells
from samdrift.core.actions import do_record_export
from samdrift.tenancy.models import Owner


def climate_rows(items: Any) -> list[dict[str, Any]]:
    """Per owner, year (of closing, Swedish time) and outcome: devices, kg CO2e avoided, residual
    value, and the factors used with their sources (one query)."""
    rows = (
        items.filter(state=ItemState.ERASED, closed_at__isnull=False)
        .annotate(year=ExtractYear("closed_at"))
        .values("owner_id", "owner__name", "year", "outcome", "co2e_factor", "co2e_source")
        .annotate(devices=Count("id"), co2e=Sum("co2e_avoided_kg"), value=Sum("residual_value"))
        .order_by("owner__name", "-year", "outcome", "co2e_factor")
    )
    labels = dict(Outcome.choices)
    return [{**r, "outcome_label": labels.get(r["outcome"], r["outcome"])} for r in rows]


HEADERS = ("owner", "year", "outcome", "devices", "kg_co2e_avoided", "factor", "source", "residual_value_sek")


def _export(rows: list[dict[str, Any]], fmt: str) -> HttpResponse:
    data = [
        [r["owner__name"], r["year"], str(r["outcome_label"]), r["devices"], r["co2e"], r["co2e_factor"], r["co2e_source"], r["value"]]
        for r in rows
    ]  # fmt: skip
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("co2e")
        sheet.append(list(HEADERS))
        for row in data:
            sheet.append(cells.xlsx_row(sheet, row))
        buffer = BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.write("\ufeff")
        writer = cells.writer(response, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows(data)
    response["Content-Disposition"] = f'attachment; filename="aterta-co2e.{fmt}"'
    return response


@login_required
def climate(request: HttpRequest) -> HttpResponse:
    items = BatchItem.objects.for_user(request.user)
    owners = list(Owner.objects.for_user(request.user).filter(active=True).order_by("name"))  # type: ignore[attr-defined]
    owner_id = request.GET.get("owner", "")
    if owner_id.isdigit():
        items = items.filter(owner_id=int(owner_id))
    rows = climate_rows(items)
    fmt = request.GET.get("export")
    if fmt in {"csv", "xlsx"}:
        do_record_export(
            request.user, object_type="circular.batchitem",
            owner_id=next((o.pk for o in owners if str(o.pk) == owner_id), None),
            extra={"format": fmt, "rows": len(rows), "report": "co2e", "owner": owner_id},
        )  # fmt: skip
        return _export(rows, fmt)
    totals: dict[tuple[int, int], dict[str, Any]] = {}
    for r in rows:
        t = totals.setdefault(
            (r["owner_id"], r["year"]),
            {"owner": r["owner__name"], "year": r["year"], "devices": 0, "co2e": 0, "value": 0},
        )
        t["devices"] += r["devices"]
        t["co2e"] += r["co2e"] or 0
        t["value"] += r["value"] or 0
    return render(
        request,
        "circular/climate.html",
        {
            "title": _("Take-back and climate"),
            "rows": rows,
            "totals": list(totals.values()),
            "owners": owners,
            "owner_id": owner_id,
            "factors": list(Co2eFactor.objects.order_by("category")),
        },
    )
