"""The monthly owner reports as official records (records/services.py): a report sent to an owner
is kept in the information management plan ("Månadsrapporter till ägarna", kept for ever unless
the records officer decides otherwise), found by an access request by owner or month, shown with
its PDF as the attachment, and disposed of by insight's own action if the plan ever says so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils.translation import gettext as _

from samdrift.core.access import require_role
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import Role
from samdrift.insight.models import OwnerReport
from samdrift.records.services import Part, Rendered, SecrecyGround, Source, delete_rows

RECORDS_ROLES = (Role.RECORDS_OFFICER, Role.ADMIN)


@dataclass(frozen=True)
class ReportFile:
    """The report's PDF as records shows and packs an attachment (it is public: no marking)."""

    filename: str
    file: ContentFile
    secrecy_ground: SecrecyGround | None = None
    secrecy_ground_id: int | None = None


def report_filename(report: OwnerReport) -> str:
    return f"agarrapport-{report.owner.municipality_code}-{report.month:%Y-%m}.pdf"


class OwnerReportSource(Source):
    label = "insight.ownerreport"
    verbose = staticmethod(lambda: _("Monthly owner report"))
    search_fields = ("owner__name", "owner__municipality_code")
    date_field = "created"
    order = 60

    def queryset(self) -> models.QuerySet:
        return super().queryset().select_related("owner").defer("pdf")

    def identifier(self, obj: Any) -> str:
        return f"{obj.owner.municipality_code}-{obj.month:%Y-%m}"

    def title(self, obj: Any) -> str:
        return _("Monthly report %(month)s: %(owner)s") % {"month": f"{obj.month:%Y-%m}", "owner": obj.owner.name}

    def parts(self, obj: Any, grounds: dict[str, SecrecyGround]) -> Rendered:
        report = OwnerReport.objects.select_related("owner").get(pk=obj.pk)
        parts = [
            Part("owner", _("Owner"), report.owner.name),
            Part("month", _("Month"), f"{report.month:%Y-%m}"),
            Part("created", _("Made"), report.created.isoformat(timespec="minutes")),
            Part("recipients", _("Sent to"), ", ".join(report.recipients)),
            Part("sha256", _("SHA-256"), report.sha256),
        ]
        pdf = ReportFile(report_filename(report), ContentFile(bytes(report.pdf)))
        return Rendered(self.identifier(report), self.title(report), parts, attachments=[pdf])

    def disposal_queryset(self, cutoff: Any, event: str) -> models.QuerySet | None:
        if event == "created":
            return OwnerReport.objects.filter(created__lt=cutoff)
        return None

    def dispose(self, ids: models.QuerySet, method: str, *, actor: Any) -> int:
        return do_dispose_owner_reports(ids, method, actor=actor)


@transaction.atomic
def do_dispose_owner_reports(ids: models.QuerySet, method: str, *, actor: Any) -> int:
    """Delete owner reports whose retention the plan says has run out (a report is not
    anonymised: it goes whole). The outbox keeps its own message record. One audit event."""
    role = require_role(actor, owner_id=None, operator_roles=RECORDS_ROLES)
    count = delete_rows(OwnerReport.objects.filter(pk__in=ids))
    record_event(
        actor, role, AuditEventType.UPDATED,
        object_type="insight.ownerreport", object_repr=str(count),
        extra={"action": "dispose", "method": method, "count": count},
    )  # fmt: skip
    return count
