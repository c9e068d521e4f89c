from rest_framework import serializers

from samdrift.assets.models import (
    Asset,
    AssetAssignment,
    AssetModel,
    AssetStatus,
    LicenceAssignment,
    LicenceEntitlement,
    Manufacturer,
    Site,
    SoftwareProduct,
    TriageDevice,
    WifiStandardItem,
    WifiZone,
    WifiZoneCheck,
)
from samdrift.core.api import ScopedSerializer
from samdrift.tenancy.models import CostCentre, OrgUnit, Owner, Person


class ManufacturerSerializer(ScopedSerializer):
    class Meta:
        model = Manufacturer
        fields = ["id", "name", "aliases", "active"]
        read_only_fields = ["active"]


class AssetModelSerializer(ScopedSerializer):
    class Meta:
        model = AssetModel
        fields = [
            "id",
            "manufacturer",
            "name",
            "category",
            "expected_lifetime_months",
            "list_price",
            "co2e_kg",
            "co2e_source",
            "active",
        ]
        read_only_fields = ["active"]


class SiteSerializer(ScopedSerializer):
    class Meta:
        model = Site
        fields = ["id", "owner", "name", "street", "postcode", "city", "latitude", "longitude", "active"]
        read_only_fields = ["active"]


class AssetSerializer(ScopedSerializer):
    class Meta:
        model = Asset
        fields = [
            "id",
            "owner",
            "asset_tag",
            "manufacturer",
            "model",
            "serial_number",
            "status",
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
            "hostname",
            "hardware_uuid",
            "os_name",
            "os_version",
            "cpu",
            "memory_mb",
            "last_user",
            "last_seen",
            "hardware",
            "created",
        ]
        # Status, person and owner change through the lifecycle endpoints, facts through agents.
        read_only_fields = [
            "manufacturer",
            "assigned_to",
            "hostname",
            "hardware_uuid",
            "os_name",
            "os_version",
            "cpu",
            "memory_mb",
            "last_user",
            "last_seen",
            "hardware",
            "created",
        ]


class AssetUpdateSerializer(AssetSerializer):
    class Meta(AssetSerializer.Meta):
        read_only_fields = [*AssetSerializer.Meta.read_only_fields, "owner", "status"]


class AssignmentSerializer(ScopedSerializer):
    class Meta:
        model = AssetAssignment
        fields = [
            "id",
            "asset",
            "owner",
            "person",
            "cost_centre",
            "org_unit",
            "started_at",
            "ended_at",
            "accepted_at",
            "reason",
        ]
        read_only_fields = fields


class CheckOutSerializer(ScopedSerializer):
    """Hand the device to a person (cost centre: the person's unless given)."""

    class Meta:
        model = AssetAssignment
        fields = ["person", "cost_centre"]
        extra_kwargs = {"person": {"required": True, "allow_null": False}}


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AssetStatus.choices)


class MoveSerializer(ScopedSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=Owner.objects.all(), required=False)
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), required=False)
    cost_centre = serializers.PrimaryKeyRelatedField(queryset=CostCentre.objects.all(), required=False)
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), required=False)
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), required=False)

    class Meta:
        model = Asset
        fields = ["owner", "person", "cost_centre", "org_unit", "site"]


class BulkStatusSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1, max_length=1000
    )
    status = serializers.ChoiceField(choices=AssetStatus.choices)


class TriageDeviceSerializer(ScopedSerializer):
    class Meta:
        model = TriageDevice
        fields = [
            "id",
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
            "resolved_asset",
        ]
        read_only_fields = fields


class SoftwareProductSerializer(ScopedSerializer):
    class Meta:
        model = SoftwareProduct
        fields = ["id", "name", "publisher", "aliases", "active"]
        read_only_fields = ["active"]


class LicenceEntitlementSerializer(ScopedSerializer):
    class Meta:
        model = LicenceEntitlement
        fields = [
            "id",
            "owner",
            "product",
            "kind",
            "seats",
            "valid_from",
            "valid_until",
            "cost",
            "shared",
            "reference",
            "active",
        ]
        read_only_fields = ["active"]


class LicenceEntitlementUpdateSerializer(LicenceEntitlementSerializer):
    class Meta(LicenceEntitlementSerializer.Meta):
        read_only_fields = ["active", "owner", "product"]


class LicenceAssignmentSerializer(ScopedSerializer):
    class Meta:
        model = LicenceAssignment
        fields = ["id", "entitlement", "person", "asset", "created"]
        read_only_fields = ["id", "entitlement", "created"]


class ComplianceRowSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    product = serializers.CharField()
    owner_id = serializers.IntegerField()
    owner = serializers.CharField()
    entitled = serializers.IntegerField()
    assigned = serializers.IntegerField()
    installed = serializers.IntegerField()
    over_use = serializers.IntegerField()
    under_use = serializers.IntegerField()
    expiring = serializers.IntegerField(help_text="Seats whose licence ends within 90 days.")


class WifiZoneCheckSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_text = serializers.CharField(source="item.text", read_only=True)

    class Meta:
        model = WifiZoneCheck
        fields = ["id", "item", "item_code", "item_text", "result", "note", "checked_at"]
        read_only_fields = fields


class WifiZoneSerializer(ScopedSerializer):
    checks = WifiZoneCheckSerializer(many=True, read_only=True)

    class Meta:
        model = WifiZone
        fields = [
            "id",
            "owner",
            "name",
            "site",
            "outdoor",
            "latitude",
            "longitude",
            "ssids",
            "authentication",
            "portal_terms_version",
            "access_points",
            "backhaul",
            "funding",
            "funding_obligations",
            "operating_from",
            "operating_until",
            "log_retention_days",
            "active",
            "checks",
        ]
        read_only_fields = ["active"]


class WifiZoneUpdateSerializer(WifiZoneSerializer):
    class Meta(WifiZoneSerializer.Meta):
        read_only_fields = ["active", "owner"]


class WifiCheckInputSerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=WifiStandardItem.objects.all())
    result = serializers.ChoiceField(choices=WifiZoneCheck._meta.get_field("result").choices)  # type: ignore[arg-type]
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class WifiStandardItemSerializer(ScopedSerializer):
    class Meta:
        model = WifiStandardItem
        fields = ["id", "code", "text", "active"]
        read_only_fields = ["active"]
