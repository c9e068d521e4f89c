"""Billing API: periods (open, run, close), runs (progress), invoices (with lines, Peppol XML)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from samdrift.billing import actions, documents, sie_export
from samdrift.billing.filters import (
    ArticleFilter,
    ChargeFilter,
    CostPoolFilter,
    InvoiceFilter,
    PeriodFilter,
    SubscriptionFilter,
)
from samdrift.billing.models import (
    FINANCE_ROLES,
    AllocationKey,
    Article,
    BillingPeriod,
    BillingProfile,
    BillingRun,
    Charge,
    CostPool,
    Invoice,
    Reconciliation,
    Subscription,
    UsageRow,
    WorkTypeRate,
)
from samdrift.billing.serializers import (
    AllocationFiguresSerializer,
    AllocationKeySerializer,
    ArticleSerializer,
    BillingPeriodSerializer,
    BillingProfileSerializer,
    BillingRunSerializer,
    ChargeSerializer,
    CostPoolSerializer,
    InvoiceDetailSerializer,
    InvoiceSerializer,
    SubscriptionSerializer,
    UsageImportSerializer,
    UsageRowSerializer,
    WorkTypeRateSerializer,
)
from samdrift.core import tabular
from samdrift.core.access import may
from samdrift.core.api import ERRORS, ScopedViewSet
from samdrift.tenancy.models import Owner


class ScopedReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return super().get_queryset().for_user(self.request.user)  # type: ignore[attr-defined]


@extend_schema(responses={200: BillingPeriodSerializer, **ERRORS})
class BillingPeriodViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    queryset = BillingPeriod.objects.all()
    serializer_class = BillingPeriodSerializer
    filterset_class = PeriodFilter

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not may(request.user, owner_id=None, operator_roles=FINANCE_ROLES):
            raise PermissionDenied  # before validation: a 403, not a 400, for those who may not
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = actions.do_create_period(data["year"], data["month"], actor=self.request.user)

    @extend_schema(request=None, responses={201: BillingRunSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: str | None = None) -> Response:
        """Run the billing for the period (in the background with `?background=1`)."""
        period = self.get_object()
        background = request.query_params.get("background") == "1"
        run = actions.do_run_billing(period, actor=request.user, background=background)
        return Response(BillingRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: BillingPeriodSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        period = actions.do_close_period(self.get_object(), actor=request.user)
        return Response(BillingPeriodSerializer(period).data)

    @extend_schema(
        responses={
            200: OpenApiResponse(
                OpenApiTypes.BINARY,
                description="SIE 4 file (CP437) of the period's month; header X-Sie-Final says 1 when final "
                "(stored, the same bytes on every export) or 0 when preliminary.",
            ),
            **ERRORS,
        }
    )
    @action(detail=True, methods=["get"])
    def sie(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The SIE 4 export of the period's month (documents by accounting date)."""
        period = self.get_object()
        export = actions.do_export_sie_month(*sie_export.accounting_month(period), actor=request.user)
        response = HttpResponse(export.content, content_type="text/plain; charset=IBM437")
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response["X-Sie-Final"] = "1" if export.final else "0"
        return response


class BillingRunViewSet(ScopedReadOnlyViewSet):
    queryset = BillingRun.objects.all()
    serializer_class = BillingRunSerializer


class InvoiceViewSet(ScopedReadOnlyViewSet):
    queryset = Invoice.objects.select_related("owner", "period")
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter

    def get_serializer_class(self) -> Any:
        return InvoiceDetailSerializer if self.action == "retrieve" else InvoiceSerializer

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        return qs.prefetch_related("lines__cost_centre") if self.action == "retrieve" else qs

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="Peppol BIS 3 UBL XML"), **ERRORS})
    @action(detail=True, methods=["get"])
    def xml(self, request: Request, pk: str | None = None) -> HttpResponse:
        invoice = self.get_object()
        content = documents.xml_bytes(invoice)  # a missing operator is a ValidationError: 400
        response = HttpResponse(content, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xml"'
        return response

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="PDF invoice"), **ERRORS})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:

        invoice = self.get_object()
        content = documents.pdf_bytes(invoice)  # a missing operator is a ValidationError: 400
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
        return response


# --- finance data ------------------------------------------------------------------------------


class FinanceWriteMixin:
    """Writes are for finance and administrators: others get 403 before their input is read."""

    def _check_finance(self) -> None:
        if not may(self.request.user, owner_id=None, operator_roles=FINANCE_ROLES):  # type: ignore[attr-defined]
            raise PermissionDenied

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._check_finance()
        return super().create(request, *args, **kwargs)  # type: ignore[misc,no-any-return]

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.get_object()  # type: ignore[attr-defined]  # 404 for what the user may not see, first
        self._check_finance()
        return super().update(request, *args, **kwargs)  # type: ignore[misc,no-any-return]


@extend_schema(responses={200: ArticleSerializer, **ERRORS})
class ArticleViewSet(FinanceWriteMixin, ScopedViewSet):
    queryset = Article.objects.all()
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
    create_action = actions.do_create_article
    update_action = actions.do_update_article


@extend_schema(responses={200: BillingProfileSerializer, **ERRORS})
class BillingProfileViewSet(FinanceWriteMixin, ScopedViewSet):
    """Billing profiles (faktureringsprofiler): finance edits them; an owner's viewers read their own."""

    queryset = BillingProfile.objects.select_related("owner", "default_cost_centre").order_by("owner__name")
    serializer_class = BillingProfileSerializer
    create_action = actions.do_save_billing_profile
    update_action = actions.do_update_billing_profile


@extend_schema(responses={200: SubscriptionSerializer, **ERRORS})
class SubscriptionViewSet(FinanceWriteMixin, ScopedViewSet):
    """Running services (tjänsteinstanser). An owner's viewers read their own."""

    queryset = Subscription.objects.select_related("owner", "cost_centre", "article").order_by("-id")
    serializer_class = SubscriptionSerializer
    filterset_class = SubscriptionFilter
    create_action = actions.do_create_subscription
    update_action = actions.do_update_subscription


@extend_schema(responses={200: ChargeSerializer, **ERRORS})
class ChargeViewSet(FinanceWriteMixin, ScopedViewSet):
    """One-time charges (engångsavgifter). An owner's viewers read their own."""

    queryset = Charge.objects.select_related("owner", "cost_centre", "article")
    serializer_class = ChargeSerializer
    filterset_class = ChargeFilter
    create_action = actions.do_create_charge
    update_action = actions.do_update_charge


@extend_schema(responses={200: CostPoolSerializer, **ERRORS})
class CostPoolViewSet(FinanceWriteMixin, ScopedViewSet):
    queryset = CostPool.objects.all()
    serializer_class = CostPoolSerializer
    filterset_class = CostPoolFilter
    create_action = actions.do_create_cost_pool
    update_action = actions.do_update_cost_pool


def _figures(items: list[dict[str, Any]]) -> dict[int, Decimal]:
    figures = {int(item["owner"]): Decimal(item["figure"]) for item in items}
    if Owner.objects.filter(pk__in=figures).count() != len(figures):
        raise ValidationError({"figures": _("Unknown owner in the figures.")})
    return figures


@extend_schema(responses={200: AllocationKeySerializer, **ERRORS})
class AllocationKeyViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Allocation keys with their figures. Create one for a pool; correct the figures of one that
    no closed period used (`POST .../figures/`)."""

    queryset = AllocationKey.objects.select_related("pool").prefetch_related("figures")
    serializer_class = AllocationKeySerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not may(request.user, owner_id=None, operator_roles=FINANCE_ROLES):
            raise PermissionDenied
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        pool = CostPool.objects.for_user(self.request.user).filter(pk=data["pool"].pk).first()
        if pool is None:
            raise NotFound
        serializer.instance = actions.do_create_allocation_key(
            pool,
            basis=data["basis"],
            valid_from=data["valid_from"],
            valid_to=data.get("valid_to"),
            figures=_figures(data["figures"]) if data.get("figures") else None,
            note=data.get("note", ""),
            actor=self.request.user,
        )

    @extend_schema(request=AllocationFiguresSerializer, responses={200: AllocationKeySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def figures(self, request: Request, pk: str | None = None) -> Response:
        key = self.get_object()
        if not may(request.user, owner_id=None, operator_roles=FINANCE_ROLES):
            raise PermissionDenied
        body = AllocationFiguresSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key = actions.do_update_allocation_figures(key, _figures(body.validated_data["figures"]), actor=request.user)
        return Response(AllocationKeySerializer(key).data)


@extend_schema(responses={200: WorkTypeRateSerializer, **ERRORS})
class WorkTypeRateViewSet(FinanceWriteMixin, ScopedViewSet):
    """Hourly rates of service-desk work types; billable time of a work type without one is not billed."""

    queryset = WorkTypeRate.objects.select_related("article")
    serializer_class = WorkTypeRateSerializer
    create_action = actions.do_save_work_type_rate
    update_action = actions.do_update_work_type_rate


USAGE_REPORT = inline_serializer(
    "UsageImportReport",
    {
        "rows": serializers.IntegerField(),
        "errors": serializers.ListField(child=serializers.CharField()),
        "imported": serializers.IntegerField(),
    },
)


@extend_schema(responses={200: UsageRowSerializer, **ERRORS})
class UsageRowViewSet(ScopedReadOnlyViewSet):
    """Imported metered usage (förbrukning); import a CSV file with `POST .../import/`."""

    queryset = UsageRow.objects.order_by("-id")
    serializer_class = UsageRowSerializer

    @extend_schema(request=UsageImportSerializer, responses={200: USAGE_REPORT, **ERRORS})
    @action(detail=False, methods=["post"], url_path="import")
    def import_csv(self, request: Request) -> Response:
        """Check (dry_run, the default) or import a usage file; any bad row and nothing is imported.
        The file (`file`, multipart: CSV or XLSX) or its text (`csv`) is read by the one tabular
        reader: at most SAMDRIFT_IMPORT_MAX_BYTES, a formula in any cell is an error on its row."""
        if not may(request.user, owner_id=None, operator_roles=FINANCE_ROLES):
            raise PermissionDenied
        body = UsageImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if "file" in data:
            name, content = tabular.read_upload(data["file"])
            field = "file"
        else:
            name, content, field = "api", data["csv"].encode("utf-8"), "csv"
        try:
            report = actions.do_import_usage(
                content,
                data["month"],
                actor=request.user,
                filename=data.get("filename") or name,
                dry_run=data["dry_run"],
            )
        except ValidationError as exc:  # the file could not be read: named by the field that carried it
            if field == "csv" and hasattr(exc, "error_dict") and "file" in exc.error_dict:
                raise ValidationError({"csv": exc.error_dict["file"]}) from None
            raise
        status_code = status.HTTP_400_BAD_REQUEST if report["errors"] else status.HTTP_200_OK
        return Response(report, status=status_code)


class ReconciliationSerializer(serializers.ModelSerializer):
    settled = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = Reconciliation
        fields = [
            "id",
            "year",
            "filename",
            "file_sha256",
            "settle_period",
            "status",
            "replaced_by",
            "created",
            "settled",
        ]
        read_only_fields = fields


class ReconcileSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    settle_period = serializers.PrimaryKeyRelatedField(
        queryset=BillingPeriod.objects.all(), help_text="An open period after the year."
    )
    file = serializers.FileField(help_text="The accounting's SIE 4 file of the year (#SIETYP 4, #ORGNR, #RAR 0).")
    dry_run = serializers.BooleanField(default=True)


RECONCILIATION_REPORT = inline_serializer(
    "ReconciliationReport",
    {
        "year": serializers.IntegerField(),
        "warnings": serializers.ListField(child=serializers.CharField()),
        "pools": serializers.ListField(child=serializers.DictField()),
        "settlements": serializers.ListField(child=serializers.DictField()),
        "takeback": serializers.ListField(child=serializers.DictField()),
        "unchanged": serializers.BooleanField(),
        "replaces": serializers.DictField(allow_null=True),
        "reconciliation": serializers.IntegerField(required=False),
    },
)


@extend_schema(responses={200: ReconciliationSerializer(many=True), **ERRORS})
class ReconciliationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Year-end reconciliations (avräkningar), newest first; reconcile a year with `POST .../reconcile/`."""

    serializer_class = ReconciliationSerializer

    def get_queryset(self) -> Any:
        return (
            Reconciliation.objects.for_user(self.request.user)  # type: ignore[attr-defined]
            .annotate(settled=Sum("settlements__amount"))
            .order_by("-year", "-id")
        )

    @extend_schema(
        request={"multipart/form-data": ReconcileSerializer}, responses={200: RECONCILIATION_REPORT, **ERRORS}
    )
    @action(detail=False, methods=["post"])
    def reconcile(self, request: Request) -> Response:
        """Check (dry_run, the default) or settle a year from the accounting's SIE file. A file that is
        not the operator's SIE 4 accounting of the year is refused (400) with every mismatch named; a
        year already reconciled is replaced (what was settled is taken back) or, with the same
        result, left unchanged."""
        if not may(request.user, owner_id=None, operator_roles=FINANCE_ROLES):
            raise PermissionDenied
        body = ReconcileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        upload = data["file"]
        if upload.size > tabular.max_bytes():  # SIE is not tabular, but the upload limit is the one
            raise tabular.too_big()
        report = actions.do_reconcile_year(
            upload.read(),
            data["year"],
            data["settle_period"],
            actor=request.user,
            filename=upload.name,
            dry_run=data["dry_run"],
        )
        return Response(report)


def register(router: Any) -> None:
    """This app's API routes, registered on the project's router by samdrift/urls.py."""
    router.register("billing/periods", BillingPeriodViewSet)
    router.register("billing/runs", BillingRunViewSet)
    router.register("billing/invoices", InvoiceViewSet)
    router.register("billing/articles", ArticleViewSet, basename="billing-articles")
    router.register("billing/profiles", BillingProfileViewSet, basename="billing-profiles")
    router.register("billing/subscriptions", SubscriptionViewSet, basename="billing-subscriptions")
    router.register("billing/charges", ChargeViewSet, basename="billing-charges")
    router.register("billing/pools", CostPoolViewSet, basename="billing-pools")
    router.register("billing/keys", AllocationKeyViewSet, basename="billing-keys")
    router.register("billing/rates", WorkTypeRateViewSet, basename="billing-rates")
    router.register("billing/usage", UsageRowViewSet, basename="billing-usage")
    router.register("billing/reconciliations", ReconciliationViewSet, basename="billing-reconciliations")
