"""Asset import pages: upload a file, choose its columns (or a saved mapping), read the dry-run
report row by row while a large file is checked in the background, confirm. Operator staff only.

The views are thin: they authorise, call `samdrift.assets.imports` and render what it stored.
"""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from samdrift.assets import imports
from samdrift.assets.models import AssetImport, AssetImportMapping, AssetImportRow, AssetStatus, ImportState
from samdrift.assets.permissions import may_write
from samdrift.assets.views import AssetsAction
from samdrift.core.access import access_object
from samdrift.core.audit import record_event_now
from samdrift.core.forms import bootstrapify
from samdrift.core.jobs import progress_context
from samdrift.core.models import AuditEventType
from samdrift.core.views import ScopedListView, apply_validation_error, permission_checks
from samdrift.tenancy.models import Owner
from samdrift.tenancy.tables import TABLE_ATTRS

REPORT_PAGE_SIZE = 200
_writer, _creator = permission_checks(may_write)


def _require_importer(request: HttpRequest, owner_id: int | None = None) -> None:
    if not may_write(request.user, "asset", owner_id):
        raise PermissionDenied


# --- list ------------------------------------------------------------------------------------


class AssetImportFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Owner"), queryset=lambda request: Owner.objects.for_user(request.user)
    )
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=ImportState.choices)

    class Meta:
        model = AssetImport
        fields = ["owner", "status"]


class AssetImportTable(tables.Table):
    original_filename = tables.Column(linkify=True)

    class Meta:
        model = AssetImport
        fields = (
            "original_filename",
            "owner",
            "status",
            "row_count",
            "create_count",
            "update_count",
            "error_count",
            "created",
            "created_by",
        )
        attrs = {**TABLE_ATTRS, "aria-label": gettext_lazy("Asset imports")}


class AssetImportList(ScopedListView):
    model = AssetImport
    table_class = AssetImportTable
    filterset_class = AssetImportFilter
    select_related = ("owner", "created_by")
    title = gettext_lazy("Asset imports")
    create_url_name = "assetimport_create"
    may_create = _creator("asset")


class MappingTable(tables.Table):
    delete = tables.TemplateColumn(
        template_name="assets/_mapping_delete.html", verbose_name=gettext_lazy("Remove"), orderable=False
    )

    class Meta:
        model = AssetImportMapping
        fields = ("name", "owner", "created", "created_by")
        attrs = {**TABLE_ATTRS, "aria-label": gettext_lazy("Saved column mappings")}


class MappingFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Owner"), queryset=lambda request: Owner.objects.for_user(request.user)
    )

    class Meta:
        model = AssetImportMapping
        fields = ["owner"]


class MappingList(ScopedListView):
    model = AssetImportMapping

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(active=True)

    table_class = MappingTable
    filterset_class = MappingFilter
    select_related = ("owner", "created_by")
    title = gettext_lazy("Saved column mappings")


class MappingDelete(AssetsAction):
    """Withdraw a saved mapping from the choices (past imports keep showing it)."""

    model = AssetImportMapping

    def perform(self, mapping: AssetImportMapping, data: dict[str, Any]) -> Any:
        imports.do_set_import_mapping_active(mapping, False, actor=self.request.user)
        return _("The mapping %(name)s was removed.") % {"name": mapping.name}

    def redirect_url(self, mapping: AssetImportMapping) -> str:
        return reverse("assetimportmapping_list")


# --- upload ----------------------------------------------------------------------------------


class UploadForm(forms.Form):
    owner = forms.ModelChoiceField(label=gettext_lazy("Owner"), queryset=Owner.objects.none())
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (semicolon or comma separated) or Excel (.xlsx): a supplier's delivery file or an MDM export. "
            "The first row names the columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
    mapping = forms.ModelChoiceField(
        label=gettext_lazy("Saved column mapping"),
        required=False,
        queryset=AssetImportMapping.objects.none(),
        help_text=gettext_lazy("Leave empty to choose the columns after the upload."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Owner.objects.for_user(user).filter(active=True)  # type: ignore[attr-defined]
        mappings = AssetImportMapping.objects.for_user(user).filter(active=True)  # type: ignore[attr-defined]
        self.fields["mapping"].queryset = mappings.select_related("owner")  # type: ignore[attr-defined]
        self.fields["mapping"].label_from_instance = lambda m: (  # type: ignore[attr-defined]
            f"{m.name} ({m.owner.name if m.owner else _('every owner')})"
        )
        bootstrapify(self)

    def full_clean(self) -> None:
        super().full_clean()
        bootstrapify(self)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            batch = imports.do_upload_asset_import(
                form.cleaned_data["owner"],
                form.cleaned_data["file"],
                actor=request.user,
                mapping=form.cleaned_data["mapping"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if batch.mapping is None:
                return HttpResponseRedirect(reverse("assetimport_columns", args=[batch.pk]))
            try:
                imports.check_columns(batch, batch.columns)
            except ValidationError as exc:
                messages.warning(request, " ".join(exc.messages))
                return HttpResponseRedirect(reverse("assetimport_columns", args=[batch.pk]))
            imports.start_check(batch, actor=request.user)
            return HttpResponseRedirect(batch.get_absolute_url())
    return render(request, "assets/import_upload.html", {"form": form, "title": _("Import assets")})


# --- columns ---------------------------------------------------------------------------------


class ColumnsForm(forms.Form):
    default_status = forms.ChoiceField(
        label=gettext_lazy("New devices are registered as"),
        choices=[(AssetStatus.IN_STOCK, AssetStatus.IN_STOCK.label), (AssetStatus.ORDERED, AssetStatus.ORDERED.label)],
    )
    date_order = forms.ChoiceField(
        label=gettext_lazy("Dates written with slashes are"),
        choices=list(imports.DATE_ORDERS.items()),
        help_text=gettext_lazy("ISO dates (2026-03-01) are always read as such."),
    )
    tag_from_serial = forms.BooleanField(
        label=gettext_lazy("Use the serial number as asset tag when the file has none"), required=False
    )
    save_as = forms.CharField(
        label=gettext_lazy("Save these columns as"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("A name to choose the same columns next time; a mapping of the same name is replaced."),
    )
    shared = forms.BooleanField(label=gettext_lazy("Offer the mapping for every owner"), required=False)

    def __init__(self, *args: Any, batch: AssetImport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("(not in the file)")), *((h, h) for h in batch.headers)]
        self.column_fields = []
        for name in imports.FIELDS:
            key = f"col_{name}"
            self.fields[key] = forms.ChoiceField(label=imports.field_label(name), choices=choices, required=False)
            self.column_fields.append(key)
        bootstrapify(self)

    def full_clean(self) -> None:
        super().full_clean()
        bootstrapify(self)

    def columns(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"col_{name}") or "" for name in imports.FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def choose_columns(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access_object(AssetImport, request.user, pk, queryset=AssetImport.objects.select_related("owner"))
    _require_importer(request, batch.owner_id)
    initial = {f"col_{k}": v for k, v in batch.columns.items()}
    initial.update({"default_status": AssetStatus.IN_STOCK, "date_order": "dmy", "tag_from_serial": True})
    initial.update({k: v for k, v in batch.options.items() if k in {"default_status", "date_order", "tag_from_serial"}})
    form = ColumnsForm(request.POST or None, batch=batch, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            batch = imports.do_set_import_columns(
                batch,
                form.columns(),
                {k: form.cleaned_data[k] for k in ("default_status", "date_order", "tag_from_serial")},
                actor=request.user,
                save_as=form.cleaned_data["save_as"],
                shared=form.cleaned_data["shared"],
            )
            imports.start_check(batch, actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return HttpResponseRedirect(batch.get_absolute_url())
    return render(
        request,
        "assets/import_columns.html",
        {"form": form, "batch": batch, "title": _("Choose the columns"), "object": batch},
    )


choose_columns.model = AssetImport  # type: ignore[attr-defined]


# --- detail ----------------------------------------------------------------------------------

FILTERS = {
    "all": None,
    "errors": (imports.ERROR,),
    "changes": (imports.CREATE, imports.UPDATE),
    "unchanged": (imports.UNCHANGED,),
}


def progress_url(batch: AssetImport) -> str:
    return f"{batch.get_absolute_url()}?part=progress"


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access_object(
        AssetImport, request.user, pk, queryset=AssetImport.objects.select_related("owner", "created_by", "mapping")
    )
    if getattr(request, "htmx", False) and request.GET.get("part") == "progress":
        return render(
            request,
            "core/_job_progress.html",
            progress_context(batch, poll_url=progress_url(batch), after="assets/_import_done.html"),
        )
    show = request.GET.get("show") or ("errors" if batch.error_count else "all")
    if show not in FILTERS:
        show = "all"
    rows_qs = AssetImportRow.objects.for_user(request.user).filter(batch=batch)  # type: ignore[attr-defined]
    wanted = FILTERS[show]
    if wanted:
        rows_qs = rows_qs.filter(action__in=wanted)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        after = 0
    rows = list(rows_qs.filter(row__gt=after).order_by("row")[: REPORT_PAGE_SIZE + 1])
    more = len(rows) > REPORT_PAGE_SIZE
    rows = rows[:REPORT_PAGE_SIZE]
    labels = {name: imports.field_label(name) for name in imports.FIELDS}
    for row in rows:
        is_new = row.action == imports.CREATE or all(b is None for b, _a in row.changes.values())
        row.change_list = [  # type: ignore[attr-defined]
            {"label": labels.get(n, n), "before": b, "after": a}
            for n, (b, a) in row.changes.items()
            if not (is_new and a in (None, ""))
        ]
        row.is_new = is_new  # type: ignore[attr-defined]
        row.action_label = imports.ACTION_LABELS.get(row.action, row.action)  # type: ignore[attr-defined]
    counts = {
        "all": batch.row_count,
        "errors": batch.error_count,
        "changes": batch.create_count + batch.update_count,
        "unchanged": batch.unchanged_count,
    }
    context = {
        "batch": batch,
        "object": batch,
        "title": str(batch),
        "rows": rows,
        "next_after": rows[-1].row if more and rows else None,
        "show": show,
        "filters": [
            ("all", _("All rows"), counts["all"]),
            ("errors", _("Errors"), counts["errors"]),
            ("changes", _("New and changed"), counts["changes"]),
            ("unchanged", _("Unchanged"), counts["unchanged"]),
        ],
        "columns": [(imports.field_label(n), batch.columns[n]) for n in imports.FIELDS if batch.columns.get(n)],
        "may_write": may_write(request.user, "asset", batch.owner_id),
        "checked": batch.checked_at is not None,
        "progress_url": progress_url(batch),
    }
    return render(request, "assets/import_detail.html", context)


detail.model = AssetImport  # type: ignore[attr-defined]


def _batch_for_write(request: HttpRequest, pk: int) -> AssetImport:
    batch = access_object(AssetImport, request.user, pk, queryset=AssetImport.objects.select_related("owner"))
    _require_importer(request, batch.owner_id)
    return batch


class _ImportAction(AssetsAction):
    """A POST on an import by operator staff who may change its owner's devices; back to the import."""

    model = AssetImport

    def get_object(self, pk: Any) -> AssetImport:
        return access_object(AssetImport, self.request.user, pk, queryset=AssetImport.objects.select_related("owner"))


class ImportCheck(_ImportAction):
    """Run the dry run again (after fixing the data the file refers to, or after an error)."""

    def perform(self, batch: AssetImport, data: dict[str, Any]) -> Any:
        imports.check_columns(batch, batch.columns)
        imports.start_check(batch, actor=self.request.user)


class ImportCommit(_ImportAction):
    """Confirm the import: every row is written, or none."""

    def perform(self, batch: AssetImport, data: dict[str, Any]) -> Any:
        batch = imports.start_commit(batch, actor=self.request.user)
        if batch.status == ImportState.COMMITTED:
            return _("Imported: %(new)s new and %(changed)s changed.") % {
                "new": batch.create_count,
                "changed": batch.update_count,
            }
        return None


@login_required
@require_GET
def original_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The file as it was uploaded (kept so that every import can be traced and retried)."""
    batch = _batch_for_write(request, pk)
    try:
        handle = batch.file.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    record_event_now(
        request.user,
        imports.importer_role(request.user, batch.owner_id),
        AuditEventType.EXPORTED,
        object_type=batch._meta.label_lower,
        object_id=str(batch.pk),
        object_repr=str(batch)[:200],
        owner_id=batch.owner_id,
        extra={"format": "original file"},
    )
    return FileResponse(handle, as_attachment=True, filename=batch.original_filename)


original_file.model = AssetImport  # type: ignore[attr-defined]
