"""Ordering API: suppliers, agreements and price lists, the catalogue, approvers, orders with their
approval, purchase orders with confirmation and delivery. Registered by samdrift/urls.py."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from samdrift.core import parsers as nul_free
from samdrift.core.api import ERRORS, ScopedViewSet
from samdrift.ordering import actions, imports, purchasing, reports
from samdrift.ordering.filters import (
    AgreementFilter,
    ApproverFilter,
    OrderFilter,
    PackageFilter,
    PurchaseOrderFilter,
    ServiceFilter,
    SupplierFilter,
)
from samdrift.ordering.models import (
    Agreement,
    Approver,
    Order,
    Package,
    PriceImport,
    PurchaseOrder,
    Service,
    Supplier,
)
from samdrift.ordering.permissions import may_write
from samdrift.ordering.serializers import (
    AgreementSerializer,
    ApproverSerializer,
    ConfirmationCheckSerializer,
    ConfirmationFileSerializer,
    ConfirmationResultSerializer,
    ConfirmSerializer,
    ConfirmUploadSerializer,
    DecisionSerializer,
    DeliveryCheckSerializer,
    DeliverySerializer,
    OrderCreateSerializer,
    OrderListSerializer,
    OrderSerializer,
    PackageLineSerializer,
    PackageSerializer,
    PriceImportSerializer,
    PurchaseOrderListSerializer,
    PurchaseOrderSerializer,
    ServicePriceSerializer,
    ServiceSerializer,
    SupplierSerializer,
)
from samdrift.tenancy.models import Owner


class SupplierViewSet(ScopedViewSet):
    queryset = Supplier.objects.all()
    serializer_class = SupplierSerializer
    filterset_class = SupplierFilter
    create_action = actions.do_create_supplier
    update_action = actions.do_update_supplier
    active_action = actions.do_set_supplier_active


class AgreementViewSet(ScopedViewSet):
    queryset = Agreement.objects.select_related("supplier").prefetch_related("parties")
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilter
    create_action = actions.do_create_agreement
    update_action = actions.do_update_agreement
    active_action = actions.do_set_agreement_active

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if self.action == "list":
            # One aggregate for the agreements the user may see (a few hundred at most).
            context["called_off"] = actions.called_off_value(self.get_queryset().values_list("pk", flat=True))
        return context


@extend_schema(responses={201: PriceImportSerializer, **ERRORS})
class PriceImportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Upload a price list (multipart: agreement, valid_from, file): a dry run; `apply` imports it."""

    queryset = PriceImport.objects.all()
    serializer_class = PriceImportSerializer
    parser_classes = [nul_free.MultiPartParser, nul_free.FormParser]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return super().get_queryset().for_user(self.request.user)  # type: ignore[attr-defined]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not may_write(request.user, "catalogue"):
            raise PermissionDenied
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        upload = data["file"]
        agreement = Agreement.objects.for_user(self.request.user).filter(pk=data["agreement"].pk).first()
        if agreement is None:
            raise exceptions.ValidationError({"agreement": ["Not found."]})
        serializer.instance = imports.do_check_price_list(
            agreement, upload.read(), upload.name, data["valid_from"], actor=self.request.user
        )

    @extend_schema(request=None, responses={200: PriceImportSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[nul_free.MultiPartParser, nul_free.FormParser])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        imp = imports.do_apply_price_list(self.get_object(), actor=request.user)
        return Response(PriceImportSerializer(imp).data)


class ServiceViewSet(ScopedViewSet):
    queryset = Service.objects.prefetch_related("prices")
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    create_action = actions.do_create_service
    update_action = actions.do_update_service
    active_action = actions.do_set_service_active

    @extend_schema(request=ServicePriceSerializer, responses={201: ServicePriceSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def price(self, request: Request, pk: str | None = None) -> Response:
        """A new price from a day on (the running one ends the day before)."""
        service = self.get_object()
        serializer = ServicePriceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        price = actions.do_set_service_price(
            service, serializer.validated_data["price"], serializer.validated_data["valid_from"], actor=request.user
        )
        return Response(ServicePriceSerializer(price).data, status=status.HTTP_201_CREATED)


class PackageViewSet(ScopedViewSet):
    queryset = Package.objects.prefetch_related("lines__service", "lines__agreement")
    serializer_class = PackageSerializer
    filterset_class = PackageFilter
    create_action = actions.do_create_package
    update_action = actions.do_update_package
    active_action = actions.do_set_package_active

    def paginate_queryset(self, queryset: Any) -> Any:
        # Price the whole page at once (two queries), not each package on its own.
        page = super().paginate_queryset(queryset)
        if page is not None:
            self._prices = actions.price_packages(page, actions.today())
        return page

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["prices"] = dict(getattr(self, "_prices", {}))
        return context

    @extend_schema(request=PackageLineSerializer, responses={201: PackageLineSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def lines(self, request: Request, pk: str | None = None) -> Response:
        package = self.get_object()
        serializer = PackageLineSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        line = actions.do_add_package_line(package, dict(serializer.validated_data), actor=request.user)
        return Response(
            PackageLineSerializer(line, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


class ApproverViewSet(ScopedViewSet):
    queryset = Approver.objects.all()
    serializer_class = ApproverSerializer
    filterset_class = ApproverFilter
    create_action = actions.do_create_approver
    update_action = actions.do_update_approver
    active_action = actions.do_set_approver_active


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Orders. POST creates one (awaiting approval); approve, reject and cancel decide it."""

    queryset = Order.objects.all()
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        qs = super().get_queryset().for_user(self.request.user)  # type: ignore[attr-defined]
        if self.action == "retrieve":
            qs = qs.prefetch_related("lines")
        return qs

    def get_serializer_class(self) -> Any:
        if self.action == "create":
            return OrderCreateSerializer
        return OrderListSerializer if self.action == "list" else OrderSerializer

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderSerializer, **ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not may_write(request.user, "order"):
            raise PermissionDenied
        serializer = OrderCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        items = [
            actions.OrderItem(
                recipients=list(i["recipients"]),
                package=i.get("package"),
                service=i.get("service"),
                quantity=i["quantity"],
            )
            for i in data.pop("items")
        ]
        order = actions.do_create_order(data, items, actor=request.user)
        return Response(
            OrderSerializer(Order.objects.prefetch_related("lines").get(pk=order.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=DecisionSerializer, responses={200: OrderSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = actions.do_approve_order(
            self.get_object(), actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(OrderSerializer(order).data)

    @extend_schema(request=DecisionSerializer, responses={200: OrderSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = actions.do_reject_order(self.get_object(), serializer.validated_data["reason"], actor=request.user)
        return Response(OrderSerializer(order).data)

    @extend_schema(request=DecisionSerializer, responses={200: OrderSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = actions.do_cancel_order(
            self.get_object(), actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(OrderSerializer(order).data)

    @extend_schema(request=None, responses={200: PurchaseOrderListSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["post"])
    def purchase(self, request: Request, pk: str | None = None) -> Response:
        """Create and send the purchase orders of an approved order now."""
        order = self.get_object()
        if not may_write(request.user, "purchasing", order.owner_id):
            raise PermissionDenied
        result = purchasing.bulk_create_purchase_orders(Order.objects.filter(pk=order.pk), actor=request.user)
        if order.pk in result.refused:
            raise exceptions.ValidationError({"non_field_errors": [result.refused[order.pk]]})
        pos = PurchaseOrder.objects.filter(pk__in=result.purchase_orders)
        return Response(PurchaseOrderListSerializer(pos, many=True).data)


def _checked(result: Any) -> dict[str, Any]:
    """A dry run's answer: its report row by row (`ConfirmationCheckSerializer`, `DeliveryCheckSerializer`)."""
    return {
        "dry_run": True,
        "filename": getattr(result, "filename", ""),
        "ok": not result.errors,
        "error_count": result.error_count,
        "errors": result.errors,
        "rows": result.rows,
    }


def _or_check(component: str, result: Any, check: Any) -> PolymorphicProxySerializer:
    """The answer is the result, or with dry_run the check's report."""
    return PolymorphicProxySerializer(
        component_name=component, serializers=[result, check], resource_type_field_name=None
    )


class PurchaseOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = PurchaseOrder.objects.all()
    serializer_class = PurchaseOrderSerializer
    filterset_class = PurchaseOrderFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        qs = super().get_queryset().for_user(self.request.user)  # type: ignore[attr-defined]
        return qs.prefetch_related("lines") if self.action == "retrieve" else qs

    def get_serializer_class(self) -> Any:
        return PurchaseOrderListSerializer if self.action == "list" else PurchaseOrderSerializer

    @extend_schema(
        request={
            "application/json": ConfirmSerializer,
            "application/x-www-form-urlencoded": ConfirmSerializer,
            "multipart/form-data": ConfirmUploadSerializer,
        },
        responses={
            200: _or_check("PurchaseOrderConfirmAnswer", PurchaseOrderSerializer, ConfirmationCheckSerializer),
            **ERRORS,
        },
        description="Register the supplier's confirmation: its reference, or (multipart) its confirmation file "
        "with the confirmed quantity and expected delivery per article; the purchase_order column may then be "
        "left out. A file may confirm an already confirmed purchase order again, with new dates. With a file "
        "and dry_run the file is only checked: the answer is its row-by-row report, errors included, and "
        "nothing is registered.",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        po = self.get_object()
        if not may_write(request.user, "purchasing", po.owner_id):
            raise PermissionDenied
        serializer = ConfirmUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data.get("file")
        if upload is not None and serializer.validated_data["dry_run"]:
            result = purchasing.do_import_confirmations(
                upload.read(), upload.name, actor=request.user, purchase_order=po, dry_run=True
            )
            return Response(ConfirmationCheckSerializer(_checked(result)).data)
        if upload is not None:
            purchasing.do_import_confirmations(upload.read(), upload.name, actor=request.user, purchase_order=po)
        else:
            purchasing.do_confirm_purchase_order(
                po, serializer.validated_data["supplier_reference"], actor=request.user
            )
        return Response(PurchaseOrderSerializer(PurchaseOrder.objects.prefetch_related("lines").get(pk=po.pk)).data)

    @extend_schema(
        request={"multipart/form-data": ConfirmationFileSerializer},
        responses={
            200: _or_check("ConfirmationImportAnswer", ConfirmationResultSerializer, ConfirmationCheckSerializer),
            **ERRORS,
        },
        description="Register suppliers' order confirmations for many purchase orders from one CSV or XLSX file. "
        "All or nothing: a file with any error is refused (400) with every error and its row number. With "
        "dry_run the file is only checked: the answer (200) is its row-by-row report, errors included, and "
        "nothing is registered; a file that cannot be read (no rows, missing columns) is still a 400.",
    )
    @action(detail=False, methods=["post"], parser_classes=[nul_free.MultiPartParser, nul_free.FormParser])
    def confirmations(self, request: Request) -> Response:
        if not may_write(request.user, "purchasing"):
            raise PermissionDenied
        serializer = ConfirmationFileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if serializer.validated_data["dry_run"]:
            check = purchasing.do_import_confirmations(upload.read(), upload.name, actor=request.user, dry_run=True)
            return Response(ConfirmationCheckSerializer(_checked(check)).data)
        result = purchasing.do_import_confirmations(upload.read(), upload.name, actor=request.user)
        pos = PurchaseOrder.objects.filter(pk__in=result.purchase_orders).prefetch_related("lines").order_by("id")
        data = {"filename": result.filename, "lines": result.lines, "purchase_orders": pos}
        return Response(ConfirmationResultSerializer(data).data)

    @extend_schema(
        request=DeliverySerializer,
        responses={200: _or_check("DeliveryAnswer", PurchaseOrderSerializer, DeliveryCheckSerializer), **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str | None = None) -> Response:
        """Register delivered units (article number, serial number); devices become assets. All or
        nothing: any error refuses the delivery (400). With dry_run the units are only checked: the
        answer (200) is the report unit by unit, errors included, and nothing is registered."""
        po = self.get_object()
        if not may_write(request.user, "purchasing", po.owner_id):
            raise PermissionDenied
        serializer = DeliverySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        units = [(u["article_number"], u["serial_number"]) for u in data["units"]]
        if data["dry_run"]:
            check = purchasing.check_delivery(po, units, actor=request.user)
            return Response(DeliveryCheckSerializer(_checked(check)).data)
        purchasing.do_register_delivery(po, units, actor=request.user, delivered_on=data.get("delivered_on"))
        return Response(PurchaseOrderSerializer(PurchaseOrder.objects.prefetch_related("lines").get(pk=po.pk)).data)


class LeadTimeParams(serializers.Serializer):
    since = serializers.DateField(required=False, help_text="First day of submission (default: a year back).")
    owner = serializers.IntegerField(required=False, min_value=1, help_text="Only this owner (one you see).")
    combine = serializers.BooleanField(
        required=False, default=False, help_text="Every owner together: one row per month."
    )


class LeadTimeStageSerializer(serializers.Serializer):
    stage = serializers.CharField()
    n = serializers.IntegerField()
    median = serializers.FloatField(allow_null=True, help_text="days")
    p90 = serializers.FloatField(allow_null=True, help_text="days")


class LeadTimeRowSerializer(serializers.Serializer):
    owner = serializers.CharField()
    month = serializers.DateField()
    lines = serializers.IntegerField()
    stages = LeadTimeStageSerializer(many=True)


class LeadTimeViewSet(viewsets.ViewSet):
    """Lead times of order lines per owner and month of submission: median and 90th percentile in
    days of each stage (submitted→approved, →ordered, →confirmed, →delivered, →handed over, total)."""

    @extend_schema(parameters=[LeadTimeParams], responses={200: LeadTimeRowSerializer(many=True), **ERRORS})
    def list(self, request: Request) -> Response:
        if not reports.may_see_lead_times(request.user):
            raise PermissionDenied
        params = LeadTimeParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        owner_id = data.get("owner")
        if owner_id is not None and not Owner.objects.for_user(request.user).filter(pk=owner_id).exists():  # type: ignore[attr-defined]
            raise exceptions.ValidationError({"owner": ["No such owner."]})
        since = data.get("since") or reports.default_since()
        rows = reports.lead_times(request.user, since, owner_id, combine_owners=data["combine"])
        for row in rows:
            row["owner"] = str(row["owner"])
            row["stages"] = [
                {"stage": f"{start.removesuffix('_at')}-{end.removesuffix('_at')}", **figures}
                for (start, end), figures in zip(reports.STAGES, row["stages"], strict=True)
            ]
        return Response(LeadTimeRowSerializer(rows, many=True).data)


def register(router: Any) -> None:
    """This app's API routes, registered on the project's router by samdrift/urls.py."""
    router.register("ordering/suppliers", SupplierViewSet)
    router.register("ordering/agreements", AgreementViewSet)
    router.register("ordering/price-imports", PriceImportViewSet)
    router.register("ordering/services", ServiceViewSet)
    router.register("ordering/packages", PackageViewSet)
    router.register("ordering/approvers", ApproverViewSet)
    router.register("ordering/orders", OrderViewSet)
    router.register("ordering/purchase-orders", PurchaseOrderViewSet)
    router.register("ordering/lead-times", LeadTimeViewSet, basename="ordering-lead-times")
