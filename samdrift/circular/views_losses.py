"""Lost and stolen devices: the loss report form (from the asset), one report, and the list of
loss reports per owner under take-back (exportable like the other take-back lists)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.assets.models import Asset
from samdrift.circular.filters import LossReportFilter
from samdrift.circular.forms import LossForm
from samdrift.circular.losses import do_report_loss, may_report_loss
from samdrift.circular.models import LossReport
from samdrift.circular.tables import LossReportTable
from samdrift.core.access import access_object
from samdrift.core.views import ScopedListView


def _about(model: type) -> Any:
    def mark(view: Any) -> Any:
        view.model = model  # the generic isolation test reads which model <pk> names
        return view

    return mark


class LossList(ScopedListView):
    """Loss reports the user may see: staff all, an owner's viewers their owner's, a reporter their own."""

    model = LossReport
    table_class = LossReportTable
    filterset_class = LossReportFilter
    select_related = ("owner", "asset")
    title = gettext_lazy("Lost and stolen devices")
    export_fields = (
        "number", "owner__name", "asset__asset_tag", "asset__serial_number", "kind", "occurred_on", "place",
        "police_report", "encrypted", "remotely_wiped", "description", "ticket_number", "created",
    )  # fmt: skip


@login_required
@_about(LossReport)
def loss_detail(request: HttpRequest, pk: int) -> HttpResponse:
    loss = access_object(
        LossReport,
        request.user,
        pk,
        queryset=LossReport.objects.select_related("owner", "asset", "reporter_person", "batch_item__batch"),
    )
    return render(request, "circular/loss_detail.html", {"loss": loss, "object": loss})


@login_required
@_about(Asset)
def loss_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Report a device lost or stolen (the asset page links here for those who may)."""
    asset = access_object(Asset, request.user, pk)
    if not may_report_loss(request.user, asset):
        raise PermissionDenied
    form = LossForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            loss = do_report_loss(asset, form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            for field, errors in (
                exc.message_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.messages)]
            ):
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Loss report %(number)s registered.") % {"number": loss.number})
            return HttpResponseRedirect(loss.get_absolute_url())
    title = _("Report %(asset)s lost or stolen") % {"asset": asset.asset_tag}
    status = 400 if form.errors else 200
    return render(request, "core/form.html", {"form": form, "title": title, "object": asset}, status=status)
