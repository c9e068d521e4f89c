import django_tables2 as tables
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from samdrift.assets.models import (
    AgentKey,
    Asset,
    AssetAssignment,
    AssetModel,
    InventoryUpload,
    Manufacturer,
    Site,
    TriageDevice,
)
from samdrift.assets.permissions import person_label
from samdrift.tenancy.tables import TABLE_ATTRS, YES_NO


def _attrs(model: type) -> dict[str, object]:
    return {**TABLE_ATTRS, "aria-label": capfirst(model._meta.verbose_name_plural)}  # type: ignore[attr-defined]


class ManufacturerTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = Manufacturer
        fields = ("name", "aliases", "active")
        attrs = _attrs(Manufacturer)


class AssetModelTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = AssetModel
        fields = ("name", "manufacturer", "category", "expected_lifetime_months", "list_price", "co2e_kg", "active")
        attrs = _attrs(AssetModel)


class SiteTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = Site
        fields = ("name", "street", "city", "owner", "active")
        attrs = _attrs(Site)


class PupilSafeTable(tables.Table):
    """Shows a pupil's name only to those who may see pupils."""

    def _person(self, value: object) -> str:
        return person_label(getattr(getattr(self, "request", None), "user", None), value)


class AssetTable(PupilSafeTable):
    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "input": {
                "form": "bulk-form",
                "name": "ids",
                "aria-label": lambda record: _("Select %(thing)s") % {"thing": record.asset_tag},
            },
            "th__input": {"aria-label": _("Select all")},
        },
    )
    asset_tag = tables.Column(linkify=True)
    model = tables.Column(accessor="model__name", verbose_name=_("model"))

    def render_assigned_to(self, value: object) -> str:
        return self._person(value)

    class Meta:
        model = Asset
        fields = (
            "select",
            "asset_tag",
            "serial_number",
            "model",
            "status",
            "owner",
            "cost_centre",
            "assigned_to",
            "site",
            "warranty_end",
            "last_seen",
        )
        attrs = _attrs(Asset)


class AssignmentTable(PupilSafeTable):
    asset = tables.Column(linkify=True)

    def render_person(self, value: object) -> str:
        return self._person(value)

    def render_reason(self, record: AssetAssignment) -> str:
        return record.reason_label

    class Meta:
        model = AssetAssignment
        fields = (
            "asset",
            "owner",
            "person",
            "cost_centre",
            "org_unit",
            "started_at",
            "ended_at",
            "accepted_at",
            "reason",
        )
        attrs = _attrs(AssetAssignment)


class StaleAssetTable(PupilSafeTable):
    asset_tag = tables.Column(linkify=True)

    def render_assigned_to(self, value: object) -> str:
        return self._person(value)

    class Meta:
        model = Asset
        fields = ("asset_tag", "hostname", "owner", "status", "assigned_to", "last_seen", "last_user")
        attrs = _attrs(Asset)


class AgentKeyTable(tables.Table):
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = AgentKey
        fields = ("name", "prefix", "owner", "created", "last_used", "active")
        attrs = _attrs(AgentKey)


class InventoryUploadTable(tables.Table):
    received_at = tables.Column(linkify=True)

    class Meta:
        model = InventoryUpload
        fields = ("received_at", "owner", "query", "device_id", "size", "status", "error", "asset")
        attrs = _attrs(InventoryUpload)


class TriageDeviceTable(tables.Table):
    device_id = tables.Column(linkify=True)

    class Meta:
        model = TriageDevice
        fields = (
            "device_id",
            "hostname",
            "serial_number",
            "macs",
            "manufacturer_name",
            "model_name",
            "owner",
            "last_seen",
            "resolved_asset",
        )
        attrs = _attrs(TriageDevice)
