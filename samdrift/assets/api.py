from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from samdrift.assets import actions, import_api, licences, wifi
from samdrift.assets.filters import (
    AssetFilter,
    AssetModelFilter,
    AssignmentFilter,
    ManufacturerFilter,
    SiteFilter,
    TriageDeviceFilter,
)
from samdrift.assets.licence_views import EntitlementFilter, SoftwareProductFilter
from samdrift.assets.models import (
    Asset,
    AssetAssignment,
    AssetModel,
    LicenceEntitlement,
    Manufacturer,
    Site,
    SoftwareProduct,
    TriageDevice,
    WifiStandardItem,
    WifiZone,
    WifiZoneCheck,
)
from samdrift.assets.permissions import may_write
from samdrift.assets.serializers import (
    AssetModelSerializer,
    AssetSerializer,
    AssetUpdateSerializer,
    AssignmentSerializer,
    BulkStatusSerializer,
    CheckOutSerializer,
    ComplianceRowSerializer,
    LicenceAssignmentSerializer,
    LicenceEntitlementSerializer,
    LicenceEntitlementUpdateSerializer,
    ManufacturerSerializer,
    MoveSerializer,
    SiteSerializer,
    SoftwareProductSerializer,
    StatusSerializer,
    TriageDeviceSerializer,
    WifiCheckInputSerializer,
    WifiStandardItemSerializer,
    WifiZoneCheckSerializer,
    WifiZoneSerializer,
    WifiZoneUpdateSerializer,
)
from samdrift.assets.wifi_views import WifiStandardFilter, WifiZoneFilter
from samdrift.core.access import access_object
from samdrift.core.api import ERRORS, ScopedViewSet


class ManufacturerViewSet(ScopedViewSet):
    queryset = Manufacturer.objects.all()
    serializer_class = ManufacturerSerializer
    filterset_class = ManufacturerFilter
    create_action = actions.do_create_manufacturer
    update_action = actions.do_update_manufacturer
    active_action = actions.do_set_manufacturer_active


class AssetModelViewSet(ScopedViewSet):
    queryset = AssetModel.objects.select_related("manufacturer")
    serializer_class = AssetModelSerializer
    filterset_class = AssetModelFilter
    create_action = actions.do_create_asset_model
    update_action = actions.do_update_asset_model
    active_action = actions.do_set_asset_model_active


class SiteViewSet(ScopedViewSet):
    queryset = Site.objects.all()
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    create_action = actions.do_create_site
    update_action = actions.do_update_site
    active_action = actions.do_set_site_active


class AssetViewSet(ScopedViewSet):
    """Assets. Lifecycle changes go through check-out, check-in, status, move and bulk-status."""

    queryset = Asset.objects.all()
    serializer_class = AssetSerializer
    filterset_class = AssetFilter
    create_action = actions.do_create_asset
    update_action = actions.do_update_asset

    def get_serializer_class(self) -> Any:
        if self.action in {"update", "partial_update"}:
            return AssetUpdateSerializer
        return AssetSerializer

    def _writable(self) -> Asset:
        asset = self.get_object()
        if not may_write(self.request.user, "asset", asset.owner_id):
            raise exceptions.PermissionDenied()
        return asset

    @extend_schema(request=None, responses={405: None})
    def deactivate(self, request: Request, pk: str | None = None) -> Response:  # type: ignore[override]
        raise exceptions.MethodNotAllowed("POST", detail="Assets end their life through a status, not deactivation.")

    @extend_schema(request=None, responses={405: None})
    def reactivate(self, request: Request, pk: str | None = None) -> Response:  # type: ignore[override]
        raise exceptions.MethodNotAllowed("POST", detail="Assets end their life through a status, not deactivation.")

    @extend_schema(request=CheckOutSerializer, responses={200: AssignmentSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request: Request, pk: str | None = None) -> Response:
        asset = self._writable()
        data = CheckOutSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        assignment = actions.do_check_out_asset(
            asset, data.validated_data["person"], cost_centre=data.validated_data.get("cost_centre"), actor=request.user
        )
        return Response(AssignmentSerializer(assignment).data)

    @extend_schema(request=None, responses={200: AssetSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, pk: str | None = None) -> Response:
        asset = actions.do_check_in_asset(self._writable(), actor=request.user)
        return Response(AssetSerializer(asset).data)

    @extend_schema(request=StatusSerializer, responses={200: AssetSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        asset = self._writable()
        data = StatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        asset = actions.do_change_asset_status(asset, data.validated_data["status"], actor=request.user)
        return Response(AssetSerializer(asset).data)

    @extend_schema(request=MoveSerializer, responses={200: AssetSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        asset = self._writable()
        data = MoveSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        asset = actions.do_move_asset(asset, actor=request.user, **data.validated_data)
        return Response(AssetSerializer(asset).data)

    @extend_schema(request=BulkStatusSerializer, responses={200: AssetSerializer(many=True), **ERRORS})
    @action(detail=False, methods=["post"], url_path="bulk-status")
    def bulk_status(self, request: Request) -> Response:
        data = BulkStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data["ids"]
        assets = list(Asset.objects.for_user(request.user).filter(pk__in=ids))
        if len(assets) != len(set(ids)):
            raise exceptions.NotFound()
        if not all(may_write(request.user, "asset", a.owner_id) for a in assets):
            raise exceptions.PermissionDenied()
        actions.do_bulk_change_asset_status(assets, data.validated_data["status"], actor=request.user)
        fresh = Asset.objects.filter(pk__in=ids).order_by("id")
        return Response(AssetSerializer(fresh, many=True).data)


class AssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    """The complete history of who had which device, for which owner, at whose cost."""

    queryset = AssetAssignment.objects.all()
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return AssetAssignment.objects.for_user(self.request.user)

    @extend_schema(request=None, responses={200: AssignmentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """The person who received the device confirms it."""
        assignment = access_object(AssetAssignment, request.user, pk)
        assignment = actions.do_accept_asset_assignment(assignment, actor=request.user)
        return Response(AssignmentSerializer(assignment).data)


class TriageDeviceViewSet(viewsets.ReadOnlyModelViewSet):
    """Devices inventory agents reported that match no asset."""

    queryset = TriageDevice.objects.all()
    serializer_class = TriageDeviceSerializer
    filterset_class = TriageDeviceFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return TriageDevice.objects.for_user(self.request.user)


class SoftwareProductViewSet(ScopedViewSet):
    queryset = SoftwareProduct.objects.all()
    serializer_class = SoftwareProductSerializer
    filterset_class = SoftwareProductFilter
    create_action = licences.do_create_software_product
    update_action = licences.do_update_software_product
    active_action = licences.do_set_software_product_active


class LicenceEntitlementViewSet(ScopedViewSet):
    """Licences bought; `assign` gives a seat to a person or a device; `compliance` compares."""

    queryset = LicenceEntitlement.objects.all()
    serializer_class = LicenceEntitlementSerializer
    filterset_class = EntitlementFilter
    create_action = licences.do_create_licence_entitlement
    update_action = licences.do_update_licence_entitlement
    active_action = licences.do_set_licence_entitlement_active

    def get_serializer_class(self) -> Any:
        if self.action in {"update", "partial_update"}:
            return LicenceEntitlementUpdateSerializer
        return LicenceEntitlementSerializer

    @extend_schema(request=LicenceAssignmentSerializer, responses={201: LicenceAssignmentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        entitlement = self.get_object()
        if not may_write(request.user, "asset", entitlement.owner_id):
            raise exceptions.PermissionDenied()
        data = LicenceAssignmentSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        assignment = licences.do_assign_licence(
            entitlement,
            person=data.validated_data.get("person"),
            asset=data.validated_data.get("asset"),
            actor=request.user,
        )
        return Response(LicenceAssignmentSerializer(assignment).data, status=201)

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("owner", int, required=False)],
        responses={200: ComplianceRowSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def compliance(self, request: Request) -> Response:
        try:
            owner_id: int | None = int(request.query_params.get("owner", ""))
        except ValueError:
            owner_id = None
        rows = licences.get_licence_compliance(request.user, owner_id=owner_id, today=timezone.localdate())
        return Response(ComplianceRowSerializer(rows, many=True).data)


class WifiZoneViewSet(ScopedViewSet):
    """Public Wi-Fi zones with their checklist against the common Wi-Fi standard."""

    queryset = WifiZone.objects.select_related("owner", "site").prefetch_related(
        "access_points",
        Prefetch("checks", queryset=WifiZoneCheck.objects.select_related("item").order_by("item__code")),
    )
    serializer_class = WifiZoneSerializer
    filterset_class = WifiZoneFilter
    create_action = wifi.do_create_wifi_zone
    update_action = wifi.do_update_wifi_zone
    active_action = wifi.do_set_wifi_zone_active

    def get_serializer_class(self) -> Any:
        if self.action in {"update", "partial_update"}:
            return WifiZoneUpdateSerializer
        return WifiZoneSerializer

    @extend_schema(request=WifiCheckInputSerializer, responses={200: WifiZoneCheckSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="check")
    def record_check(self, request: Request, pk: str | None = None) -> Response:
        """Record one point of the standard for this zone: meets, fails or not checked, with a note."""
        zone = self.get_object()
        if not may_write(request.user, "site", zone.owner_id):
            raise exceptions.PermissionDenied()
        data = WifiCheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check = WifiZoneCheck.objects.filter(zone=zone, item=data.validated_data["item"]).first()
        if check is None:
            raise exceptions.NotFound()
        check = wifi.do_record_wifi_check(
            check, data.validated_data["result"], data.validated_data["note"], actor=request.user
        )
        return Response(WifiZoneCheckSerializer(check).data)


class WifiStandardItemViewSet(ScopedViewSet):
    """The company's common Wi-Fi standard: the points every zone is checked against."""

    queryset = WifiStandardItem.objects.all()
    serializer_class = WifiStandardItemSerializer
    filterset_class = WifiStandardFilter
    create_action = wifi.do_create_wifi_standard_item
    update_action = wifi.do_update_wifi_standard_item
    active_action = wifi.do_set_wifi_standard_item_active


def register(router: Any) -> None:
    """This app's API routes, registered on the project's router by samdrift/urls.py."""
    router.register("assets", AssetViewSet)
    router.register("asset-models", AssetModelViewSet)
    router.register("manufacturers", ManufacturerViewSet)
    router.register("sites", SiteViewSet)
    router.register("asset-assignments", AssignmentViewSet)
    router.register("asset-triage", TriageDeviceViewSet)
    router.register("software-products", SoftwareProductViewSet)
    router.register("licences", LicenceEntitlementViewSet)
    router.register("wifi-zones", WifiZoneViewSet)
    router.register("wifi-standard", WifiStandardItemViewSet)
    router.register("asset-imports", import_api.AssetImportViewSet)
    router.register("asset-import-mappings", import_api.AssetImportMappingViewSet)
