"""Asset pages: declarative lists and forms on the scoped base views, plus the lifecycle actions,
labels, the end user's "my devices" page, stale devices and inventory triage."""

from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from samdrift.assets import actions, inventory
from samdrift.assets.filters import (
    AgentKeyFilter,
    AssetFilter,
    AssignmentFilter,
    InventoryUploadFilter,
    TriageDeviceFilter,
)
from samdrift.assets.forms import (
    AgentKeyForm,
    AssetEditForm,
    AssetForm,
    BulkForm,
    CheckOutForm,
    MoveForm,
    StatusForm,
    TriageCreateForm,
    TriageLinkForm,
)
from samdrift.assets.models import (
    TRANSITIONS,
    AgentKey,
    Asset,
    AssetAssignment,
    AssetStatus,
    InstalledSoftware,
    InventoryUpload,
    LicenceAssignment,
    TriageDevice,
)
from samdrift.assets.permissions import may_write, person_label
from samdrift.assets.planning import get_refresh_forecast_for_owner
from samdrift.assets.tables import (
    AgentKeyTable,
    AssetTable,
    AssignmentTable,
    InventoryUploadTable,
    StaleAssetTable,
    TriageDeviceTable,
)
from samdrift.core.access import access_object
from samdrift.core.actions import do_record_export
from samdrift.core.actionviews import ObjectActionView
from samdrift.core.forms import bootstrapify
from samdrift.core.views import (
    ActionFormView,
    HistoryView,
    ScopedDetailView,
    ScopedListView,
    SetActiveView,
    apply_validation_error,
    permission_checks,
)
from samdrift.tenancy.models import Owner

_writer, _creator = permission_checks(may_write)


# --- assets ----------------------------------------------------------------------------------
ASSET_DETAIL_FIELDS = (
    "owner",
    "asset_tag",
    "status",
    "manufacturer",
    "model",
    "serial_number",
    "org_unit",
    "cost_centre",
    "assigned_to",
    "site",
    "purchase_date",
    "price",
    "supplier",
    "order_reference",
    "warranty_end",
    "lease_end",
    "notes",
)


class AssetList(ScopedListView):
    model = Asset
    template_name = "assets/asset_list.html"
    table_class = AssetTable
    filterset_class = AssetFilter
    select_related = ("owner", "model", "cost_centre", "assigned_to", "site")
    title = gettext_lazy("Assets")
    export_fields = (
        "owner__name",
        "asset_tag",
        "manufacturer__name",
        "model__name",
        "model__category",
        "serial_number",
        "status",
        "org_unit__code",
        "cost_centre__code",
        "site__name",
        "purchase_date",
        "price",
        "supplier",
        "order_reference",
        "warranty_end",
        "lease_end",
        "hostname",
        "last_seen__date",  # core's XLSX export refuses aware datetimes; dates are what people filter by
    )
    create_url_name = "asset_create"
    may_create = _creator("asset")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["may_bulk"] = may_write(self.request.user, "asset")
        context["statuses"] = AssetStatus.choices
        return context


class AssetDetail(ScopedDetailView):
    model = Asset
    template_name = "assets/asset_detail.html"
    detail_fields = ASSET_DETAIL_FIELDS
    edit_url_name, history_url_name = "asset_edit", "asset_history"
    may_edit = _writer("asset")

    def get_object(self, queryset: Any = None) -> Any:
        qs = Asset.objects.select_related(
            "owner", "manufacturer", "model", "org_unit", "cost_centre", "assigned_to", "site"
        )
        return access_object(Asset, self.request.user, self.kwargs["pk"], queryset=qs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        asset = self.object
        user = self.request.user
        assignments = list(
            AssetAssignment.objects.filter(asset=asset)
            .select_related("owner", "person", "cost_centre", "org_unit")
            .order_by("-started_at", "-id")
        )
        for row in assignments:
            row.person_label = person_label(user, row.person)  # type: ignore[attr-defined]
        context["assignments"] = assignments
        context["rows"] = [
            (label, person_label(user, value) if name == "assigned_to" else value)
            for name, (label, value) in zip(self.detail_fields, context["rows"], strict=True)
        ]
        context["software"] = InstalledSoftware.objects.filter(asset=asset).order_by("name")[:500]
        context["software_count"] = InstalledSoftware.objects.filter(asset=asset).count()
        context["hardware"] = asset.hardware or {}
        context["licences"] = list(
            LicenceAssignment.objects.for_user(user)  # type: ignore[attr-defined]
            .filter(Q(asset=asset) | Q(person_id=asset.assigned_to_id) if asset.assigned_to_id else Q(asset=asset))
            .select_related("entitlement__product")
            .order_by("entitlement__product__name", "id")[:100]
        )
        if may_write(user, "asset", asset.owner_id):
            context["next_statuses"] = [
                (s, AssetStatus(s).label) for s in sorted(TRANSITIONS[asset.status]) if s != AssetStatus.DEPLOYED
            ]
            context["may_check_out"] = asset.status == AssetStatus.IN_STOCK
            context["may_check_in"] = AssetStatus.IN_STOCK in TRANSITIONS[asset.status]
            context["may_move"] = True
        return context


class AssetFormView(ActionFormView):
    model = Asset
    create_action = actions.do_create_asset
    update_action = actions.do_update_asset
    may_write = _writer("asset")
    success_url_name = "asset_detail"

    def get_form_class(self) -> Any:
        return AssetEditForm if self.object else AssetForm


class AssetHistory(HistoryView):
    model = Asset


def _asset_for_write(request: HttpRequest, pk: int) -> Asset:
    asset = access_object(Asset, request.user, pk)
    if not may_write(request.user, "asset", asset.owner_id):
        raise PermissionDenied
    return asset


def _back(asset: Asset) -> HttpResponse:
    return HttpResponseRedirect(reverse("asset_detail", args=[asset.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def asset_check_out(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _asset_for_write(request, pk)
    form = CheckOutForm(request.POST or None, user=request.user)
    form.limit_to_owner(asset.owner_id)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_check_out_asset(
                asset, form.cleaned_data["person"], cost_centre=form.cleaned_data["cost_centre"], actor=request.user
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Checked out. The person confirms receipt under “My devices”."))
            return _back(asset)
    title = _("Check out %(asset)s") % {"asset": asset}
    status = 400 if form.errors else 200
    return render(request, "core/form.html", {"form": form, "title": title, "object": asset}, status=status)


asset_check_out.model = Asset  # type: ignore[attr-defined]  # the object behind <pk>, for the isolation test


class AssetsAction(ObjectActionView):
    """A POST on one object of the assets app by someone who may change that kind of thing (`thing`,
    see assets.permissions) of its owner; back to the object. The licence, Wi-Fi and import pages'
    actions build on it too."""

    thing: ClassVar[str] = "asset"

    def allowed(self, user: Any, obj: Any) -> bool:
        return may_write(user, self.thing, obj.owner_id)


class _AssetAction(AssetsAction):
    """A POST on a device by someone who may change the owner's devices; back to the device."""

    model = Asset


class AssetCheckIn(_AssetAction):
    def perform(self, asset: Asset, data: dict[str, Any]) -> Any:
        actions.do_check_in_asset(asset, actor=self.request.user)
        return _("Checked in.")


class AssetStatusChange(_AssetAction):
    def perform(self, asset: Asset, data: dict[str, Any]) -> Any:
        form = StatusForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError(_("Choose a status."))
        actions.do_change_asset_status(asset, form.cleaned_data["status"], actor=self.request.user)
        return _("Status changed.")


@login_required
@require_http_methods(["GET", "POST"])
def asset_move(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _asset_for_write(request, pk)
    form = MoveForm(request.POST or None, user=request.user)
    form.search_within(asset.owner_id)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v is not None}
        try:
            actions.do_move_asset(asset, actor=request.user, **data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Moved."))
            return _back(asset)
    title = _("Move %(asset)s") % {"asset": asset}
    status = 400 if form.errors else 200
    return render(request, "core/form.html", {"form": form, "title": title, "object": asset}, status=status)


asset_move.model = Asset  # type: ignore[attr-defined]


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=3, title=url)


@login_required
def asset_label(request: HttpRequest, pk: int) -> HttpResponse:
    asset = access_object(Asset, request.user, pk, queryset=Asset.objects.select_related("owner", "model"))
    return _labels(request, [asset])


asset_label.model = Asset  # type: ignore[attr-defined]


def _labels(request: HttpRequest, assets: list[Asset]) -> HttpResponse:
    labels = [{"asset": a, "qr": mark_safe(_qr_svg(request.build_absolute_uri(a.get_absolute_url())))} for a in assets]
    return render(request, "assets/labels.html", {"labels": labels, "title": _("Labels")})


@login_required
@require_POST
def asset_bulk(request: HttpRequest) -> HttpResponse:
    """Bulk actions from the list: change the status of the ticked devices, or print their labels."""
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick at least one asset and choose what to do."))
        return HttpResponseRedirect(reverse("asset_list"))
    assets = list(
        Asset.objects.for_user(request.user).filter(pk__in=form.cleaned_data["ids"]).select_related("owner", "model")
    )
    if form.cleaned_data["operation"] == "labels":
        return _labels(request, assets)
    if not all(may_write(request.user, "asset", a.owner_id) for a in assets) or not assets:
        raise PermissionDenied
    try:
        count = actions.do_bulk_change_asset_status(assets, form.cleaned_data["status"], actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(count)s assets changed.") % {"count": count})
    return HttpResponseRedirect(reverse("asset_list"))


# --- assignments and the end user's portal ---------------------------------------------------
class AssignmentList(ScopedListView):
    model = AssetAssignment
    table_class = AssignmentTable
    filterset_class = AssignmentFilter
    select_related = ("asset", "owner", "person", "cost_centre", "org_unit")
    title = gettext_lazy("Assignments")
    export_fields = (
        "asset__asset_tag",
        "owner__name",
        "cost_centre__code",
        "org_unit__code",
        "started_at__date",
        "ended_at__date",
        "accepted_at__date",
        "reason",
    )


@login_required
def my_devices(request: HttpRequest) -> HttpResponse:
    """The end user's devices (mina enheter), with a button to confirm receipt."""
    person_id = getattr(request.user, "person_id", None)
    assignments = (
        AssetAssignment.objects.for_user(request.user)
        .filter(person_id=person_id, ended_at__isnull=True)
        .select_related("asset", "asset__model", "asset__manufacturer")
        .order_by("-started_at")
        if person_id
        else AssetAssignment.objects.none()
    )
    return render(request, "assets/my_devices.html", {"assignments": assignments, "title": _("My devices")})


class AcceptAssignment(ObjectActionView):
    """The person a device was lent to confirms receipt (the action checks that it is theirs)."""

    model = AssetAssignment

    def allowed(self, user: Any, assignment: AssetAssignment) -> bool:
        return True  # whoever sees the assignment may try; do_accept_asset_assignment decides

    def perform(self, assignment: AssetAssignment, data: dict[str, Any]) -> Any:
        actions.do_accept_asset_assignment(assignment, actor=self.request.user)
        return _("Thank you, receipt confirmed.")

    def redirect_url(self, assignment: AssetAssignment) -> str:
        return reverse("my_devices")


# --- stale devices ---------------------------------------------------------------------------
class StaleAssetList(ScopedListView):
    """Devices in use whose agent has not reported for `days` days (default in settings)."""

    model = Asset
    table_class = StaleAssetTable
    filterset_class = AssetFilter
    select_related = ("owner", "assigned_to")
    title = gettext_lazy("Stale devices")
    export_fields = ("owner__name", "asset_tag", "hostname", "status", "last_seen__date", "last_user")

    def get_queryset(self) -> Any:
        try:
            days = max(1, min(3650, int(self.request.GET.get("days", ""))))
        except ValueError:
            days = int(settings.SAMDRIFT_STALE_DAYS)
        cutoff = timezone.now() - timedelta(days=days)
        return (
            super()
            .get_queryset()
            .filter(status__in=[AssetStatus.DEPLOYED, AssetStatus.IN_STOCK, AssetStatus.IN_REPAIR])
            .filter(Q(last_seen__lt=cutoff))
            .order_by("last_seen", "id")
        )


# --- agent keys, uploads and triage (operator staff) -----------------------------------------
class AgentKeyList(ScopedListView):
    model = AgentKey
    table_class = AgentKeyTable
    filterset_class = AgentKeyFilter
    select_related = ("owner",)
    title = gettext_lazy("Agent keys")
    create_url_name = "agentkey_create"
    may_create = _creator("agentkey")


@login_required
@require_http_methods(["GET", "POST"])
def agent_key_create(request: HttpRequest) -> HttpResponse:
    if not may_write(request.user, "agentkey"):
        raise PermissionDenied
    form = AgentKeyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            key, secret = actions.do_create_agent_key(form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)  # type: ignore[arg-type]
        else:
            url = request.build_absolute_uri(reverse("inventory_endpoint", args=[secret]))
            return render(request, "assets/agent_key_created.html", {"key": key, "url": url, "title": str(key)})
    return render(
        request, "core/form.html", {"form": form, "title": _("New agent key")}, status=400 if form.errors else 200
    )


class AgentKeyActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        AgentKey,
        actions.do_set_agent_key_active,
        _writer("agentkey"),
        "agentkey_list",
    )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        super().post(request, pk)
        return HttpResponseRedirect(reverse("agentkey_list"))


class InventoryUploadList(ScopedListView):
    model = InventoryUpload
    table_class = InventoryUploadTable
    filterset_class = InventoryUploadFilter
    select_related = ("owner", "asset")
    title = gettext_lazy("Inventory uploads")

    def get_queryset(self) -> Any:
        return super().get_queryset().defer("raw")


class InventoryUploadDetail(ScopedDetailView):
    model = InventoryUpload
    template_name = "assets/upload_detail.html"
    detail_fields = (
        "owner",
        "received_at",
        "remote_addr",
        "content_type",
        "size",
        "truncated",
        "query",
        "device_id",
        "agent_time",
        "status",
        "error",
        "asset",
        "processed_at",
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        raw = bytes(self.object.raw)
        try:
            xml, _compressed = inventory.decode_payload(raw)
            preview = xml[:20000].decode("utf-8", "replace")
        except inventory.InventoryError as exc:
            preview = f"{exc}\n\n{raw[:2000]!r}"
        context["preview"] = preview
        return context


class TriageDeviceList(ScopedListView):
    model = TriageDevice
    table_class = TriageDeviceTable
    filterset_class = TriageDeviceFilter
    select_related = ("owner", "resolved_asset")
    title = gettext_lazy("Unmatched devices")


class TriageDeviceDetail(ScopedDetailView):
    model = TriageDevice
    template_name = "assets/triage_detail.html"
    detail_fields = (
        "owner",
        "device_id",
        "hostname",
        "serial_number",
        "hardware_uuid",
        "macs",
        "manufacturer_name",
        "model_name",
        "first_seen",
        "last_seen",
        "last_upload",
        "resolved_asset",
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        device = self.object
        if device.resolved_asset_id is None and may_write(self.request.user, "triage", device.owner_id):
            context["create_form"] = kwargs.get("create_form") or TriageCreateForm(user=self.request.user)
            context["link_form"] = bootstrapify(kwargs.get("link_form") or TriageLinkForm())
        return context


class _TriageAction(AssetsAction):
    """Resolve an unmatched device (operator staff): on to the asset, or the form again saying what
    was wrong (status 400)."""

    model = TriageDevice
    thing = "triage"

    def form_again(self, form: Any, title: str) -> HttpResponse:
        return render(self.request, "core/form.html", {"form": form, "title": title}, status=400)


class TriageCreateAsset(_TriageAction):
    def perform(self, device: TriageDevice, data: dict[str, Any]) -> Any:
        form = TriageCreateForm(self.request.POST, user=self.request.user)
        if form.is_valid():
            try:
                asset = inventory.do_create_asset_from_triage(device, form.cleaned_data, actor=self.request.user)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(self.request, _("Asset created from the agent's report."))
                return _back(asset)
        return self.form_again(form, _("New asset from %(device)s") % {"device": device})


class TriageLinkAsset(_TriageAction):
    def perform(self, device: TriageDevice, data: dict[str, Any]) -> Any:
        form = TriageLinkForm(self.request.POST)
        if form.is_valid():
            asset = (
                Asset.objects.for_user(self.request.user)
                .filter(owner_id=device.owner_id, asset_tag=form.cleaned_data["asset_tag"])
                .first()
            )
            if asset is None:
                form.add_error("asset_tag", _("No asset with this tag at the device's owner."))
            else:
                try:
                    inventory.do_link_triage_device(device, asset, actor=self.request.user)
                except ValidationError as exc:
                    apply_validation_error(form, exc)
                else:
                    messages.success(self.request, _("Linked; the asset now has the agent's facts."))
                    return _back(asset)
        return self.form_again(form, _("Link %(device)s") % {"device": device})


# --- refresh forecast ------------------------------------------------------------------------
@login_required
def refresh_forecast(request: HttpRequest) -> HttpResponse:
    """Devices reaching end of life or warranty per quarter for three years, with replacement cost."""
    owners = Owner.objects.for_user(request.user).order_by("name")
    try:
        owner_id: int | None = int(request.GET.get("owner", ""))
    except ValueError:
        owner_id = None
    if owner_id is not None and not owners.filter(pk=owner_id).exists():
        owner_id = None  # not yours: the forecast of everything you may see, as if no owner was chosen
    rows = get_refresh_forecast_for_owner(request.user, owner_id=owner_id, start=timezone.localdate())
    if request.GET.get("export") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="refresh-forecast.csv"'
        response.write("\ufeff")
        writer = csv.writer(response, delimiter=";")
        writer.writerow([_("Quarter"), _("End of life"), _("Replacement cost (SEK)"), _("Warranties ending")])
        for row in rows:
            writer.writerow([row.quarter, row.end_of_life, row.replacement_cost, row.warranty_ends])
        do_record_export(
            request.user,
            object_type="assets.forecast",
            extra={"format": "csv", "owner": owner_id, "rows": len(rows)},
        )
        return response
    peak = max([1, *(r.end_of_life for r in rows), *(r.warranty_ends for r in rows)])
    context = {
        "title": _("Refresh forecast"),
        "rows": rows,
        "peak": peak,
        "owners": owners,
        "owner_id": owner_id,
        "total_cost": sum((r.replacement_cost for r in rows), Decimal("0.00")),
    }
    return render(request, "assets/forecast.html", context)
