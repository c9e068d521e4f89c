"""Import pages: upload a file, read its dry-run report row by row, confirm. Administrators only.

The views are thin: they authorise, call `samdrift.tenancy.imports` and render its stored report.
"""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from samdrift.core.access import access_object
from samdrift.core.audit import record_event_now
from samdrift.core.forms import bootstrapify
from samdrift.core.jobs import progress_context
from samdrift.core.models import AuditEventType
from samdrift.core.views import apply_validation_error
from samdrift.tenancy import imports
from samdrift.tenancy.models import ImportBatch, ImportKind, ImportStatus, OrgUnitKind, PersonKind
from samdrift.tenancy.permissions import may_write

REPORT_PAGE_SIZE = 200


def progress_url(batch: ImportBatch) -> str:
    return f"{batch.get_absolute_url()}?part=progress"


class ImportAccessMixin(LoginRequiredMixin):
    """Only those who may import reach these pages; others get 403 before anything is fetched."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not may_write(request.user, "import"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("The file holds"),
        choices=[("", "---------"), *ImportKind.choices],
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (semicolon or comma separated) or Excel (.xlsx). The first row names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def full_clean(self) -> None:
        super().full_clean()
        bootstrapify(self)


class ImportList(ImportAccessMixin, ListView):
    model = ImportBatch
    template_name = "tenancy/import_list.html"
    paginate_by = 50

    def get_queryset(self) -> Any:
        return ImportBatch.objects.for_user(self.request.user).select_related("created_by").order_by("-id")


class ImportUpload(ImportAccessMixin, FormView):
    form_class = ImportUploadForm
    template_name = "tenancy/import_upload.html"

    def get_initial(self) -> dict[str, Any]:
        kind = self.request.GET.get("kind")
        return {"kind": kind} if kind in ImportKind.values else {}

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            batch = imports.do_upload_import(
                form.cleaned_data["kind"], form.cleaned_data["file"], actor=self.request.user
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.form_invalid(form)
        batch = imports.start_check(batch, actor=self.request.user)
        if batch.is_running:
            messages.info(self.request, _("The dry run runs in the background; this page shows its progress."))
        elif batch.status == ImportStatus.VALIDATED:
            messages.success(self.request, _("The dry run found no errors. Read the report and confirm the import."))
        else:
            messages.warning(self.request, _("The dry run found errors. Nothing has been imported."))
        return HttpResponseRedirect(reverse("import_detail", args=[batch.pk]))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["kinds"] = [
            {
                "value": kind,
                "label": label,
                "columns": [
                    {"name": c, "swedish": imports.SWEDISH_HEADERS[c], "required": c in imports.REQUIRED[kind]}
                    for c in imports.COLUMNS[kind]
                ],
            }
            for kind, label in ImportKind.choices
        ]
        return context


def _display(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return str(value)


class ImportDetail(ImportAccessMixin, DetailView):
    model = ImportBatch
    template_name = "tenancy/import_detail.html"
    context_object_name = "batch"

    FILTERS = {
        "all": None,
        "errors": (imports.ERROR,),
        "changes": (imports.CREATE, imports.UPDATE),
        "unchanged": (imports.UNCHANGED,),
    }

    def get_object(self, queryset: Any = None) -> ImportBatch:
        return access_object(ImportBatch, self.request.user, self.kwargs["pk"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "htmx", False) and request.GET.get("part") == "progress":
            batch = self.get_object()
            return render(
                request,
                "core/_job_progress.html",
                progress_context(batch, poll_url=progress_url(batch), after="tenancy/_import_done.html"),
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        batch: ImportBatch = self.object
        report = batch.report or {}
        show = self.request.GET.get("show") or ("errors" if batch.error_count else "all")
        if show not in self.FILTERS:
            show = "all"
        rows = list(imports.iter_report_rows(report, only=self.FILTERS[show]))
        page = Paginator(rows, REPORT_PAGE_SIZE).get_page(self.request.GET.get("page"))
        labels = {name: imports.column_label(name) for name in imports.SWEDISH_HEADERS}
        choice_labels = {**dict(OrgUnitKind.choices), **dict(PersonKind.choices)}
        action_labels = {
            imports.CREATE: pgettext("import row", "New"),
            imports.UPDATE: pgettext("import row", "Changed"),
            imports.UNCHANGED: pgettext("import row", "Unchanged"),
            imports.ERROR: pgettext("import row", "Error"),
        }
        display_rows = []
        for row in page.object_list:
            changes = []
            # A row not yet in the database (new, or failing before it could be) lists its values.
            is_new = all(before is None for before, _after in row.get("changes", {}).values())
            for name, (before, after) in row.get("changes", {}).items():
                if is_new and after in (None, ""):
                    continue
                if name == "kind":
                    before, after = choice_labels.get(before, before), choice_labels.get(after, after)
                changes.append({"label": labels.get(name, name), "before": _display(before), "after": _display(after)})
            display_rows.append(
                {
                    **row,
                    "action_label": action_labels.get(row.get("action", ""), row.get("action", "")),
                    "change_list": changes,
                    "is_new": is_new,
                }
            )
        counts = report.get("counts", {})
        context.update(
            {
                "title": str(batch),
                "report": report,
                "page": page,
                "rows": display_rows,
                "show": show,
                "filters": [
                    ("all", _("All rows"), counts.get("rows", 0)),
                    ("errors", _("Errors"), counts.get(imports.ERROR, 0)),
                    ("changes", _("New and changed"), counts.get(imports.CREATE, 0) + counts.get(imports.UPDATE, 0)),
                    ("unchanged", _("Unchanged"), counts.get(imports.UNCHANGED, 0)),
                ],
                "may_commit": batch.may_commit,
                "may_check": batch.status != ImportStatus.COMMITTED and not batch.is_running,
                "progress_url": progress_url(batch),
            }
        )
        return context


class ImportCheck(ImportAccessMixin, View):
    """POST: run the dry run again (after fixing data the file refers to, or after an error)."""

    model = ImportBatch
    http_method_names = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = access_object(ImportBatch, request.user, pk)
        try:
            batch = imports.start_check(batch, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if batch.is_running:
                messages.info(request, _("The dry run runs in the background; this page shows its progress."))
            else:
                messages.info(request, _("The dry run has been run again."))
        return HttpResponseRedirect(reverse("import_detail", args=[batch.pk]))


class ImportCommit(ImportAccessMixin, View):
    """POST: confirm the import; every row is written, or none."""

    model = ImportBatch
    http_method_names = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = access_object(ImportBatch, request.user, pk)
        try:
            batch = imports.start_commit(batch, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if batch.is_running:
                messages.info(request, _("The import runs in the background; this page shows its progress."))
                return HttpResponseRedirect(reverse("import_detail", args=[batch.pk]))
            messages.success(
                request,
                _("Imported: %(new)s new and %(changed)s changed.")
                % {"new": batch.create_count, "changed": batch.update_count},
            )
        return HttpResponseRedirect(reverse("import_detail", args=[batch.pk]))


class ImportFile(ImportAccessMixin, View):
    """GET: the file as it was uploaded (kept so that every import can be traced and retried)."""

    model = ImportBatch
    http_method_names = ["get"]  # type: ignore[misc]

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        batch = access_object(ImportBatch, request.user, pk)
        try:
            handle = batch.file.open("rb")
        except (OSError, ValueError) as exc:
            raise Http404 from exc
        record_event_now(
            request.user,
            "admin",
            AuditEventType.EXPORTED,
            object_type=batch._meta.label_lower,
            object_id=str(batch.pk),
            object_repr=str(batch)[:200],
            extra={"format": "original file"},
        )
        return FileResponse(handle, as_attachment=True, filename=batch.original_filename)


class ImportTemplate(ImportAccessMixin, View):
    """GET: an empty CSV with the column names of one kind, in the user's language."""

    http_method_names = ["get"]  # type: ignore[misc]

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        if kind not in ImportKind.values:
            raise Http404
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        filename = {"org_units": "enheter", "cost_centres": "kostnadsstallen", "people": "personer"}[kind]
        response["Content-Disposition"] = f'attachment; filename="mall-{filename}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
        csv.writer(response, delimiter=";").writerow(imports.template_headers(kind, get_language() or "sv"))
        return response
