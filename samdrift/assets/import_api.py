"""The asset import API (`/api/v1/asset-imports/`, `/api/v1/asset-import-mappings/`).

The same flow as the import pages (`samdrift.assets.import_views`): upload a file, choose its
columns (or name a saved mapping), run the dry run, read the row-by-row report, commit. Every
step calls the functions of `samdrift.assets.imports`; nothing here reads a file or checks a row.
Reads go through the scoped layer (operator staff see imports; a missing and a forbidden import
are both 404), writes need the right to write assets for the import's owner, as in the UI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from samdrift.assets import imports
from samdrift.assets.import_views import AssetImportFilter
from samdrift.assets.models import AssetImport, AssetImportMapping, AssetImportRow, AssetStatus
from samdrift.assets.permissions import may_write
from samdrift.core import parsers as nul_free
from samdrift.core.access import access_object
from samdrift.core.api import ERRORS, ScopedSerializer, ScopedViewSet
from samdrift.core.drf import Pagination
from samdrift.tenancy.models import Owner

INVALID_CURSOR = OpenApiResponse(description="The cursor is not one this list gave out.")
OUTCOMES = [
    (imports.CREATE, "create"),
    (imports.UPDATE, "update"),
    (imports.UNCHANGED, "unchanged"),
    (imports.ERROR, "error"),
]


# --- column mapping and options ----------------------------------------------------------------


class _Closed(serializers.Serializer):
    """A JSON object whose keys are fixed: an unknown key is an error, not silently ignored."""

    unknown_message = _("Unknown key “%(key)s”. Allowed: %(allowed)s.")

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(k) for k in data if k not in self.fields)
            if unknown:
                allowed = ", ".join(self.fields)
                raise serializers.ValidationError(
                    {key: [self.unknown_message % {"key": key, "allowed": allowed}] for key in unknown}
                )
        return super().to_internal_value(data)


class AssetImportColumnsSerializer(_Closed):
    """Which column of the file (by its header) holds which asset field."""

    unknown_message = _("Unknown field “%(key)s”. The fields are: %(allowed)s.")

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            name: serializers.CharField(
                required=False, allow_blank=True, max_length=255, help_text=imports.field_label(name)
            )
            for name in imports.FIELDS
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {name: header for name, header in attrs.items() if header}


class AssetImportOptionsSerializer(_Closed):
    default_status = serializers.ChoiceField(
        choices=[AssetStatus.IN_STOCK, AssetStatus.ORDERED],
        default=AssetStatus.IN_STOCK,
        help_text="How new devices are registered.",
    )
    date_order = serializers.ChoiceField(
        choices=list(imports.DATE_ORDERS),
        default="dmy",
        help_text="How dates written with slashes are read (ISO dates are always read as such).",
    )
    tag_from_serial = serializers.BooleanField(
        default=True, help_text="Use the serial number as the asset tag when the file has none."
    )


def default_options() -> dict[str, Any]:
    """The options when none are given: those the columns page starts with."""
    return dict(AssetImportOptionsSerializer().run_validation({}))


@extend_schema_field(
    {
        "type": "string",
        "description": "A JSON object, as text (multipart form field).",
        "example": '{"serial_number": "Serienummer", "model": "Modell"}',
    }
)
class _JsonText(serializers.JSONField):
    """A JSON object sent as the text of a multipart form field, checked by `inner`."""

    def __init__(self, inner: type[serializers.Serializer], **kwargs: Any) -> None:
        self.inner = inner
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError(_("Not valid JSON.")) from None
        if not isinstance(data, dict):
            raise serializers.ValidationError(_("Expected a JSON object."))
        inner = self.inner(data=data)
        inner.is_valid(raise_exception=True)
        return inner.validated_data


class ColumnsInputSerializer(serializers.Serializer):
    columns = AssetImportColumnsSerializer(
        help_text="{field: header in the file}; a field left out is not imported. The serial number "
        "or the asset tag is required: rows are matched by them."
    )
    options = AssetImportOptionsSerializer(required=False)
    save_as = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Keep the choice as a saved mapping of this name (a mapping of the same name is replaced).",
    )
    shared = serializers.BooleanField(default=False, help_text="Save the mapping for every owner.")


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True, help_text="CSV (; , or tab separated) or Excel (.xlsx); the first row names the columns."
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=Owner.objects.none(), help_text="The owner the assets belong to."
    )
    mapping = serializers.PrimaryKeyRelatedField(
        queryset=AssetImportMapping.objects.none(),
        required=False,
        allow_null=True,
        help_text="A saved column mapping; the file is then checked at once.",
    )
    columns = _JsonText(
        AssetImportColumnsSerializer,
        required=False,
        help_text="Instead of `mapping`: the columns as a JSON object {field: header}; the file is then checked at once.",
    )
    options = _JsonText(
        AssetImportOptionsSerializer,
        required=False,
        help_text='With `columns`: options as a JSON object, e.g. {"default_status": "ordered", "date_order": "mdy"}.',
    )
    save_as = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="With `columns`.")
    shared = serializers.BooleanField(default=False, help_text="With `save_as`: save the mapping for every owner.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:  # the choices are what the user may see (none without a request)
            user = request.user
            fields["owner"].queryset = Owner.objects.for_user(user).filter(active=True)  # type: ignore[attr-defined]
            fields["mapping"].queryset = AssetImportMapping.objects.for_user(user).filter(active=True)  # type: ignore[attr-defined]
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("mapping") is not None and "columns" in attrs:
            raise serializers.ValidationError({"columns": [_("Give a saved mapping or columns, not both.")]})
        if "columns" not in attrs:
            for name in ("options", "save_as"):
                if attrs.get(name):
                    raise serializers.ValidationError({name: [_("Only together with columns.")]})
        return attrs


# --- imports -----------------------------------------------------------------------------------


class AssetImportSerializer(serializers.ModelSerializer):
    is_running = serializers.BooleanField(read_only=True, help_text="The dry run or the import runs as a task.")

    class Meta:
        model = AssetImport
        fields = [
            "id",
            "owner",
            "original_filename",
            "size",
            "sha256",
            "file_format",
            "status",
            "is_running",
            "progress",
            "message",
            "mapping",
            "row_count",
            "create_count",
            "update_count",
            "unchanged_count",
            "error_count",
            "created",
            "created_by",
            "checked_at",
            "committed_at",
            "committed_by",
        ]
        read_only_fields = fields


class AssetImportDetailSerializer(AssetImportSerializer):
    headers = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="The file's columns.")
    columns = AssetImportColumnsSerializer(read_only=True, help_text="The chosen (or guessed) columns.")
    options = serializers.DictField(read_only=True, help_text="default_status, date_order, tag_from_serial.")
    file_errors = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Why the file as a whole cannot be imported."
    )
    notes = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(AssetImportSerializer.Meta):
        fields = [*AssetImportSerializer.Meta.fields, "headers", "columns", "options", "file_errors", "notes"]
        read_only_fields = fields


QUEUED = OpenApiResponse(
    response=AssetImportDetailSerializer,
    description="A large file: the work was queued as a task. The import is returned with status "
    "`checking` or `committing`; poll it for `progress` and the outcome.",
)


class AssetImportRowSerializer(serializers.ModelSerializer):
    action = serializers.ChoiceField(choices=OUTCOMES, read_only=True, help_text="What the row does, or `error`.")
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(allow_null=True), min_length=2, max_length=2),
        read_only=True,
        help_text="{field: [before, after]}; before is null for a new asset.",
    )
    # The metaclass takes declared fields off the class, so this does not hide Serializer.errors.
    errors = serializers.ListField(child=serializers.CharField(), read_only=True)  # type: ignore[assignment]
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = AssetImportRow
        fields = ["row", "key", "action", "changes", "errors", "warnings"]
        read_only_fields = fields


class AssetImportRowFilter(django_filters.FilterSet):
    action = django_filters.MultipleChoiceFilter(
        choices=OUTCOMES,
        label=_("Outcome"),
        help_text="Repeat for several, e.g. ?action=create&action=update.",
        distinct=False,  # a column of the row itself: nothing to de-duplicate
    )
    has_warnings = extend_schema_field(OpenApiTypes.BOOL)(
        django_filters.BooleanFilter(method="filter_warnings", label=_("Warnings"))
    )

    class Meta:
        model = AssetImportRow
        fields = ["action", "has_warnings"]

    def filter_warnings(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        return queryset.exclude(warnings=[]) if value else queryset.filter(warnings=[])


class RowPagination(Pagination):
    """The report in file order."""

    ordering = "row"


@extend_schema_view(
    list=extend_schema(responses={200: AssetImportSerializer(many=True), 400: ERRORS[400], 404: INVALID_CURSOR}),
    retrieve=extend_schema(responses={200: AssetImportDetailSerializer, 404: ERRORS[404]}),
)
class AssetImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Asset files (supplier deliveries, MDM exports): upload, choose the columns, dry run with a
    row-by-row report, commit all or nothing. Operator technicians and administrators."""

    queryset = AssetImport.objects.all()
    serializer_class = AssetImportSerializer
    filterset_class = AssetImportFilter
    parser_classes = [nul_free.MultiPartParser, nul_free.FormParser]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        if self.action == "rows":  # the report rows (of the import found in `rows`), with their filters
            return AssetImportRow.objects.for_user(self.request.user)
        qs = AssetImport.objects.for_user(self.request.user)
        if self.action != "list":
            qs = qs.select_related("owner")
        return qs

    def get_serializer_class(self) -> Any:
        return AssetImportSerializer if self.action == "list" else AssetImportDetailSerializer

    def _writable(self) -> AssetImport:
        batch: AssetImport = self.get_object()
        if not may_write(self.request.user, "asset", batch.owner_id):
            raise exceptions.PermissionDenied()
        return batch

    def _answer(self, batch: AssetImport) -> Response:
        code = status.HTTP_202_ACCEPTED if batch.is_running else status.HTTP_200_OK
        return Response(AssetImportDetailSerializer(batch).data, status=code)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: AssetImportDetailSerializer, **ERRORS},
        description="Upload a file for an owner. The file is stored as received. With `mapping` or "
        "`columns` the dry run is started at once (for a large file as a task: status `checking`); "
        "without them the columns are guessed from the headers and shown in `columns`: confirm them "
        "with `columns/` (or `check/`). A file that cannot be read, a mapping or columns that do not "
        "fit the file, or another owner's mapping: 400, and nothing is stored.",
    )
    def create(self, request: Request) -> Response:
        if not may_write(request.user, "asset"):
            raise exceptions.PermissionDenied()
        upload = UploadSerializer(data=request.data, context=self.get_serializer_context())
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        columns = data.get("columns")
        stored = None
        try:
            with transaction.atomic():
                batch = imports.do_upload_asset_import(
                    data["owner"], data["file"], actor=request.user, mapping=data.get("mapping")
                )
                stored = batch.file
                if columns is not None:
                    batch = imports.do_set_import_columns(
                        batch,
                        columns,
                        data.get("options") or default_options(),
                        actor=request.user,
                        save_as=data.get("save_as", ""),
                        shared=data["shared"],
                    )
                elif batch.mapping is not None:
                    imports.check_columns(batch, batch.columns)
        except BaseException:
            if stored is not None and stored.name:  # the import was rolled back: do not keep its file
                stored.storage.delete(stored.name)
            raise
        if columns is not None or batch.mapping is not None:
            batch = imports.start_check(batch, actor=request.user)
        return Response(AssetImportDetailSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ColumnsInputSerializer,
        responses={200: AssetImportDetailSerializer, 202: QUEUED, **ERRORS},
        description="Choose which column holds which field (optionally saved as a named mapping) and "
        "run the dry run, as the columns page does. 400 for a header the file does not have, a "
        "column chosen twice, an unknown field, or an import that is running or imported.",
    )
    @action(detail=True, methods=["post"], parser_classes=[nul_free.JSONParser])
    def columns(self, request: Request, pk: str | None = None) -> Response:
        batch = self._writable()
        data = ColumnsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chosen = data.validated_data
        batch = imports.do_set_import_columns(
            batch,
            chosen["columns"],
            chosen.get("options") or default_options(),
            actor=request.user,
            save_as=chosen.get("save_as", ""),
            shared=chosen["shared"],
        )
        batch = imports.start_check(batch, actor=request.user)
        return self._answer(batch)

    @extend_schema(
        request=None,
        responses={200: AssetImportDetailSerializer, 202: QUEUED, **ERRORS},
        description="Run the dry run (again) with the chosen columns: every row is checked and the "
        "report stored; no asset is written. 400 if the columns lack the serial number and the "
        "asset tag, or the import is running or imported.",
    )
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str | None = None) -> Response:
        batch = self._writable()
        imports.check_columns(batch, batch.columns)
        batch = imports.start_check(batch, actor=request.user)
        return self._answer(batch)

    @extend_schema(
        request=None,
        responses={200: AssetImportDetailSerializer, 202: QUEUED, **ERRORS},
        description="Import a checked file: every row is written, or none. The file is checked again "
        "first. 400 when the dry run was not run or found errors, the file was already imported, or "
        "the register changed since the dry run (the import then holds the new report to confirm).",
    )
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str | None = None) -> Response:
        batch = imports.start_commit(self._writable(), actor=request.user)
        return self._answer(batch)

    @extend_schema(
        request=None,
        responses={200: AssetImportRowSerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
        description="The dry run's report row by row, in file order. `?action=error` lists the rows with errors.",
    )
    @action(
        detail=True,
        methods=["get"],
        queryset=AssetImportRow.objects.all(),  # the rows' model, for the filters and the schema
        filterset_class=AssetImportRowFilter,
        pagination_class=RowPagination,
        serializer_class=AssetImportRowSerializer,
    )
    def rows(self, request: Request, pk: str | None = None) -> Response:
        batch = access_object(AssetImport, request.user, pk)
        queryset = self.filter_queryset(self.get_queryset().filter(batch=batch))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(AssetImportRowSerializer(page, many=True).data)


# --- saved mappings ----------------------------------------------------------------------------


def _owners(request: Any) -> Any:
    return Owner.objects.none() if request is None else Owner.objects.for_user(request.user)


class AssetImportMappingFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label=_("Owner"))
    shared = django_filters.BooleanFilter(field_name="owner", lookup_expr="isnull", label=_("For every owner"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = AssetImportMapping
        fields = ["owner", "shared", "active"]


class AssetImportMappingSerializer(ScopedSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=Owner.objects.all(), allow_null=True, help_text="The owner it is kept for; null: for every owner."
    )
    columns = AssetImportColumnsSerializer()
    options = AssetImportOptionsSerializer(required=False)

    class Meta:
        model = AssetImportMapping
        fields = ["id", "name", "owner", "columns", "options", "created", "created_by", "active"]
        read_only_fields = ["created", "created_by", "active"]
        # A mapping of the same name and owner is replaced (do_save_import_mapping), as in the UI.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        columns = attrs.get("columns") or {}
        # The same rules as for a file (serial number or tag, a column once), headers unknown yet.
        try:
            imports.check_columns(AssetImport(headers=list(columns.values())), columns)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(getattr(exc, "message_dict", {"columns": exc.messages})) from None
        attrs["options"] = imports.clean_options(attrs.get("options") or {"tag_from_serial": True})
        return attrs


def _save_mapping(data: dict[str, Any], *, actor: Any) -> AssetImportMapping:
    return imports.do_save_import_mapping(data["name"], data["owner"], data["columns"], data["options"], actor=actor)


_MAPPING_FOUND = {200: AssetImportMappingSerializer, 403: ERRORS[403], 404: ERRORS[404]}


@extend_schema_view(
    list=extend_schema(responses={200: AssetImportMappingSerializer(many=True), 400: ERRORS[400], 404: INVALID_CURSOR}),
    create=extend_schema(
        responses={201: AssetImportMappingSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        description="Save a column mapping for an owner (or, with owner null, for every owner). A mapping "
        "of the same name and owner is replaced, as when saving from the columns page.",
    ),
    retrieve=extend_schema(responses={200: AssetImportMappingSerializer, 404: ERRORS[404]}),
    deactivate=extend_schema(request=None, responses=_MAPPING_FOUND, description="Withdraw it from the choices."),
    reactivate=extend_schema(request=None, responses=_MAPPING_FOUND, description="Offer it again."),
)
class AssetImportMappingViewSet(ScopedViewSet):
    """Saved column mappings (importmallar): list, save (a mapping of the same name and owner is
    replaced, as in the UI), deactivate and reactivate."""

    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [nul_free.JSONParser]
    queryset = AssetImportMapping.objects.all()
    serializer_class = AssetImportMappingSerializer
    filterset_class = AssetImportMappingFilter
    create_action = _save_mapping
    active_action = imports.do_set_import_mapping_active

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not may_write(request.user, "asset"):  # before reading the body, as for the imports
            raise exceptions.PermissionDenied()
        return super().create(request, *args, **kwargs)
