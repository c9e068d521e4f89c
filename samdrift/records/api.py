"""Records API: the register and public access requests (with search, adding records and
decisions), GDPR requests, archive exports, and the secrecy grounds and record types as reference
data."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from samdrift.core.api import ERRORS, ScopedSerializer
from samdrift.records import actions, archive, sources
from samdrift.records.filters import AccessRequestFilter, ArchiveExportFilter, CaseFilter, GdprRequestFilter
from samdrift.records.models import (
    AccessRequest,
    ArchiveExport,
    Case,
    Decision,
    Direction,
    ExportStatus,
    GdprRequest,
    RecordType,
    RequestItem,
    SecrecyGround,
    Series,
    is_held,
)
from samdrift.tenancy.models import Person


class CodeField(serializers.SlugRelatedField):
    """A related row named by its code; a code with a NUL character (which PostgreSQL cannot hold
    in text and would answer with an error) is refused like any unknown code."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class SecrecyGroundSerializer(serializers.ModelSerializer):
    class Meta:
        model = SecrecyGround
        fields = ["id", "code", "reference", "description", "active"]


class RecordTypeSerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField()

    class Meta:
        model = RecordType
        fields = [
            "id",
            "code",
            "name",
            "content_type",
            "ownership",
            "registered",
            "keep",
            "retention_years",
            "retention_event",
            "disposal_method",
            "archived",
            "decision",
            "active",
        ]

    def get_content_type(self, obj: RecordType) -> str | None:
        ct = obj.content_type
        return f"{ct.app_label}.{ct.model}" if ct else None


class CaseSerializer(ScopedSerializer):
    series = CodeField(slug_field="code", queryset=Series.objects.filter(active=True), required=False)
    secrecy_ground = CodeField(
        slug_field="code", queryset=SecrecyGround.objects.filter(active=True), required=False, allow_null=True
    )
    record_type = CodeField(
        slug_field="code", queryset=RecordType.objects.filter(active=True), required=False, allow_null=True
    )
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.INCOMING)
    # Whether the entry has an active LegalHold: the viewset's `is_held` annotation (set and released
    # on the entry's page, or by do_set_hold / do_release_hold).
    legal_hold = serializers.BooleanField(read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "registration_number",
            "series",
            "year",
            "number",
            "registered",
            "direction",
            "counterparty",
            "subject",
            "record_type",
            "secrecy_ground",
            "status",
            "closed_at",
            "legal_hold",
        ]
        read_only_fields = ["registration_number", "year", "number", "status", "closed_at"]


class RequestItemSerializer(serializers.ModelSerializer):
    record = serializers.SerializerMethodField()
    grounds: Any = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = RequestItem
        fields = ["id", "record", "object_id", "label", "decision", "grounds", "reason", "decided_at"]

    def get_record(self, obj: RequestItem) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"


class AccessRequestSerializer(serializers.ModelSerializer):
    deadline = serializers.SerializerMethodField()

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "reference",
            "received",
            "requester_name",
            "requester_contact",
            "channel",
            "description",
            "search_from",
            "search_to",
            "status",
            "decided_at",
            "decision_text",
            "deadline",
        ]
        read_only_fields = ["reference", "status", "decided_at", "decision_text"]

    def get_deadline(self, obj: AccessRequest) -> str:
        return actions.deadline_flag(obj.received, open_=obj.status == "open")


class AccessRequestDetailSerializer(AccessRequestSerializer):
    items = RequestItemSerializer(many=True, read_only=True)

    class Meta(AccessRequestSerializer.Meta):
        fields = [*AccessRequestSerializer.Meta.fields, "items"]


class SearchParams(serializers.Serializer):
    q = serializers.CharField(max_length=200)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    kind = serializers.ChoiceField(choices=sorted(sources.SOURCES), required=False)


class HitSerializer(serializers.Serializer):
    record = serializers.CharField(source="label")
    object_id = serializers.CharField()
    identifier = serializers.CharField()
    title = serializers.CharField()
    marked = serializers.BooleanField()


class AddItemSerializer(serializers.Serializer):
    record = serializers.ChoiceField(choices=sorted(sources.SOURCES))
    object_id = serializers.IntegerField(min_value=1, max_value=2**62)


class DecideItemSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[c for c in Decision.values if c != Decision.PENDING])
    grounds = CodeField(
        slug_field="code", queryset=SecrecyGround.objects.filter(active=True), many=True, required=False
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)


def _officer_first(request: Request) -> None:
    """Refuse non-officers before validating, so they get 403 and not a 400."""
    if not actions.is_officer(request.user):
        raise PermissionDenied


class ReadOnlyScoped(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]+"

    def filter_queryset(self, queryset: Any) -> Any:
        # The list filters apply to lists only: a detail action's own parameters (a search's `q`)
        # must not filter away the object it is called on.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_queryset(self) -> Any:
        return super().get_queryset().for_user(self.request.user)  # type: ignore[attr-defined]


class SecrecyGroundViewSet(ReadOnlyScoped):
    queryset = SecrecyGround.objects.all()
    serializer_class = SecrecyGroundSerializer


class RecordTypeViewSet(ReadOnlyScoped):
    queryset = RecordType.objects.select_related("content_type")
    serializer_class = RecordTypeSerializer


@extend_schema(responses={200: CaseSerializer, **ERRORS})
class CaseViewSet(mixins.CreateModelMixin, ReadOnlyScoped):
    """The records register (diarium). POST registers an entry with the next number of its series."""

    queryset = Case.objects.select_related("series", "secrecy_ground", "record_type")
    serializer_class = CaseSerializer
    filterset_class = CaseFilter

    def get_queryset(self) -> Any:
        return super().get_queryset().annotate(legal_hold=is_held(Case))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _officer_first(request)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        case = actions.do_register_case(dict(serializer.validated_data), actor=self.request.user)
        serializer.instance = self.get_queryset().get(pk=case.pk)  # as the list shows it, `legal_hold` too


@extend_schema(responses={200: AccessRequestSerializer, **ERRORS})
class AccessRequestViewSet(mixins.CreateModelMixin, ReadOnlyScoped):
    """Public access requests: register (the requester may be anonymous), search, add, decide."""

    queryset = AccessRequest.objects.all()
    serializer_class = AccessRequestSerializer
    filterset_class = AccessRequestFilter

    def get_serializer_class(self) -> Any:
        return AccessRequestDetailSerializer if self.action == "retrieve" else AccessRequestSerializer

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related("items__content_type", "items__grounds")
        return qs

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _officer_first(request)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = actions.do_register_request(dict(serializer.validated_data), actor=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True),
            OpenApiParameter("date_from", str),
            OpenApiParameter("date_to", str),
            OpenApiParameter("kind", str, enum=sorted(sources.SOURCES)),
        ],
        responses={200: HitSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def search(self, request: Request, pk: str | None = None) -> Response:
        """Records across the system that match every search word, within the dates."""
        self.get_object()
        _officer_first(request)
        params = SearchParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        labels = [data["kind"]] if data.get("kind") else list(sources.SOURCES)
        hits: list[sources.Hit] = []
        for label in labels:
            hits += sources.SOURCES[label].search(data["q"], data.get("date_from"), data.get("date_to"))
        return Response(HitSerializer(hits, many=True).data)

    @extend_schema(request=AddItemSerializer, responses={201: RequestItemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def items(self, request: Request, pk: str | None = None) -> Response:
        """Add a record to the request."""
        access_request = self.get_object()
        _officer_first(request)
        body = AddItemSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = actions.do_add_request_item(
            access_request, body.validated_data["record"], body.validated_data["object_id"], actor=request.user
        )
        return Response(RequestItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AccessRequestDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """Make the written decision; every record must have its decision."""
        access_request = self.get_object()
        _officer_first(request)
        access_request = actions.do_decide_request(access_request, actor=request.user)
        return Response(AccessRequestDetailSerializer(access_request).data)


@extend_schema(responses={200: RequestItemSerializer, **ERRORS})
class RequestItemViewSet(ReadOnlyScoped):
    queryset = RequestItem.objects.select_related("content_type", "request").prefetch_related("grounds")
    serializer_class = RequestItemSerializer

    @extend_schema(request=DecideItemSerializer, responses={200: RequestItemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """Release, release with the marked parts masked, or refuse, with the grounds."""
        item = self.get_object()
        _officer_first(request)
        body = DecideItemSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = actions.do_decide_item(
            item,
            body.validated_data["decision"],
            actor=request.user,
            grounds=list(body.validated_data.get("grounds", [])),
            reason=body.validated_data.get("reason", ""),
        )
        return Response(RequestItemSerializer(item).data)


class ArchiveExportSerializer(serializers.ModelSerializer):
    record_type = CodeField(slug_field="code", queryset=RecordType.objects.all())
    download = serializers.SerializerMethodField()

    class Meta:
        model = ArchiveExport
        fields = [
            "id",
            "record_type",
            "date_from",
            "date_to",
            "status",
            "progress",
            "message",
            "record_count",
            "file_count",
            "size",
            "sha256",
            "created",
            "finished",
            "download",
        ]
        read_only_fields = [
            "status",
            "progress",
            "message",
            "record_count",
            "file_count",
            "size",
            "sha256",
            "created",
            "finished",
        ]

    def get_download(self, obj: ArchiveExport) -> str | None:
        return f"/api/v1/records/archive-exports/{obj.pk}/download/" if obj.status == ExportStatus.DONE else None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": _("The end comes before the start.")})
        return attrs


def _archivist_first(request: Request) -> None:
    if not actions.may_read(request.user):
        raise PermissionDenied


@extend_schema(responses={200: ArchiveExportSerializer, **ERRORS})
class ArchiveExportViewSet(mixins.CreateModelMixin, ReadOnlyScoped):
    """Archive packages of closed records (arkivleverans). POST starts one (built by a task; poll
    the export for its progress), `download/` fetches the ZIP once it is ready."""

    queryset = ArchiveExport.objects.select_related("record_type")
    serializer_class = ArchiveExportSerializer
    filterset_class = ArchiveExportFilter

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _archivist_first(request)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = archive.do_start_archive_export(dict(serializer.validated_data), actor=self.request.user)

    @extend_schema(responses={(200, "application/zip"): bytes, **ERRORS})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        """The package (ZIP); 404 until it is ready."""
        export = self.get_object()
        _archivist_first(request)
        return archive.download_response(export, actor=request.user)


class GdprRequestSerializer(serializers.ModelSerializer):
    action = serializers.SerializerMethodField(
        help_text="For a restriction: `restrict` when it was set, `lift` when it was lifted; else the kind."
    )
    handler: Any = serializers.SlugRelatedField(slug_field="username", read_only=True)
    report = serializers.JSONField(
        read_only=True,
        help_text="What was found, done, kept and why; its keys depend on the kind (see docs/records.md).",
    )

    class Meta:
        model = GdprRequest
        fields = ["id", "kind", "action", "person", "person_label", "received", "completed_at", "handler", "report"]
        read_only_fields = fields

    def get_action(self, obj: GdprRequest) -> str:
        return str((obj.report or {}).get("action") or obj.kind)


GDPR_ACTIONS = ["extract", "rectify", "erase", "restrict", "lift"]


class GdprRequestCreateSerializer(serializers.Serializer):
    person = serializers.IntegerField(min_value=1, max_value=2**62, help_text="The person's id.")
    kind = serializers.ChoiceField(
        choices=GDPR_ACTIONS,
        help_text=(
            "`extract` (art. 15), `rectify` (art. 16, with `changes`), `erase` (art. 17), `restrict` or `lift` "
            "(art. 18, with `reason`; both are stored as kind `restrict`)."
        ),
    )
    changes = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True, max_length=254),
        required=False,
        help_text=(
            "For `rectify`: the corrected values by field: `first_name`, `last_name`, `email`, `phone`, `title`, "
            '`org_unit` (an org unit id of the person\'s owner, or null). Example: {"email": "anna@kommun.se"}.'
        ),
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=actions.NOTE_MAX)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=actions.REASON_MAX)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == "rectify" and not attrs.get("changes"):
            raise serializers.ValidationError({"changes": _("Say which data are wrong and give the corrected values.")})
        if attrs["kind"] in ("restrict", "lift") and not (attrs.get("reason") or "").strip():
            raise serializers.ValidationError({"reason": _("Give the reason.")})
        return attrs


@extend_schema(responses={200: GdprRequestSerializer, **ERRORS})
class GdprRequestViewSet(mixins.CreateModelMixin, ReadOnlyScoped):
    """GDPR requests about a person: register extract (art. 15), rectification (art. 16), erasure
    (art. 17), restriction of processing and lifting it (art. 18). Records officers and
    administrators read them; only records officers make them."""

    queryset = GdprRequest.objects.select_related("handler")
    serializer_class = GdprRequestSerializer
    filterset_class = GdprRequestFilter

    @extend_schema(request=GdprRequestCreateSerializer, responses={201: GdprRequestSerializer, **ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Carry out a request at once; the answer holds its report."""
        _officer_first(request)
        body = GdprRequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        person = Person.objects.for_user(request.user).filter(pk=data["person"]).first()
        if person is None:
            raise serializers.ValidationError({"person": [_("There is no such person.")]})
        kind = data["kind"]
        if kind == "rectify":
            gdpr = actions.do_gdpr_rectify(person, dict(data["changes"]), data.get("note", ""), actor=request.user)
        elif kind == "restrict":
            gdpr = actions.do_gdpr_restrict(person, data["reason"], actor=request.user)
        elif kind == "lift":
            gdpr = actions.do_gdpr_lift_restriction(person, data["reason"], actor=request.user)
        elif kind == "erase":
            gdpr = actions.do_gdpr_erase(person, actor=request.user)
        else:
            gdpr = actions.do_gdpr_extract(person, actor=request.user)
        return Response(GdprRequestSerializer(gdpr).data, status=status.HTTP_201_CREATED)


def register(router: Any) -> None:
    """This app's API routes, registered on the project's router by samdrift/urls.py."""
    router.register("records/cases", CaseViewSet)
    router.register("records/requests", AccessRequestViewSet)
    router.register("records/request-items", RequestItemViewSet)
    router.register("records/secrecy-grounds", SecrecyGroundViewSet)
    router.register("records/record-types", RecordTypeViewSet)
    router.register("records/archive-exports", ArchiveExportViewSet)
    router.register("records/gdpr-requests", GdprRequestViewSet)
