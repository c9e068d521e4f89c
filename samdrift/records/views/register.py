"""The register's pages: cases, their legal hold and attachments."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from samdrift.core.access import access_object
from samdrift.core.actions import do_record_export
from samdrift.core.views import apply_validation_error
from samdrift.records import actions, sources
from samdrift.records.filters import CaseFilter
from samdrift.records.forms import AttachmentForm, CaseForm, CaseHoldForm
from samdrift.records.models import Attachment, Case, holds_on
from samdrift.records.tables import CaseTable
from samdrift.records.views.base import OfficerActionView, RecordsListView, _require_officer


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
            "holds": list(holds_on(case).select_related("set_by")),
            "hold_form": CaseHoldForm(initial={"hold": "1"}),
        },
    )


case_detail.model = Case  # type: ignore[attr-defined]


class CaseClose(OfficerActionView):
    model = Case

    def perform(self, case: Case, data: dict[str, Any]) -> str:
        actions.do_close_case(case, actor=self.request.user)
        return _("The register entry is closed.")


class CaseHold(OfficerActionView):
    """The entry's legal hold button: set a hold with its reason, or release its active holds."""

    model = Case
    form_class = CaseHoldForm

    def perform(self, case: Case, data: dict[str, Any]) -> str:
        if data["hold"]:
            actions.do_set_hold(
                ContentType.objects.get_for_model(Case), case.pk, data["reason"], actor=self.request.user
            )
            return _("The register entry is under legal hold.")
        actions.do_release_holds_on(case, actor=self.request.user)
        return _("The legal hold is lifted.")


class CaseAttach(OfficerActionView):
    model = Case
    form_class = AttachmentForm
    invalid_message = gettext_lazy("Choose a file.")

    def perform(self, case: Case, data: dict[str, Any]) -> str:
        actions.do_add_attachment(case, data["file"], actor=self.request.user, ground=data["secrecy_ground"])
        return _("The file is added.")


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
