"""The take-back API under /api/v1/circular/: every step of the chain, through the same actions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from samdrift.assets.models import Asset
from samdrift.circular import actions, certificates, reports
from samdrift.circular.filters import (
    BatchFilter,
    BatchItemFilter,
    CertificateFilter,
    LossReportFilter,
    PartnerFilter,
    PartnerReportFilter,
    ReportLineFilter,
)
from samdrift.circular.models import (
    Batch,
    BatchItem,
    Certificate,
    Co2eFactor,
    Credit,
    LossReport,
    Partner,
    PartnerReport,
    ReportLine,
    ReportMapping,
    Resolution,
    SecurityContact,
)
from samdrift.circular.views import is_staff
from samdrift.circular.views_climate import climate_rows
from samdrift.core import parsers as nul_free
from samdrift.core.api import ERRORS, ScopedSerializer, ScopedViewSet


def _staff(request: Request) -> None:
    if not is_staff(request.user):
        raise PermissionDenied


class PartnerSerializer(ScopedSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name", "email", "attachment_format", "missing_after_days", "credit_article", "active"]


class SecurityContactSerializer(ScopedSerializer):
    class Meta:
        model = SecurityContact
        fields = ["id", "owner", "person"]


class ReportMappingSerializer(ScopedSerializer):
    class Meta:
        model = ReportMapping
        fields = ["id", "name", "partner", "columns", "active"]


class BatchSerializer(ScopedSerializer):
    class Meta:
        model = Batch
        fields = ["id", "number", "partner", "status", "pickup_address", "pickup_date", "notes", "created",
                  "ordered_at", "order_sent_at", "picked_up_at", "received_at", "reported_at"]  # fmt: skip
        read_only_fields = ["number", "status", "created", "ordered_at", "order_sent_at", "picked_up_at",
                            "received_at", "reported_at"]  # fmt: skip


class BatchItemSerializer(ScopedSerializer):
    class Meta:
        model = BatchItem
        fields = ["id", "owner", "batch", "asset", "serial_number", "box", "seal", "state", "outcome", "grade",
                  "residual_value", "credit", "co2e_avoided_kg", "co2e_factor", "co2e_source", "report_line",
                  "closed_at"]  # fmt: skip
        read_only_fields = [f for f in fields if f not in {"box", "seal"}]


class AddItemsSerializer(serializers.Serializer):
    # Ids as the database holds them (a 64-bit key): a larger number was a server error on SQLite.
    assets = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, default=list
    )
    labels = serializers.CharField(required=False, allow_blank=True, default="")
    box = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    seal = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class AdvanceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["picked_up", "received"])


class PartnerReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = PartnerReport
        fields = ["id", "batch", "filename", "sha256", "file_format", "columns", "status", "counts", "file_errors",
                  "progress", "message", "uploaded", "checked_at", "applied_at"]  # fmt: skip
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    file = serializers.FileField()
    mapping = serializers.IntegerField(required=False, allow_null=True)


class ColumnsSerializer(serializers.Serializer):
    columns = serializers.DictField(child=serializers.CharField(allow_blank=True))
    save_as = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class ReportLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportLine
        fields = ["id", "report", "row", "serial_number", "asset", "item", "owner", "method", "standard",
                  "erasure_report_id", "erased_at", "result", "grade", "outcome", "residual_value", "problem",
                  "message", "resolution", "resolution_note", "ticket_number"]  # fmt: skip
        read_only_fields = fields


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=[("", "-"), *Resolution.choices], allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class CertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certificate
        fields = ["id", "owner", "asset", "item", "report_line", "number", "source", "serial_number", "method",
                  "standard", "erasure_report_id", "erased_at", "result", "issued", "filename", "sha256"]  # fmt: skip
        read_only_fields = fields


class CreditSerializer(serializers.ModelSerializer):
    class Meta:
        model = Credit
        fields = ["id", "owner", "report", "amount", "devices", "charge_id", "created"]
        read_only_fields = fields


class Co2eFactorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Co2eFactor
        fields = ["id", "category", "reference_category", "lifecycle_kg", "manufacturing_share", "reuse_saving_kg",
                  "lifecycle_source", "reuse_source", "version"]  # fmt: skip


class ClimateRowSerializer(serializers.Serializer):
    owner = serializers.IntegerField(source="owner_id")
    owner_name = serializers.CharField(source="owner__name")
    year = serializers.IntegerField()
    outcome = serializers.CharField()
    devices = serializers.IntegerField()
    co2e_kg = serializers.DecimalField(source="co2e", max_digits=14, decimal_places=2)
    factor = serializers.CharField(source="co2e_factor")
    factor_source = serializers.CharField(source="co2e_source")
    residual_value = serializers.DecimalField(source="value", max_digits=14, decimal_places=2)


class _ReadOnly(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return super().get_queryset().for_user(self.request.user)  # type: ignore[attr-defined]


@extend_schema(responses={200: PartnerSerializer, 201: PartnerSerializer, **ERRORS})
class PartnerViewSet(ScopedViewSet):
    queryset = Partner.objects.all()
    serializer_class = PartnerSerializer
    filterset_class = PartnerFilter
    create_action = staticmethod(actions.do_create_partner)
    update_action = staticmethod(actions.do_update_partner)
    active_action = staticmethod(actions.do_set_partner_active)


@extend_schema(responses={200: SecurityContactSerializer, 201: SecurityContactSerializer, **ERRORS})
class SecurityContactViewSet(ScopedViewSet):
    """An owner's security officer, who receives take-back incidents. POST sets (or replaces) it."""

    queryset = SecurityContact.objects.select_related("person")
    serializer_class = SecurityContactSerializer
    http_method_names = ["get", "post", "head", "options"]
    create_action = staticmethod(actions.do_set_security_contact)


@extend_schema(responses={200: ReportMappingSerializer, 201: ReportMappingSerializer, **ERRORS})
class ReportMappingViewSet(ScopedViewSet):
    queryset = ReportMapping.objects.all()
    serializer_class = ReportMappingSerializer
    create_action = staticmethod(actions.do_save_report_mapping)
    update_action = staticmethod(actions.do_update_report_mapping)


@extend_schema(responses={200: BatchSerializer, 201: BatchSerializer, **ERRORS})
class BatchViewSet(ScopedViewSet):
    """Take-back batches. `items` packs devices (ids or scanned labels), `order_pickup` sends the
    pickup order to the partner, `advance` records pickup and receipt, `pickup_order` is the file."""

    queryset = Batch.objects.select_related("partner")
    serializer_class = BatchSerializer
    filterset_class = BatchFilter
    create_action = staticmethod(actions.do_create_batch)
    update_action = staticmethod(actions.do_update_batch)

    @extend_schema(request=AddItemsSerializer, responses={201: BatchItemSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["post"])
    def items(self, request: Request, pk: str | None = None) -> Response:
        batch = self.get_object()
        _staff(request)
        data = AddItemsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assets = list(Asset.objects.for_user(request.user).filter(pk__in=data.validated_data["assets"]))  # type: ignore[attr-defined]
        if data.validated_data["labels"]:
            found, unknown = actions.find_labels(data.validated_data["labels"])
            if unknown:
                raise serializers.ValidationError({"labels": [f"Okänd etikett: {', '.join(unknown[:20])}"]})
            assets += found
        if len(assets) < len(set(data.validated_data["assets"])):
            raise serializers.ValidationError({"assets": ["Not found."]})
        added = actions.do_add_batch_items(
            batch, assets, actor=request.user, box=data.validated_data["box"], seal=data.validated_data["seal"]
        )
        return Response(BatchItemSerializer(added, many=True, context={"request": request}).data, status=201)

    @extend_schema(request=None, responses={200: BatchSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def order_pickup(self, request: Request, pk: str | None = None) -> Response:
        batch = actions.do_order_pickup(self.get_object(), actor=request.user)
        return Response(BatchSerializer(batch, context={"request": request}).data)

    @extend_schema(request=AdvanceSerializer, responses={200: BatchSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, pk: str | None = None) -> Response:
        target = self.get_object()  # 404 for another owner's object before the body is read
        data = AdvanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = actions.do_advance_batch(target, data.validated_data["status"], actor=request.user)
        return Response(BatchSerializer(batch, context={"request": request}).data)

    @extend_schema(request=None, responses={(200, "text/csv"): OpenApiTypes.BINARY, **ERRORS})
    @action(detail=True, methods=["get"])
    def pickup_order(self, request: Request, pk: str | None = None) -> HttpResponse:
        batch = self.get_object()
        _staff(request)
        fmt = "xlsx" if request.query_params.get("fmt") == "xlsx" else "csv"
        response = HttpResponse(actions.pickup_order_file(batch, fmt), content_type="text/csv" if fmt == "csv" else
                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
        response["Content-Disposition"] = f'attachment; filename="{batch.number}.{fmt}"'
        return response


@extend_schema(responses={200: BatchItemSerializer, **ERRORS})
class BatchItemViewSet(mixins.UpdateModelMixin, _ReadOnly):
    """Devices taken back; staff change box and seal while the batch is being packed."""

    queryset = BatchItem.objects.select_related("batch")
    serializer_class = BatchItemSerializer
    filterset_class = BatchItemFilter
    http_method_names = ["get", "put", "patch", "head", "options"]

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = actions.do_set_item_packing(
            serializer.instance, dict(serializer.validated_data), actor=self.request.user
        )


@extend_schema(responses={200: PartnerReportSerializer, 201: PartnerReportSerializer, **ERRORS})
class PartnerReportViewSet(mixins.CreateModelMixin, _ReadOnly):
    """The partner's report: POST (multipart: batch, file, mapping) keeps it and guesses the columns;
    `columns` sets them, `check` runs the dry run, `apply` applies it (all or nothing)."""

    queryset = PartnerReport.objects.select_related("batch").defer("content")
    serializer_class = PartnerReportSerializer
    filterset_class = PartnerReportFilter
    parser_classes = [nul_free.MultiPartParser, nul_free.FormParser, nul_free.JSONParser]

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses={201: PartnerReportSerializer, **ERRORS}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _staff(request)
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = Batch.objects.for_user(request.user).filter(pk=data.validated_data["batch"]).first()  # type: ignore[attr-defined]
        if batch is None:
            raise serializers.ValidationError({"batch": ["Not found."]})
        mapping = None
        if data.validated_data.get("mapping"):
            mapping = ReportMapping.objects.for_user(request.user).filter(pk=data.validated_data["mapping"]).first()  # type: ignore[attr-defined]
            if mapping is None:
                raise serializers.ValidationError({"mapping": ["Not found."]})
        upload = data.validated_data["file"]
        report = reports.do_upload_report(batch, upload.name, upload.read(), actor=request.user, mapping=mapping)
        return Response(PartnerReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ColumnsSerializer, responses={200: PartnerReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def columns(self, request: Request, pk: str | None = None) -> Response:
        target = self.get_object()  # 404 for another owner's object before the body is read
        data = ColumnsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = reports.do_set_report_columns(
            target,
            data.validated_data["columns"],
            actor=request.user,
            save_as=data.validated_data["save_as"],
        )
        return Response(PartnerReportSerializer(report).data)

    @extend_schema(request=None, responses={200: PartnerReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str | None = None) -> Response:
        report = reports.start_check(self.get_object(), actor=request.user)
        return Response(PartnerReportSerializer(report).data)

    @extend_schema(request=None, responses={200: PartnerReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        report = reports.start_apply(self.get_object(), actor=request.user)
        return Response(PartnerReportSerializer(report).data)


@extend_schema(responses={200: ReportLineSerializer, **ERRORS})
class ReportLineViewSet(_ReadOnly):
    """The dry run's lines (`?report=&problem=`); `resolve` decides an exception."""

    queryset = ReportLine.objects.all()
    serializer_class = ReportLineSerializer
    filterset_class = ReportLineFilter

    @extend_schema(request=ResolveSerializer, responses={200: ReportLineSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        target = self.get_object()  # 404 for another owner's object before the body is read
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = reports.do_resolve_line(
            target, data.validated_data["resolution"], note=data.validated_data["note"], actor=request.user
        )
        return Response(ReportLineSerializer(line).data)


@extend_schema(responses={200: CertificateSerializer, **ERRORS})
class CertificateViewSet(_ReadOnly):
    """Erasure certificates; `file` downloads the certificate as issued (PDF)."""

    queryset = Certificate.objects.defer("content")
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter

    @extend_schema(request=None, responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS})
    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str | None = None) -> HttpResponse:
        cert = Certificate.objects.select_related(
            "item__batch__partner", "asset__model", "report_line__report", "owner"
        ).get(pk=self.get_object().pk)
        cert = certificates.ensure_rendered(cert)
        response = HttpResponse(bytes(cert.content), content_type=cert.mimetype or "application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{cert.filename}"'
        return response


@extend_schema(responses={200: CreditSerializer, **ERRORS})
class CreditViewSet(_ReadOnly):
    queryset = Credit.objects.all()
    serializer_class = CreditSerializer


@extend_schema(responses={200: Co2eFactorSerializer, **ERRORS})
class Co2eFactorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The CO2e factors and their sources (reference data)."""

    queryset = Co2eFactor.objects.all()
    serializer_class = Co2eFactorSerializer
    pagination_class = None

    def get_queryset(self) -> Any:
        return super().get_queryset().for_user(self.request.user)  # type: ignore[attr-defined]


@extend_schema(responses={200: ClimateRowSerializer(many=True), **ERRORS})
class ClimateViewSet(viewsets.GenericViewSet):
    """CO2e avoided per owner, year and outcome, with factor and source (`?owner=`)."""

    queryset = BatchItem.objects.all()
    serializer_class = ClimateRowSerializer
    pagination_class = None

    def list(self, request: Request) -> Response:
        items = BatchItem.objects.for_user(request.user)  # type: ignore[attr-defined]
        owner = request.query_params.get("owner", "")
        if owner.isdigit():
            items = items.filter(owner_id=int(owner))
        return Response(ClimateRowSerializer(climate_rows(items), many=True).data)


class LossReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = LossReport
        fields = ["id", "number", "owner", "asset", "kind", "occurred_on", "place", "police_report", "encrypted",
                  "remotely_wiped", "description", "reporter_person", "batch_item", "report_line", "ticket_number",
                  "created"]  # fmt: skip
        read_only_fields = fields


class LossCreateSerializer(serializers.Serializer):
    asset = serializers.IntegerField()
    kind = serializers.CharField()
    occurred_on = serializers.DateField()
    place = serializers.CharField(max_length=200)
    police_report = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    encrypted = serializers.BooleanField(required=False, default=False)
    remotely_wiped = serializers.BooleanField(required=False, default=False)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


@extend_schema(responses={200: LossReportSerializer, 201: LossReportSerializer, **ERRORS})
class LossReportViewSet(mixins.CreateModelMixin, _ReadOnly):
    """Loss reports of lost and stolen devices (`?owner=&kind=`); POST reports a device lost or
    stolen (staff any device, an owner's user the device they hold)."""

    queryset = LossReport.objects.all()
    serializer_class = LossReportSerializer
    filterset_class = LossReportFilter

    @extend_schema(request=LossCreateSerializer, responses={201: LossReportSerializer, **ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from samdrift.circular.losses import do_report_loss

        data = LossCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        asset = Asset.objects.for_user(request.user).filter(pk=values.pop("asset")).first()  # type: ignore[attr-defined]
        if asset is None:
            raise serializers.ValidationError({"asset": ["Not found."]})
        loss = do_report_loss(asset, values, actor=request.user)
        return Response(LossReportSerializer(loss).data, status=status.HTTP_201_CREATED)


def register(router: Any) -> None:
    """This app's API routes, registered on the project's router by samdrift/urls.py."""
    router.register("circular/partners", PartnerViewSet)
    router.register("circular/security-officers", SecurityContactViewSet)
    router.register("circular/mappings", ReportMappingViewSet)
    router.register("circular/batches", BatchViewSet)
    router.register("circular/devices", BatchItemViewSet)
    router.register("circular/reports", PartnerReportViewSet)
    router.register("circular/report-lines", ReportLineViewSet)
    router.register("circular/certificates", CertificateViewSet)
    router.register("circular/credits", CreditViewSet)
    router.register("circular/losses", LossReportViewSet)
    router.register("circular/co2e-factors", Co2eFactorViewSet)
    router.register("circular/climate", ClimateViewSet, basename="circular-climate")
