from __future__ import annotations

from typing import Any

from rest_framework import serializers

from samdrift.core.api import ScopedSerializer, SharedChoiceField
from samdrift.ordering.models import (
    MAX_ORDER_ITEMS,
    ORDERABLE_ROLE_CHOICES,
    Agreement,
    AgreementArticle,
    Approver,
    Order,
    OrderLine,
    Package,
    PackageLine,
    PriceImport,
    PurchaseOrder,
    PurchaseOrderLine,
    Service,
    ServicePrice,
    Supplier,
)
from samdrift.tenancy.models import Person


class SupplierSerializer(ScopedSerializer):
    class Meta:
        model = Supplier
        fields = [
            "id",
            "name",
            "org_number",
            "contact_name",
            "email",
            "phone",
            "channel",
            "attachment_format",
            "active",
        ]
        read_only_fields = ["active"]


class AgreementSerializer(ScopedSerializer):
    called_off = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = [
            "id", "reference", "name", "supplier", "parties", "start", "end", "extension_options", "extensions_taken",
            "max_value", "call_off_method", "responsible", "secret_until_award", "awarded", "handling_fee_percent",
            "called_off", "active",
        ]  # fmt: skip
        read_only_fields = ["active", "called_off"]

    def get_called_off(self, obj: Agreement) -> str:
        from samdrift.ordering.actions import called_off_value

        totals = self.context.get("called_off")
        if totals is None:
            totals = called_off_value([obj.pk])
        return str(totals.get(obj.pk, 0))


class AgreementArticleSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementArticle
        fields = [
            "id",
            "agreement",
            "article_number",
            "description",
            "unit",
            "category",
            "unit_price",
            "valid_from",
            "valid_to",
        ]


class PriceImportSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)

    class Meta:
        model = PriceImport
        fields = [
            "id", "agreement", "valid_from", "file", "filename", "status", "new_count", "changed_count", "removed_count",
            "unchanged_count", "error_count", "report", "created",
        ]  # fmt: skip
        read_only_fields = [
            "filename", "status", "new_count", "changed_count", "removed_count", "unchanged_count", "error_count",
            "report", "created",
        ]  # fmt: skip


class ServicePriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServicePrice
        fields = ["id", "price", "valid_from", "valid_to"]
        read_only_fields = ["valid_to"]


class ServiceSerializer(ScopedSerializer):
    orderable_by = serializers.ListField(child=serializers.ChoiceField(choices=ORDERABLE_ROLE_CHOICES), required=False)
    prices = ServicePriceSerializer(many=True, read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "unit",
            "description",
            "sla",
            "orderable_by",
            "billing_article",
            "prices",
            "active",
        ]
        read_only_fields = ["active"]


class PackageLineSerializer(ScopedSerializer):
    class Meta:
        model = PackageLine
        fields = ["id", "agreement", "article_number", "asset_model", "billing_article", "service", "quantity"]


class PackageSerializer(ScopedSerializer):
    lines = PackageLineSerializer(many=True, read_only=True)
    one_time_price = serializers.SerializerMethodField()
    monthly_price = serializers.SerializerMethodField()

    class Meta:
        model = Package
        fields = ["id", "code", "name", "description", "lines", "one_time_price", "monthly_price", "active"]
        read_only_fields = ["active"]

    def _price(self, obj: Package) -> Any:
        prices = self.context.get("prices") or {}
        if obj.pk not in prices:
            from samdrift.ordering.actions import price_packages, today

            prices.update(price_packages([obj], today()))
            self.context["prices"] = prices  # type: ignore[index]
        return prices[obj.pk]

    def get_one_time_price(self, obj: Package) -> str:
        return str(self._price(obj).one_time)

    def get_monthly_price(self, obj: Package) -> str:
        return str(self._price(obj).monthly)


class ApproverSerializer(ScopedSerializer):
    class Meta:
        model = Approver
        fields = [
            "id",
            "owner",
            "cost_centre",
            "user",
            "level",
            "limit",
            "substitute",
            "away_from",
            "away_until",
            "active",
        ]
        read_only_fields = ["active"]


class OrderLineSerializer(ScopedSerializer):
    class Meta:
        model = OrderLine
        fields = [
            "id", "order", "recipient", "package", "service", "quantity", "description", "one_time_price",
            "monthly_price", "status", "submitted_at", "approved_at", "ordered_at", "confirmed_at", "delivered_at",
            "handed_over_at",
        ]  # fmt: skip
        read_only_fields = fields


class OrderSerializer(ScopedSerializer):
    number = serializers.CharField(read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id", "number", "owner", "orderer", "cost_centre", "delivery_site", "delivery_address", "note", "status",
            "one_time_total", "monthly_total", "approval_level", "submitted_at", "decided_at", "decided_by",
            "decision_reason", "lines",
        ]  # fmt: skip
        read_only_fields = fields


class OrderListSerializer(OrderSerializer):
    class Meta(OrderSerializer.Meta):
        fields = [f for f in OrderSerializer.Meta.fields if f != "lines"]
        read_only_fields = fields


class OrderItemSerializer(serializers.Serializer):
    package = SharedChoiceField(queryset=Package.objects.filter(active=True), required=False, allow_null=True)
    service = SharedChoiceField(queryset=Service.objects.filter(active=True), required=False, allow_null=True)
    recipients = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), many=True)
    quantity = serializers.IntegerField(min_value=1, max_value=100, default=1)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        fields["recipients"].child_relation.queryset = Person.objects.for_user(user)  # type: ignore[attr-defined]
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("package")) == bool(attrs.get("service")):
            raise serializers.ValidationError("Give either a package or a service.")
        return attrs


class OrderCreateSerializer(ScopedSerializer):
    items = OrderItemSerializer(many=True, min_length=1, max_length=MAX_ORDER_ITEMS)  # type: ignore[call-arg]

    class Meta:
        model = Order
        fields = ["cost_centre", "delivery_site", "delivery_address", "note", "items"]

    def get_fields(self) -> dict[str, Any]:
        # DRF hands related fields a manager, not a queryset: narrow them here explicitly.
        from samdrift.assets.models import Site
        from samdrift.tenancy.models import CostCentre

        fields = super().get_fields()
        user = getattr(self.context.get("request"), "user", None)
        fields["cost_centre"].queryset = CostCentre.objects.for_user(user)  # type: ignore[attr-defined]
        fields["delivery_site"].queryset = Site.objects.for_user(user)  # type: ignore[attr-defined]
        return fields


class DecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id", "order_line", "agreement", "article_number", "description", "category", "quantity", "unit_price",
            "amount", "handling_fee_percent", "delivered_quantity", "confirmed_quantity", "confirmed_delivery",
        ]  # fmt: skip
        read_only_fields = fields


class PurchaseOrderSerializer(ScopedSerializer):
    number = serializers.CharField(read_only=True)
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id", "number", "owner", "order", "supplier", "agreement", "status", "total", "created", "sent_at",
            "confirmed_at", "supplier_reference", "lines",
        ]  # fmt: skip
        read_only_fields = fields


class PurchaseOrderListSerializer(PurchaseOrderSerializer):
    class Meta(PurchaseOrderSerializer.Meta):
        fields = [f for f in PurchaseOrderSerializer.Meta.fields if f != "lines"]
        read_only_fields = fields


class ConfirmSerializer(serializers.Serializer):
    supplier_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


DRY_RUN_HELP = (
    "Only check: nothing is registered, and the answer is the row-by-row report (200 also when rows have errors)."
)


class ConfirmationFileSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV (; or , separated) or XLSX with the columns purchase_order (IO-123; may be left out when "
        "uploaded for one purchase order), supplier_reference, article_number, quantity and optionally "
        "delivery_date (YYYY-MM-DD)."
    )
    dry_run = serializers.BooleanField(required=False, default=False, help_text=DRY_RUN_HELP)


class ConfirmUploadSerializer(ConfirmSerializer):
    file = serializers.FileField(
        required=False,
        help_text="The supplier's confirmation file for this purchase order (columns as for confirmations/); "
        "when given, supplier_reference is taken from the file.",
    )
    dry_run = serializers.BooleanField(required=False, default=False, help_text=f"With a file: {DRY_RUN_HELP}")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("dry_run") and attrs.get("file") is None:
            raise serializers.ValidationError({"dry_run": ["A dry run needs a file."]})
        return attrs


def _report_status() -> serializers.CharField:
    # A plain string: an enum here would be one more colliding "status" enum component in the schema.
    return serializers.CharField(help_text="`ok`, or `error` (see errors).")


class ConfirmationRowSerializer(serializers.Serializer):
    """One row of a confirmation file in the dry run's report."""

    row = serializers.IntegerField(help_text="The row's number in the file (the header is row 1).")
    purchase_order = serializers.CharField(help_text="As the file writes it.")
    article_number = serializers.CharField()
    quantity = serializers.IntegerField(allow_null=True, help_text="null when not a positive whole number.")
    delivery_date = serializers.DateField(allow_null=True)
    status = _report_status()
    outcome = serializers.CharField(help_text="What the row does once the file is registered; empty for errors.")
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]


class ConfirmationCheckSerializer(serializers.Serializer):
    """The dry run of a confirmation file: every row; nothing was registered."""

    dry_run = serializers.BooleanField(help_text="Always true.")
    filename = serializers.CharField()
    ok = serializers.BooleanField(help_text="The file has no errors: registering it would confirm every row.")
    error_count = serializers.IntegerField(help_text="Rows with errors.")
    errors = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(), help_text="Every error as 'Row 3: …' (at most 500 and a count of the rest)."
    )
    rows = ConfirmationRowSerializer(many=True)


class ConfirmationResultSerializer(serializers.Serializer):
    filename = serializers.CharField()
    lines = serializers.IntegerField(help_text="Purchase-order lines given a confirmed quantity.")
    purchase_orders = PurchaseOrderSerializer(many=True, help_text="The purchase orders confirmed (or again).")


class UnitSerializer(serializers.Serializer):
    article_number = serializers.CharField(max_length=60)
    serial_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class DeliverySerializer(serializers.Serializer):
    delivered_on = serializers.DateField(required=False)
    units = UnitSerializer(many=True)
    dry_run = serializers.BooleanField(required=False, default=False, help_text=DRY_RUN_HELP)


class DeliveryRowSerializer(serializers.Serializer):
    """One delivered unit in the dry run's report."""

    row = serializers.IntegerField(help_text="The unit's place in units (1 is the first).")
    article_number = serializers.CharField()
    serial_number = serializers.CharField(allow_blank=True)
    status = _report_status()
    outcome = serializers.CharField(
        help_text="What the unit becomes: a new asset checked out to its recipient (a device), or delivered; "
        "empty for errors."
    )
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]


class DeliveryCheckSerializer(serializers.Serializer):
    """The dry run of a delivery: every unit; nothing was registered."""

    dry_run = serializers.BooleanField(help_text="Always true.")
    ok = serializers.BooleanField(help_text="No errors: registering the delivery would take every unit.")
    error_count = serializers.IntegerField(help_text="Units with errors.")
    errors = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(), help_text="Every error as 'Row 3: …' (at most 500 and a count of the rest)."
    )
    rows = DeliveryRowSerializer(many=True)
