import django_tables2 as tables
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from samdrift.billing.models import (
    Article,
    BillingPeriod,
    BillingProfile,
    Charge,
    CostPool,
    Invoice,
    Subscription,
    WorkTypeRate,
)

TABLE_ATTRS = {"class": "table table-sm table-hover align-middle"}


class InvoiceTable(tables.Table):
    number = tables.Column(linkify=True)

    class Meta:
        model = Invoice
        fields = ("number", "kind", "owner", "period", "buyer_reference", "net_amount", "vat_amount", "total_amount")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Invoice._meta.verbose_name_plural)}


class PeriodTable(tables.Table):
    name = tables.Column(verbose_name=_("Period"), accessor="pk", linkify=lambda record: record.get_absolute_url())

    def render_name(self, record: BillingPeriod) -> str:
        return str(record)

    class Meta:
        model = BillingPeriod
        fields = ("name", "status", "closed_at")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(BillingPeriod._meta.verbose_name_plural)}


class CostPoolTable(tables.Table):
    name = tables.Column(linkify=True)

    class Meta:
        model = CostPool
        fields = (
            "code",
            "name",
            "kind",
            "monthly_cost",
            "investment",
            "depreciation_months",
            "start",
            "end",
            "revenue_account",
        )
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(CostPool._meta.verbose_name_plural)}


class ArticleTable(tables.Table):
    code = tables.Column(linkify=True)

    class Meta:
        model = Article
        fields = ("code", "name", "unit_code", "unit_price", "revenue_account", "vat_category", "vat_rate", "active")
        orderable = False
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Article._meta.verbose_name_plural)}


class SubscriptionTable(tables.Table):
    id = tables.Column(verbose_name="#", linkify=True)

    class Meta:
        model = Subscription
        fields = ("id", "owner", "cost_centre", "article", "description", "monthly_price", "start", "end")
        orderable = False  # 2.5 million rows nationally: newest first, by the primary key
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Subscription._meta.verbose_name_plural)}


class ChargeTable(tables.Table):
    description = tables.Column(linkify=True)

    class Meta:
        model = Charge
        fields = ("charge_date", "owner", "cost_centre", "article", "description", "quantity", "unit_price", "amount")
        orderable = False
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Charge._meta.verbose_name_plural)}


class WorkTypeRateTable(tables.Table):
    work_type = tables.Column(linkify=True)

    def render_work_type(self, record: WorkTypeRate) -> str:
        return record.get_work_type_label()

    class Meta:
        model = WorkTypeRate
        fields = ("work_type", "valid_from", "article", "hourly_rate")
        orderable = False
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(WorkTypeRate._meta.verbose_name_plural)}


class BillingProfileTable(tables.Table):
    owner = tables.Column(linkify=True)

    class Meta:
        model = BillingProfile
        fields = ("owner", "default_cost_centre", "split_by_reference", "payment_days", "peppol_endpoint", "pdf_email")
        orderable = False
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(BillingProfile._meta.verbose_name_plural)}
