"""Purchase orders (confirmations, deliveries, resending) and the ordering reports (lead times, joint procurement)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from samdrift.core import cells
from samdrift.core.access import access_object, scope_for
from samdrift.core.roles import OPERATOR_ROLES
from samdrift.core.views import (
    ScopedListView,
    apply_validation_error,
)
from samdrift.ordering import actions, purchasing, reports
from samdrift.ordering.filters import (
    PurchaseOrderFilter,
)
from samdrift.ordering.forms import (
    ConfirmationFileForm,
    ConfirmForm,
    DeliveryForm,
    LeadTimeForm,
)
from samdrift.ordering.models import (
    LineStatus,
    PurchaseOrder,
)
from samdrift.ordering.permissions import may_write
from samdrift.ordering.tables import (
    PurchaseOrderTable,
)
from samdrift.ordering.views import PurchasingAction, _model


# --- purchase orders ---------------------------------------------------------------------------
class PurchaseOrderList(ScopedListView):
    model, table_class, filterset_class = PurchaseOrder, PurchaseOrderTable, PurchaseOrderFilter
    title = gettext_lazy("Purchase orders")
    select_related = ("owner", "supplier", "agreement")
    export_fields = (
        "id",
        "owner__name",
        "supplier__name",
        "agreement__reference",
        "status",
        "total",
        "created",
        "sent_at",
    )
    template_name = "ordering/purchaseorder_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["may_buy"] = may_write(self.request.user, "purchasing")
        return context


@login_required
@_model(PurchaseOrder)
def purchaseorder_detail(request: HttpRequest, pk: int) -> HttpResponse:
    po = access_object(
        PurchaseOrder,
        request.user,
        pk,
        queryset=PurchaseOrder.objects.select_related("supplier", "agreement", "order", "owner"),
    )
    may_buy = may_write(request.user, "purchasing", po.owner_id)
    return render(
        request,
        "ordering/purchaseorder_detail.html",
        {
            "object": po,
            "lines": po.lines.select_related("order_line__recipient").order_by("id"),
            "deliveries": po.deliveries.prefetch_related("units__asset").order_by("id"),
            "may_buy": may_buy,
            "confirm_form": ConfirmForm(),
            # Its own ids: the delivery form on the same page has a `file` field too.
            "confirmation_form": ConfirmationFileForm(auto_id="confirmation_%s"),
            "delivery_form": DeliveryForm(initial={"delivered_on": actions.today()}),
        },
    )


@login_required
@_model(PurchaseOrder)
def purchaseorder_file(request: HttpRequest, pk: int) -> HttpResponse:
    po = access_object(PurchaseOrder, request.user, pk)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    content = purchasing.purchase_order_file(po, fmt)
    mime = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(content, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{po.number}.{fmt}"'
    return response


class _PurchaseOrderAction(PurchasingAction):
    """A POST on a purchase order by purchasing staff of its owner; back to the order."""

    model = PurchaseOrder


class PurchaseOrderConfirm(_PurchaseOrderAction):
    """The supplier's confirmation, registered by hand (its reference optional)."""

    def perform(self, po: PurchaseOrder, data: dict[str, Any]) -> Any:
        form = ConfirmForm(self.request.POST)
        form.is_valid()
        reference = form.cleaned_data.get("supplier_reference", "")
        purchasing.do_confirm_purchase_order(po, reference, actor=self.request.user)
        return _("The confirmation has been registered.")


@login_required
@_model(PurchaseOrder)
def purchaseorder_confirm_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The supplier's confirmation of this purchase order, as a file (posted from its page)."""
    po = access_object(PurchaseOrder, request.user, pk)
    if not may_write(request.user, "purchasing", po.owner_id):
        raise PermissionDenied
    return _confirmation_upload(request, po)


@login_required
def purchaseorder_confirmations(request: HttpRequest) -> HttpResponse:
    """Suppliers' order confirmations for many purchase orders in one file."""
    if not may_write(request.user, "purchasing"):
        raise PermissionDenied
    return _confirmation_upload(request, None)


def _confirmation_upload(request: HttpRequest, po: PurchaseOrder | None) -> HttpResponse:
    form = ConfirmationFileForm(request.POST or None, request.FILES or None)
    # "Check the file" (a dry run): the row-by-row report on this page; nothing is registered.
    dry_run = "dry_run" in request.POST
    check = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = purchasing.do_import_confirmations(
                upload.read(), upload.name, actor=request.user, purchase_order=po, dry_run=dry_run
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if not dry_run:
                n = len(result.purchase_orders)
                messages.success(
                    request,
                    ngettext("%(n)s purchase order confirmed.", "%(n)s purchase orders confirmed.", n) % {"n": n},
                )
                return HttpResponseRedirect(po.get_absolute_url() if po else reverse("purchaseorder_list"))
            check = result
            form = ConfirmationFileForm()  # a file is not kept: it is chosen again to register it
    return render(
        request,
        "ordering/confirmation_import.html",
        {
            "form": form,
            "object": po,
            "title": _("Register confirmation by file") if po else _("Import order confirmations"),
            "check": check,
            **(_check_context(check.rows, check.error_count) if check else {}),
        },
    )


REPORT_PAGE_ROWS = 2000  # rows without errors shown on a check's page; every row with errors is shown


def _check_context(rows: list[Any], error_count: int) -> dict[str, Any]:
    """A dry run's report for its page: the rows shown, and every error linked to its row."""
    shown = [r for i, r in enumerate(rows) if r.errors or i < REPORT_PAGE_ROWS]
    problems = [(r.row, e) for r in rows for e in r.errors]
    return {
        "report_rows": shown,
        "report_total": len(rows),
        "report_hidden": len(rows) - len(shown),
        "report_errors": error_count,
        "report_problems": problems[: purchasing.MAX_ERRORS],
        "report_more": max(len(problems) - purchasing.MAX_ERRORS, 0),
    }


class PurchaseOrderDeliver(_PurchaseOrderAction):
    """A delivery of units (typed, or a supplier's file), or with "Check the file" its report unit by
    unit without registering anything."""

    form_class = DeliveryForm

    def perform(self, po: PurchaseOrder, data: dict[str, Any]) -> Any:
        upload = data.get("file")
        if upload:
            rows = purchasing.parse_delivery_file(upload.read(), upload.name)
            units, filename = [(a, s) for _n, a, s in rows], upload.name
            numbers = [n for n, _a, _s in rows]
        else:
            units, numbers = [], []
            for n, line in enumerate((data.get("units") or "").splitlines(), start=1):
                parts = line.replace(";", " ").split()
                if parts:
                    units.append((parts[0], parts[1] if len(parts) > 1 else ""))
                    numbers.append(n)
            filename = ""
        if "dry_run" in self.request.POST:
            # "Check the file": the report unit by unit; nothing is registered.
            check = purchasing.check_delivery(po, units, actor=self.request.user, rows=numbers)
            return render(
                self.request,
                "ordering/delivery_check.html",
                {
                    "object": po,
                    "check": check,
                    "filename": filename,
                    # The typed units and the date stay; a file cannot be chosen again for the user.
                    "delivery_form": DeliveryForm(
                        initial={"units": data.get("units"), "delivered_on": data["delivered_on"]}
                    ),
                    **_check_context(check.rows, check.error_count),
                },
            )
        purchasing.do_register_delivery(
            po, units, actor=self.request.user, delivered_on=data["delivered_on"], filename=filename, rows=numbers
        )
        return _("The delivery has been registered.")


class PurchaseOrderResend(_PurchaseOrderAction):
    def perform(self, po: PurchaseOrder, data: dict[str, Any]) -> Any:
        purchasing.do_resend_purchase_order(po, actor=self.request.user)
        return _("The purchase order is being sent again.")


# --- reports -----------------------------------------------------------------------------------
@login_required
def lead_time_report(request: HttpRequest) -> HttpResponse:
    if not reports.may_see_lead_times(request.user):
        raise PermissionDenied
    form = LeadTimeForm(request.GET or None, user=request.user)
    since, owner = form.chosen_since(), form.chosen_owner()
    # Someone who sees several owners gets every owner's months combined on screen (pick one to
    # see its own); the CSV always has a row per owner and month.
    csv = request.GET.get("export") == "csv"
    combine = owner is None and form.sees_several_owners and not csv
    rows = reports.lead_times(request.user, since, owner.pk if owner else None, combine_owners=combine)
    labels = [
        _("Approval"), pgettext("lead-time stage", "Ordering"), _("Confirmation"), _("Delivery"), _("Hand-over"),
        _("In total"),
    ]  # fmt: skip
    if request.GET.get("export") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="lead-times.csv"'
        response.write("\ufeff")
        writer = cells.writer(response, delimiter=";")
        writer.writerow(
            [_("Owner"), _("Month"), _("Lines")] + [f"{lb} {k}" for lb in labels for k in ("median", "p90")]
        )
        for r in rows:
            writer.writerow(
                [r["owner"], r["month"], r["lines"]] + [v for s in r["stages"] for v in (s["median"], s["p90"])]
            )
        return response
    # The chart: per row one bar of the five stages' medians end to end, to the same scale.
    top = max((sum(st["median"] or 0 for st in r["stages"][:-1]) for r in rows), default=0) or 1
    for r in rows:
        r["segments"] = [
            {"n": i, "label": label, "median": st["median"], "width": round((st["median"] or 0) * 100 / top, 2)}
            for i, (label, st) in enumerate(zip(labels[:-1], r["stages"][:-1], strict=True))
        ]
        r["stage_values"] = list(zip(labels, r["stages"], strict=True))
    return render(
        request,
        "ordering/lead_times.html",
        {
            "rows": rows,
            "labels": labels,
            "stage_labels": labels[:-1],
            "since": since,
            "form": form,
            "combined": combine,
            "owner": owner,
        },
    )


@login_required
def joint_procurement(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.has_operator_role(OPERATOR_ROLES):
        raise PermissionDenied
    return render(request, "ordering/joint_procurement.html", {"rows": reports.joint_procurement(request.user)})


@login_required
def purchase_approved(request: HttpRequest) -> HttpResponse:
    """POST: purchase orders for every approved order now (the scheduler also does it hourly)."""
    if not may_write(request.user, "purchasing"):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseRedirect(reverse("purchaseorder_list"))
    result = purchasing.bulk_create_purchase_orders(actor=request.user)
    messages.success(request, _("%(n)s purchase order(s) created and sent.") % {"n": len(result.purchase_orders)})
    for reason in result.refused.values():
        messages.error(request, reason)
    return HttpResponseRedirect(reverse("purchaseorder_list"))


# Line statuses a template may compare with.
LINE_DELIVERED = LineStatus.DELIVERED
