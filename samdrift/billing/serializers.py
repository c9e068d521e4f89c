from decimal import Decimal
from typing import Any

from rest_framework import serializers

from samdrift.billing.models import (
    AllocationKey,
    Article,
    BillingPeriod,
    BillingProfile,
    BillingRun,
    Charge,
    CostPool,
    Invoice,
    InvoiceLine,
    Subscription,
    UsageRow,
    WorkTypeRate,
)
from samdrift.core.api import ScopedSerializer
from samdrift.servicedesk.models import WorkType


class BillingPeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillingPeriod
        fields = ["id", "year", "month", "status", "closed_at"]
        read_only_fields = ["status", "closed_at"]


class BillingRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillingRun
        fields = [
            "id",
            "period",
            "status",
            "progress",
            "message",
            "line_count",
            "invoice_count",
            "total_net",
            "created",
            "finished",
        ]
        read_only_fields = fields


class InvoiceLineSerializer(serializers.ModelSerializer):
    cost_centre_code = serializers.CharField(source="cost_centre.code", read_only=True)

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "cost_centre",
            "cost_centre_code",
            "buyer_reference",
            "description",
            "quantity",
            "unit_code",
            "unit_price",
            "base_quantity",
            "amount",
            "vat_rate",
            "revenue_account",
            "source_type",
            "source_id",
            "pool",
            "allocation_key",
            "key_figure",
            "key_total",
            "pool_amount",
        ]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "kind",
            "owner",
            "period",
            "buyer_reference",
            "issue_date",
            "due_date",
            "net_amount",
            "vat_amount",
            "total_amount",
            "credited_invoice",
        ]
        read_only_fields = fields


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "lines"]
        read_only_fields = fields


# --- finance data: articles, subscriptions, charges, pools and keys, rates, usage -------------


class ArticleSerializer(ScopedSerializer):
    class Meta:
        model = Article
        fields = [
            "id",
            "code",
            "name",
            "unit_code",
            "unit_price",
            "revenue_account",
            "vat_category",
            "vat_rate",
            "active",
        ]


class SubscriptionSerializer(ScopedSerializer):
    class Meta:
        model = Subscription
        fields = [
            "id",
            "owner",
            "cost_centre",
            "article",
            "description",
            "monthly_price",
            "start",
            "end",
            "external_ref",
        ]


class ChargeSerializer(ScopedSerializer):
    class Meta:
        model = Charge
        fields = [
            "id",
            "owner",
            "cost_centre",
            "article",
            "description",
            "charge_date",
            "quantity",
            "unit_price",
            "amount",
            "external_ref",
        ]
        read_only_fields = ["amount"]


class CostPoolSerializer(ScopedSerializer):
    class Meta:
        model = CostPool
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "monthly_cost",
            "investment",
            "depreciation_months",
            "start",
            "end",
            "revenue_account",
            "vat_category",
            "vat_rate",
            "active",
            "sie_dimension",
            "sie_object",
            "cost_accounts",
        ]


class FigureSerializer(serializers.Serializer):
    owner = serializers.IntegerField(min_value=1)
    figure = serializers.DecimalField(max_digits=18, decimal_places=4, min_value=Decimal(0))


class AllocationKeySerializer(serializers.ModelSerializer):
    """A key with its figures; on create, leave `figures` out for population, users or devices to
    take the current figures from Samdrift."""

    figures = FigureSerializer(many=True, required=False, write_only=True)  # read back by to_representation

    class Meta:
        model = AllocationKey
        fields = ["id", "pool", "basis", "valid_from", "valid_to", "note", "created", "figures"]
        read_only_fields = ["created"]

    def to_representation(self, instance: AllocationKey) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["figures"] = [
            {"owner": owner, "figure": str(figure)}
            for owner, figure in instance.figures.order_by("owner_id").values_list("owner_id", "figure")
        ]
        return data


class AllocationFiguresSerializer(serializers.Serializer):
    figures = FigureSerializer(many=True)


class WorkTypeRateSerializer(ScopedSerializer):
    work_type = serializers.ChoiceField(choices=WorkType.choices)

    class Meta:
        model = WorkTypeRate
        fields = ["id", "work_type", "valid_from", "article", "hourly_rate"]


class UsageRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = UsageRow
        fields = ["id", "owner", "cost_centre", "article", "month", "quantity", "unit_price", "source"]
        read_only_fields = fields


class UsageImportSerializer(serializers.Serializer):
    """A usage file as `file` (multipart) or its text as `csv` (JSON); exactly one of them."""

    month = serializers.DateField(help_text="Any day in the month the usage was measured.")
    file = serializers.FileField(
        required=False,
        help_text="The usage file (multipart): CSV (UTF-8, UTF-16 or Windows-1252; ; , or tab separated) or XLSX, "
        "with the header owner;cost_centre;metric;quantity;unit_price (unit_price optional), at most "
        "SAMDRIFT_IMPORT_MAX_BYTES.",
    )
    csv = serializers.CharField(
        required=False,
        help_text="Or the file's text: CSV with the header owner;cost_centre;metric;quantity;unit_price",
        trim_whitespace=False,
    )
    dry_run = serializers.BooleanField(default=True)
    filename = serializers.CharField(
        required=False, max_length=100, help_text="Recorded as the rows' source (default: the file's name, or api)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("file" in attrs) == ("csv" in attrs):
            raise serializers.ValidationError(
                {"file": "Send one of file (the usage file, multipart) or csv (its text)."}
            )
        return attrs


class BillingProfileSerializer(ScopedSerializer):
    """How an owner is invoiced: per reference or not, payment terms, Peppol address, PDF e-mail."""

    class Meta:
        model = BillingProfile
        fields = [
            "id",
            "owner",
            "default_cost_centre",
            "split_by_reference",
            "payment_days",
            "peppol_endpoint",
            "pdf_email",
        ]
