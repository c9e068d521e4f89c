import django_tables2 as tables
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from samdrift.core.columns import DateColumn
from samdrift.ordering.models import Agreement, Approver, Order, OrderLine, Package, PurchaseOrder, Service, Supplier
from samdrift.tenancy.tables import TABLE_ATTRS, YES_NO


def _attrs(model: type) -> dict[str, object]:
    return {**TABLE_ATTRS, "aria-label": capfirst(model._meta.verbose_name_plural)}  # type: ignore[attr-defined]


class SupplierTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = Supplier
        fields = ("name", "org_number", "email", "channel", "active")
        attrs = _attrs(Supplier)


class AgreementTable(tables.Table):
    reference = tables.Column(linkify=True)

    class Meta:
        model = Agreement
        fields = ("reference", "name", "supplier", "start", "end", "max_value")
        attrs = _attrs(Agreement)


class ServiceTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = Service
        fields = ("code", "name", "kind", "unit", "active")
        attrs = _attrs(Service)


class PackageTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = Package
        fields = ("code", "name", "active")
        attrs = _attrs(Package)


class ApproverTable(tables.Table):
    user = tables.Column(linkify=lambda record: record.get_absolute_url())

    class Meta:
        model = Approver
        fields = ("user", "owner", "cost_centre", "level", "limit", "substitute", "away_from", "away_until", "active")
        attrs = _attrs(Approver)


class OrderTable(tables.Table):
    id = tables.Column(verbose_name=_("Number"), linkify=True)

    class Meta:
        model = Order
        fields = ("id", "owner", "cost_centre", "status", "one_time_total", "monthly_total", "submitted_at")
        attrs = _attrs(Order)

    def render_id(self, record: Order) -> str:
        return record.number


class OrderLineTable(tables.Table):
    description = tables.Column(linkify=lambda record: record.get_absolute_url())
    # Annotated by the view from the supplier's order confirmation.
    expected_delivery = DateColumn(verbose_name=capfirst(_("expected delivery")), orderable=False, format="Y-m-d")

    class Meta:
        model = OrderLine
        fields = ("description", "status", "submitted_at", "expected_delivery", "delivered_at")
        attrs = _attrs(OrderLine)


class PurchaseOrderTable(tables.Table):
    id = tables.Column(verbose_name=_("Number"), linkify=True)

    class Meta:
        model = PurchaseOrder
        fields = ("id", "owner", "supplier", "agreement", "status", "total", "created", "sent_at")
        attrs = _attrs(PurchaseOrder)

    def render_id(self, record: PurchaseOrder) -> str:
        return record.number
