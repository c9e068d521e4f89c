import django_tables2 as tables
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from samdrift.circular.models import Batch, BatchItem, LossReport, Partner
from samdrift.tenancy.tables import TABLE_ATTRS, YES_NO


def _attrs(model: type) -> dict[str, object]:
    return {**TABLE_ATTRS, "aria-label": capfirst(model._meta.verbose_name_plural)}  # type: ignore[attr-defined]


class PartnerTable(tables.Table):
    name = tables.Column(linkify=lambda record: f"/circular/partners/{record.pk}/edit/")
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = Partner
        fields = ("name", "email", "attachment_format", "missing_after_days", "credit_article", "active")
        attrs = _attrs(Partner)


class BatchTable(tables.Table):
    number = tables.Column(linkify=True)
    devices = tables.Column(verbose_name=_("Devices"), orderable=False)

    class Meta:
        model = Batch
        fields = ("number", "partner", "status", "devices", "created", "ordered_at", "received_at", "reported_at")
        attrs = _attrs(Batch)


class BatchItemTable(tables.Table):
    serial_number = tables.Column(linkify=True)
    asset = tables.Column(linkify=True)

    class Meta:
        model = BatchItem
        fields = ("serial_number", "asset", "owner", "batch", "box", "seal", "state", "outcome", "residual_value",
                  "co2e_avoided_kg")  # fmt: skip
        attrs = _attrs(BatchItem)


class LossReportTable(tables.Table):
    number = tables.Column(linkify=True)
    asset = tables.Column(linkify=True)

    class Meta:
        model = LossReport
        fields = ("number", "asset", "owner", "kind", "occurred_on", "place", "police_report", "encrypted",
                  "remotely_wiped", "ticket_number", "created")  # fmt: skip
        attrs = _attrs(LossReport)
