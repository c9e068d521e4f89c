"""The information management plan (secrecy grounds, record types) and disposal batches."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from samdrift.core.access import access_object
from samdrift.core.views import apply_validation_error
from samdrift.records import actions
from samdrift.records.filters import DisposalBatchFilter
from samdrift.records.forms import ApproveForm, RecordTypeForm
from samdrift.records.models import BatchStatus, DisposalBatch, RecordType, SecrecyGround, StandingMarking
from samdrift.records.tables import DisposalBatchTable
from samdrift.records.views.base import RecordsListView, _errors, _require_officer, _require_read

# --- information management plan ---------------------------------------------------------------


@require_GET
@login_required
def plan(request: HttpRequest) -> HttpResponse:
    _require_read(request.user)
    return render(
        request,
        "records/plan.html",
        {
            "types": RecordType.objects.select_related("content_type").order_by("name", "id"),
            "grounds": SecrecyGround.objects.order_by("reference"),
            "standing": StandingMarking.objects.select_related("content_type", "ground").order_by("id"),
            "can_write": actions.is_officer(request.user),
        },
    )


@require_GET
@login_required
def ground_list(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse("records_plan") + "#grounds")


@login_required
def recordtype_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record_type = access_object(RecordType, request.user, pk)
    can_write = actions.is_officer(request.user)
    initial = {f: getattr(record_type, f) for f in RecordTypeForm.base_fields}
    form = RecordTypeForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        if form.is_valid():
            try:
                actions.do_update_record_type(record_type, dict(form.cleaned_data), actor=request.user)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(record_type.get_absolute_url())
    return render(
        request, "records/recordtype_detail.html", {"object": record_type, "form": form, "can_write": can_write}
    )


recordtype_detail.model = RecordType  # type: ignore[attr-defined]


# --- disposal -----------------------------------------------------------------------------------


class DisposalBatchList(RecordsListView):
    model = DisposalBatch
    table_class = DisposalBatchTable
    filterset_class = DisposalBatchFilter
    select_related = ("record_type", "approved_by")
    title = gettext_lazy("Disposal batches")
    template_name = "records/disposal_list.html"


@require_POST
@login_required
def disposal_propose(request: HttpRequest) -> HttpResponse:
    _require_officer(request.user)
    proposed = 0
    for record_type in RecordType.objects.filter(active=True, keep=False).select_related("content_type"):
        if actions.propose_disposal(record_type, actor=request.user) is not None:
            proposed += 1
    if proposed:
        messages.success(request, _("%(count)s batches proposed.") % {"count": proposed})
    else:
        messages.info(request, _("Nothing is past retention under a decided rule."))
    return HttpResponseRedirect(reverse("disposalbatch_list"))


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access_object(
        DisposalBatch, request.user, pk, queryset=DisposalBatch.objects.select_related("record_type", "approved_by")
    )
    if request.method == "POST":
        _require_officer(request.user)
        step = request.POST.get("step")
        try:
            if step == "approve":
                form = ApproveForm(request.POST)
                actions.do_approve_batch(batch, form.data.get("decision", ""), actor=request.user)
                messages.success(request, _("The batch is approved."))
            elif step == "execute":
                actions.do_execute_batch(batch, actor=request.user)
                messages.success(request, _("The records are disposed of."))
            elif step == "reject":
                actions.do_reject_batch(batch, actor=request.user)
                messages.success(request, _("The batch is rejected."))
            else:
                messages.error(request, _("Unknown step."))
        except ValidationError as exc:
            _errors(request, exc)
        return HttpResponseRedirect(batch.get_absolute_url())
    items = batch.items.order_by("id")[:500]
    return render(
        request,
        "records/batch_detail.html",
        {
            "object": batch,
            "items": items,
            "approve_form": ApproveForm(initial={"decision": batch.record_type.decision}),
            "can_write": actions.is_officer(request.user),
            "statuses": BatchStatus,
        },
    )


batch_detail.model = DisposalBatch  # type: ignore[attr-defined]
