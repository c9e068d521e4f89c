"""Records pages: the register, public access requests (search, decide, release package),
the information management plan, disposal, GDPR and the log of reads of marked records.

Thin: authorise (records officers write; records officers and admins read), fetch through the
scoped layer, call one action, render."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from samdrift.core.access import access_object
from samdrift.core.actions import do_record_export
from samdrift.core.jobs import progress_context
from samdrift.core.views import ScopedListView, apply_validation_error
from samdrift.records import actions, archive, package, sources
from samdrift.records.calendar import deadline_flag
from samdrift.records.filters import (
    AccessLogFilter,
    AccessRequestFilter,
    ArchiveExportFilter,
    CaseFilter,
    DisposalBatchFilter,
    GdprRequestFilter,
)
from samdrift.records.forms import (
    ApproveForm,
    ArchiveExportForm,
    AttachmentForm,
    CaseForm,
    DecisionForm,
    GdprForm,
    MarkForm,
    RecordTypeForm,
    RectifyForm,
    RequestForm,
    RestrictForm,
    SearchForm,
)
from samdrift.records.gdpr import restriction_effects
from samdrift.records.models import (
    AccessLogEntry,
    AccessRequest,
    ArchiveExport,
    Attachment,
    BatchStatus,
    Case,
    DisposalBatch,
    GdprRequest,
    RecordType,
    RequestItem,
    RequestStatus,
    SecrecyGround,
    SecrecyMarking,
    StandingMarking,
)
from samdrift.records.tables import (
    AccessLogTable,
    AccessRequestTable,
    ArchiveExportTable,
    CaseTable,
    DisposalBatchTable,
    GdprRequestTable,
)
from samdrift.tenancy.models import Person


def _require_read(user: Any) -> None:
    if not actions.may_read(user):
        raise PermissionDenied


def _require_officer(user: Any) -> None:
    if not actions.is_officer(user):
        raise PermissionDenied


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


class RecordsListView(ScopedListView):
    """A records list: readable by records officers and admins only (403 for everyone else)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            _require_read(request.user)
        return super().dispatch(request, *args, **kwargs)


# --- the register --------------------------------------------------------------------------------


class CaseList(RecordsListView):
    model = Case
    table_class = CaseTable
    filterset_class = CaseFilter
    select_related = ("secrecy_ground",)
    export_fields = ("registration_number", "registered", "direction", "counterparty", "subject", "status")
    title = gettext_lazy("Records register")
    create_url_name = "case_create"
    may_create = staticmethod(actions.is_officer)  # type: ignore[assignment]


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    _require_officer(request.user)
    form = CaseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "file"}
        files = [form.cleaned_data["file"]] if form.cleaned_data.get("file") else []
        try:
            case = actions.do_register_case(data, actor=request.user, files=files)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Registered as %(number)s.") % {"number": case.registration_number})
            return HttpResponseRedirect(case.get_absolute_url())
    return render(request, "core/form.html", {"form": form, "title": _("Register a letter or record")})


@require_GET
@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_object(
        Case, request.user, pk, queryset=Case.objects.select_related("series", "record_type", "secrecy_ground")
    )
    attachments = case.attachments.select_related("secrecy_ground").order_by("created", "id")
    if case.secrecy_ground_id or any(a.secrecy_ground_id for a in attachments):
        rendered = sources.render(ContentType.objects.get_for_model(Case), case)
        actions.log_read(request.user, ContentType.objects.get_for_model(Case), case, rendered, "case_detail")
    linked = None
    if case.content_type_id:
        source = sources.source_for_ct(case.content_type)  # type: ignore[arg-type]
        obj = source.get(case.object_id) if source else None
        linked = obj
    return render(
        request,
        "records/case_detail.html",
        {
            "object": case,
            "attachments": attachments,
            "linked": linked,
            "can_write": actions.is_officer(request.user),
            "attachment_form": AttachmentForm(),
        },
    )


case_detail.model = Case  # type: ignore[attr-defined]


@require_POST
@login_required
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_object(Case, request.user, pk)
    _require_officer(request.user)
    try:
        actions.do_close_case(case, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    return HttpResponseRedirect(case.get_absolute_url())


case_close.model = Case  # type: ignore[attr-defined]


@require_POST
@login_required
def case_hold(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_object(Case, request.user, pk)
    _require_officer(request.user)
    actions.do_set_legal_hold(case, request.POST.get("hold") == "1", actor=request.user)
    return HttpResponseRedirect(case.get_absolute_url())


case_hold.model = Case  # type: ignore[attr-defined]


@require_POST
@login_required
def case_attach(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_object(Case, request.user, pk)
    _require_officer(request.user)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file."))
        return HttpResponseRedirect(case.get_absolute_url())
    try:
        actions.do_add_attachment(
            case, form.cleaned_data["file"], actor=request.user, ground=form.cleaned_data["secrecy_ground"]
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("The file is added."))
    return HttpResponseRedirect(case.get_absolute_url())


case_attach.model = Case  # type: ignore[attr-defined]


@require_GET
@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = access_object(Attachment, request.user, pk, queryset=Attachment.objects.select_related("case"))
    if attachment.secrecy_ground_id:
        actions.do_log_access(
            request.user,
            content_type=ContentType.objects.get_for_model(Attachment),
            object_id=attachment.pk,
            object_repr=f"{attachment.case.registration_number} {attachment.filename}",
            reason="secrecy",
            purpose="attachment_download",
        )
    do_record_export(
        request.user,
        object_type="records.attachment",
        object_id=str(attachment.pk),
        object_repr=attachment.filename,
        extra={"action": "attachment_download"},
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.filename)


attachment_download.model = Attachment  # type: ignore[attr-defined]


# --- public access requests ------------------------------------------------------------------------


class AccessRequestList(RecordsListView):
    model = AccessRequest
    table_class = AccessRequestTable
    filterset_class = AccessRequestFilter
    export_fields = ("reference", "received", "requester_name", "description", "status", "decided_at")
    title = gettext_lazy("Public access requests")
    create_url_name = "accessrequest_create"
    may_create = staticmethod(actions.is_officer)  # type: ignore[assignment]


@login_required
def request_create(request: HttpRequest) -> HttpResponse:
    _require_officer(request.user)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access_request = actions.do_register_request(dict(form.cleaned_data), actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Registered as %(number)s.") % {"number": access_request.reference})
            return HttpResponseRedirect(access_request.get_absolute_url())
    return render(request, "core/form.html", {"form": form, "title": _("Register a request for official records")})


def _search(access_request: AccessRequest, form: SearchForm) -> list[sources.Hit]:
    if not form.is_bound or not form.is_valid() or not form.cleaned_data.get("q"):
        return []
    kinds = form.cleaned_data.get("kinds") or list(sources.SOURCES)
    hits: list[sources.Hit] = []
    for label in kinds:
        source = sources.source_for(label)
        if source is not None:
            hits += source.search(
                form.cleaned_data["q"], form.cleaned_data.get("date_from"), form.cleaned_data.get("date_to")
            )
    return hits


@require_GET
@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = access_object(AccessRequest, request.user, pk)
    items = list(
        access_request.items.select_related("content_type").prefetch_related("grounds").order_by("added", "id")
    )
    searching = "q" in request.GET
    initial = {"date_from": access_request.search_from, "date_to": access_request.search_to}
    form = SearchForm(request.GET if searching else None, initial=initial)
    hits = _search(access_request, form)
    added = {(i.content_type.app_label + "." + i.content_type.model, i.object_id) for i in items}
    return render(
        request,
        "records/request_detail.html",
        {
            "object": access_request,
            "items": items,
            "search_form": form,
            "hits": hits,
            "searching": searching,
            "added": added,
            "flag": deadline_flag(access_request.received, open_=access_request.status == RequestStatus.OPEN),
            "is_open": access_request.status == RequestStatus.OPEN,
            "can_write": actions.is_officer(request.user),
            "all_decided": bool(items) and all(i.decision != "pending" for i in items),
            "sources": sources.SOURCES,
        },
    )


request_detail.model = AccessRequest  # type: ignore[attr-defined]


@require_POST
@login_required
def request_add(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = access_object(AccessRequest, request.user, pk)
    _require_officer(request.user)
    added = 0
    for value in request.POST.getlist("record"):
        label, _sep, object_id = value.partition(":")
        try:
            actions.do_add_request_item(access_request, label, object_id, actor=request.user)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            added += 1
    if added:
        messages.success(request, _("%(count)s records added.") % {"count": added})
    return HttpResponseRedirect(access_request.get_absolute_url())


request_add.model = AccessRequest  # type: ignore[attr-defined]


@require_POST
@login_required
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = access_object(AccessRequest, request.user, pk)
    _require_officer(request.user)
    try:
        actions.do_decide_request(access_request, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("The decision is made."))
    return HttpResponseRedirect(access_request.get_absolute_url())


request_decide.model = AccessRequest  # type: ignore[attr-defined]


@require_POST
@login_required
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = access_object(AccessRequest, request.user, pk)
    _require_officer(request.user)
    try:
        actions.do_withdraw_request(access_request, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    return HttpResponseRedirect(access_request.get_absolute_url())


request_withdraw.model = AccessRequest  # type: ignore[attr-defined]


def _package_ready(request: HttpRequest, access_request: AccessRequest) -> bool:
    if not access_request.items.exclude(decision="pending").exists():
        messages.error(request, _("Decide on the records first."))
        return False
    return True


@require_GET
@login_required
def request_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = access_object(AccessRequest, request.user, pk)
    _require_officer(request.user)
    if not _package_ready(request, access_request):
        return HttpResponseRedirect(access_request.get_absolute_url())
    content = package.release_pdf(access_request)
    actions.record_release_download(access_request, "pdf", actor=request.user)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{package._safe(access_request.reference)}.pdf"'
    return response


request_pdf.model = AccessRequest  # type: ignore[attr-defined]


@require_GET
@login_required
def request_zip(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = access_object(AccessRequest, request.user, pk)
    _require_officer(request.user)
    if not _package_ready(request, access_request):
        return HttpResponseRedirect(access_request.get_absolute_url())
    content = package.release_zip(access_request)
    actions.record_release_download(access_request, "zip", actor=request.user)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{package._safe(access_request.reference)}.zip"'
    return response


request_zip.model = AccessRequest  # type: ignore[attr-defined]


@require_GET
@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One requested record as the records officer assesses it: every part, the marked ones
    highlighted with their ground. The read is logged when anything in it is marked."""
    item = access_object(
        RequestItem, request.user, pk, queryset=RequestItem.objects.select_related("request", "content_type")
    )
    rendered = actions.rendered_item(item)
    if rendered is not None:
        source = sources.source_for_ct(item.content_type)
        obj = source.get(item.object_id) if source else None
        if obj is not None:
            actions.log_read(request.user, item.content_type, obj, rendered, "request_item")
    markings = SecrecyMarking.objects.filter(
        content_type=item.content_type, object_id=item.object_id, lifted_at__isnull=True
    ).select_related("ground", "set_by")
    return render(
        request,
        "records/item_detail.html",
        {
            "object": item,
            "rendered": rendered,
            "markings": markings,
            "decision_form": DecisionForm(initial={"decision": item.decision if item.decision != "pending" else None}),
            "mark_form": MarkForm(),
            "is_open": item.request.status == RequestStatus.OPEN,
            "can_write": actions.is_officer(request.user),
        },
    )


item_detail.model = RequestItem  # type: ignore[attr-defined]


@require_POST
@login_required
def item_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_object(RequestItem, request.user, pk, queryset=RequestItem.objects.select_related("request"))
    _require_officer(request.user)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return HttpResponseRedirect(reverse("requestitem_detail", args=[item.pk]))
    try:
        actions.do_decide_item(
            item,
            form.cleaned_data["decision"],
            actor=request.user,
            grounds=list(form.cleaned_data["grounds"]),
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        _errors(request, exc)
        return HttpResponseRedirect(reverse("requestitem_detail", args=[item.pk]))
    messages.success(request, _("Decided: %(record)s.") % {"record": item.label})
    return HttpResponseRedirect(item.request.get_absolute_url())


item_decide.model = RequestItem  # type: ignore[attr-defined]


@require_POST
@login_required
def item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_object(RequestItem, request.user, pk, queryset=RequestItem.objects.select_related("request"))
    _require_officer(request.user)
    target = item.request.get_absolute_url()
    try:
        actions.do_remove_request_item(item, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    return HttpResponseRedirect(target)


item_remove.model = RequestItem  # type: ignore[attr-defined]


@require_POST
@login_required
def item_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a part of the requested record (or the whole record) as secret."""
    item = access_object(RequestItem, request.user, pk, queryset=RequestItem.objects.select_related("content_type"))
    _require_officer(request.user)
    form = MarkForm(request.POST)
    target = reverse("requestitem_detail", args=[item.pk])
    if not form.is_valid():
        messages.error(request, _("Choose a ground."))
        return HttpResponseRedirect(target)
    try:
        actions.do_mark_secret(
            item.content_type,
            item.object_id,
            form.cleaned_data["ground"],
            actor=request.user,
            field_name=form.cleaned_data["field_name"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Marked."))
    return HttpResponseRedirect(target)


item_mark.model = RequestItem  # type: ignore[attr-defined]


@require_POST
@login_required
def marking_lift(request: HttpRequest, pk: int) -> HttpResponse:
    marking = access_object(SecrecyMarking, request.user, pk)
    _require_officer(request.user)
    try:
        actions.do_lift_marking(marking, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("The marking is lifted."))
    target = str(request.POST.get("next") or "")
    return HttpResponseRedirect(target if target.startswith("/records/") else reverse("records_plan"))


marking_lift.model = SecrecyMarking  # type: ignore[attr-defined]


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


# --- GDPR ---------------------------------------------------------------------------------------


class GdprRequestList(RecordsListView):
    model = GdprRequest
    table_class = GdprRequestTable
    filterset_class = GdprRequestFilter
    select_related = ("handler",)
    title = gettext_lazy("GDPR requests")
    template_name = "records/gdpr_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if actions.is_officer(self.request.user):
            context["gdpr_form"] = GdprForm()
        return context


@require_POST
@login_required
def gdpr_create(request: HttpRequest) -> HttpResponse:
    _require_officer(request.user)
    form = GdprForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a person and the kind of request."))
        return HttpResponseRedirect(reverse("gdprrequest_list"))
    person = Person.objects.for_user(request.user).filter(pk=form.cleaned_data["person"]).first()
    if person is None:
        messages.error(request, _("There is no such person."))
        return HttpResponseRedirect(reverse("gdprrequest_list"))
    kind = form.cleaned_data["kind"]
    if kind == "rectify":  # the corrected values are given on the person's own page
        return HttpResponseRedirect(reverse("gdpr_rectify", args=[person.pk]))
    if kind == "restrict":
        return HttpResponseRedirect(reverse("gdpr_restrict", args=[person.pk]))
    try:
        if kind == "erase":
            gdpr = actions.do_gdpr_erase(person, actor=request.user)
        else:
            gdpr = actions.do_gdpr_extract(person, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
        return HttpResponseRedirect(reverse("gdprrequest_list"))
    return HttpResponseRedirect(gdpr.get_absolute_url())


@require_GET
@login_required
def gdpr_detail(request: HttpRequest, pk: int) -> HttpResponse:
    gdpr = access_object(
        GdprRequest, request.user, pk, queryset=GdprRequest.objects.select_related("person", "handler")
    )
    if request.GET.get("format") == "json":
        do_record_export(
            request.user,
            object_type="records.gdprrequest",
            object_id=str(gdpr.pk),
            object_repr=str(gdpr)[:200],
            extra={"format": "json"},
        )
        response = HttpResponse(json.dumps(gdpr.report, ensure_ascii=False, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{JSON_NAMES.get(gdpr.kind, "gdpr")}-{gdpr.pk}.json"'
        return response
    return render(
        request,
        "records/gdpr_detail.html",
        {"object": gdpr, "report": gdpr.report, "can_write": actions.is_officer(request.user)},
    )


gdpr_detail.model = GdprRequest  # type: ignore[attr-defined]

# File names of the JSON download, in Swedish like the documents they are.
JSON_NAMES = {"extract": "registerutdrag", "rectify": "rattelse", "erase": "radering", "restrict": "begransning"}


def _gdpr_person(request: HttpRequest, pk: int) -> Any:
    _require_officer(request.user)
    return access_object(Person, request.user, pk)


def _log_pupil_read(request: HttpRequest, person: Any, purpose: str) -> None:
    """A page that shows a pupil's data is a read of a pupil's data: logged (who, when, whom)."""
    if not person.is_pupil:
        return
    actions.do_log_access(
        request.user,
        content_type=ContentType.objects.get_for_model(person),
        object_id=person.pk,
        object_repr=f"{person.external_id}",
        reason="pupil",
        purpose=purpose,
    )


@require_http_methods(["GET", "POST"])
@login_required
def gdpr_rectify(request: HttpRequest, pk: int) -> HttpResponse:
    """Rectification (art. 16): the stored values, to be corrected, and a note."""
    person = _gdpr_person(request, pk)
    form = RectifyForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            gdpr = actions.do_gdpr_rectify(
                person, form.changes(), form.cleaned_data.get("note", ""), actor=request.user
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("The corrections are made."))
            return HttpResponseRedirect(gdpr.get_absolute_url())
    if request.method == "GET":
        _log_pupil_read(request, person, "gdpr_rectify")
    return render(request, "records/gdpr_rectify.html", {"form": form, "person": person})


gdpr_rectify.model = Person  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
@login_required
def gdpr_restrict(request: HttpRequest, pk: int) -> HttpResponse:
    """Restriction of processing (art. 18): set it with a reason, or lift it."""
    person = _gdpr_person(request, pk)
    step = "lift" if person.processing_restricted else "restrict"
    form = RestrictForm(request.POST or None, initial={"step": step})
    if request.method == "POST" and form.is_valid():
        do = actions.do_gdpr_restrict if form.cleaned_data["step"] == "restrict" else actions.do_gdpr_lift_restriction
        try:
            gdpr = do(person, form.cleaned_data["reason"], actor=request.user)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):  # restricted or lifted meanwhile: show the page as it is now
                _errors(request, exc)
                return HttpResponseRedirect(request.path)
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                _("Processing is restricted.")
                if gdpr.report.get("action") == "restrict"
                else _("The restriction is lifted."),
            )
            return HttpResponseRedirect(gdpr.get_absolute_url())
    return render(
        request,
        "records/gdpr_restrict.html",
        {"form": form, "person": person, "step": step, "effects": restriction_effects()},
    )


gdpr_restrict.model = Person  # type: ignore[attr-defined]


# --- access log ---------------------------------------------------------------------------------


class AccessLogList(RecordsListView):
    model = AccessLogEntry
    table_class = AccessLogTable
    filterset_class = AccessLogFilter
    select_related = ("content_type",)
    export_fields = ("at", "user_label", "object_repr", "reason", "purpose")
    title = gettext_lazy("Reads of marked records")


# --- archive export -----------------------------------------------------------------------------


class ArchiveExportList(RecordsListView):
    model = ArchiveExport
    table_class = ArchiveExportTable
    filterset_class = ArchiveExportFilter
    select_related = ("record_type", "created_by")
    title = gettext_lazy("Archive exports")
    create_url_name = "archiveexport_create"
    may_create = staticmethod(actions.may_read)  # type: ignore[assignment]


@login_required
def archive_create(request: HttpRequest) -> HttpResponse:
    _require_read(request.user)
    form = ArchiveExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            export = archive.do_start_archive_export(dict(form.cleaned_data), actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return HttpResponseRedirect(export.get_absolute_url())
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("Archive export of closed records")},
    )


@require_GET
@login_required
def archive_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The export's progress; htmx polls the fragment while the package is being built."""
    export = access_object(
        ArchiveExport, request.user, pk, queryset=ArchiveExport.objects.select_related("record_type", "created_by")
    )
    if getattr(request, "htmx", False):
        return render(request, "core/_job_progress.html", progress_context(export, after="records/_archive_done.html"))
    return render(request, "records/archive_detail.html", {"object": export, "export": export})


archive_detail.model = ArchiveExport  # type: ignore[attr-defined]


@require_GET
@login_required
def archive_download(request: HttpRequest, pk: int) -> FileResponse:
    export = access_object(
        ArchiveExport, request.user, pk, queryset=ArchiveExport.objects.select_related("record_type")
    )
    _require_read(request.user)
    return archive.download_response(export, actor=request.user)


archive_download.model = ArchiveExport  # type: ignore[attr-defined]
