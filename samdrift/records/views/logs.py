"""The log of reads of marked records and the archive exports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from samdrift.core.access import access_object
from samdrift.core.jobs import progress_context
from samdrift.core.views import apply_validation_error
from samdrift.records import actions, archive
from samdrift.records.filters import AccessLogFilter, ArchiveExportFilter
from samdrift.records.forms import ArchiveExportForm
from samdrift.records.models import AccessLogEntry, ArchiveExport
from samdrift.records.tables import AccessLogTable, ArchiveExportTable
from samdrift.records.views.base import RecordsListView, _require_read

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
            messages.success(request, _("The archive export has started; this page shows its progress."))
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
