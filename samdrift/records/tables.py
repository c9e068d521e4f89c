import django_tables2 as tables
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from samdrift.records.calendar import deadline_flag
from samdrift.records.models import (
    AccessLogEntry,
    AccessRequest,
    ArchiveExport,
    Case,
    DisposalBatch,
    GdprRequest,
    RequestStatus,
)

TABLE_ATTRS = {"class": "table table-sm table-hover align-middle"}


class CaseTable(tables.Table):
    registration_number = tables.Column(linkify=True)
    secrecy_ground = tables.Column(verbose_name=_("Secrecy"), accessor="secrecy_ground__reference")

    class Meta:
        model = Case
        fields = (
            "registration_number",
            "registered",
            "direction",
            "counterparty",
            "subject",
            "secrecy_ground",
            "status",
        )
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Case._meta.verbose_name_plural)}


FLAG_BADGES = {
    "warning": ("text-bg-warning", _("More than a working day")),
    "alarm": ("text-bg-danger", _("Three working days or more")),
}


class AccessRequestTable(tables.Table):
    reference = tables.Column(linkify=True)
    requester_name = tables.Column(verbose_name=pgettext_lazy("records", "Requester"))
    deadline = tables.Column(verbose_name=_("Deadline"), accessor="pk", orderable=False)

    def render_requester_name(self, record: AccessRequest) -> str:
        return record.requester_display

    def render_deadline(self, record: AccessRequest) -> str:
        flag = deadline_flag(record.received, open_=record.status == RequestStatus.OPEN)
        if flag == "ok":
            return "–"
        css, text = FLAG_BADGES[flag]
        return format_html('<span class="badge {}">{}</span>', css, text)

    class Meta:
        model = AccessRequest
        fields = ("reference", "received", "requester_name", "description", "status", "deadline")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(AccessRequest._meta.verbose_name_plural)}


class DisposalBatchTable(tables.Table):
    id = tables.Column(verbose_name=_("Batch"), linkify=True)

    class Meta:
        model = DisposalBatch
        fields = ("id", "record_type", "status", "proposed_at", "item_count", "approved_by", "decision", "executed_at")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(DisposalBatch._meta.verbose_name_plural)}


class GdprRequestTable(tables.Table):
    id = tables.Column(verbose_name=_("Request"), linkify=True)

    class Meta:
        model = GdprRequest
        fields = ("id", "kind", "person_label", "received", "completed_at", "handler")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(GdprRequest._meta.verbose_name_plural)}


class AccessLogTable(tables.Table):
    class Meta:
        model = AccessLogEntry
        fields = ("at", "user_label", "object_repr", "content_type", "reason", "purpose")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(AccessLogEntry._meta.verbose_name_plural)}


class ArchiveExportTable(tables.Table):
    id = tables.Column(verbose_name=_("Export"), linkify=True)

    class Meta:
        model = ArchiveExport
        fields = (
            "id",
            "record_type",
            "date_from",
            "date_to",
            "status",
            "progress",
            "record_count",
            "created_by",
            "created",
        )
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(ArchiveExport._meta.verbose_name_plural)}
