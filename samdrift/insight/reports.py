"""The monthly owner report (månadsrapport): made on the first working day of a month for the
month before, as a PDF in Swedish, kept unchanged (OwnerReport) and mailed through the outbox
to the owner's contacts (its owner viewers). Once per owner and month, however often the
scheduler asks."""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.outbox import Attachment, queue_message
from samdrift.insight import charts
from samdrift.insight.figures import build_owner_insight
from samdrift.insight.models import OwnerReport
from samdrift.insight.refresh import add_months, first_of, refresh_owner_months
from samdrift.servicedesk.calendar import DEFAULT_CALENDAR
from samdrift.tenancy import services as tenancy_services
from samdrift.tenancy.models import Owner

log = logging.getLogger(__name__)


def first_working_day(month: date) -> date:
    day = first_of(month)
    while not DEFAULT_CALENDAR.is_business_day(day):
        day = date.fromordinal(day.toordinal() + 1)
    return day


def render_report_pdf(owner: Owner, *, today: date) -> tuple[bytes, Any]:
    """The report for the month before `today`'s, in Swedish, as PDF bytes (and its figures)."""
    import weasyprint  # loads pango: only here

    with translation.override("sv"):
        data = build_owner_insight(None, owner, today=today)
        months = data.months[-12:]
        own = data.own[-12:]
        group = data.group[-12:]
        html = render_to_string(
            "insight/report_pdf.html",
            {
                "owner": owner,
                "d": data,
                "months": months,
                "rows": list(zip(own, group, strict=True)),
                "cost_chart": charts.line_chart(
                    translation.gettext("Cost per employee and month"),
                    months,
                    [
                        (owner.name, [f.cost_per_employee for f in own]),
                        (translation.gettext("Group average"), [f.cost_per_employee for f in group]),
                    ],
                    unit="kr",
                ),
            },
        )
    return weasyprint.HTML(string=html).write_pdf(), data  # type: ignore[no-any-return]


def do_make_owner_report(owner: Owner, *, today: date, actor: Any = None) -> OwnerReport | None:
    """Make, keep and mail one owner's report for the month before `today`'s; None if it exists."""
    month = add_months(first_of(today), -1)
    if OwnerReport.objects.filter(owner=owner, month=month).exists():
        return None
    pdf, data = render_report_pdf(owner, today=today)
    recipients = tenancy_services.get_owner_report_recipients(owner.pk)
    try:
        with transaction.atomic():
            report = OwnerReport.objects.create(
                owner=owner, month=month, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), recipients=recipients
            )
            with translation.override("sv"):
                subject = translation.gettext("Monthly report %(month)s: %(owner)s") % {
                    "month": f"{month:%Y-%m}",
                    "owner": owner.name,
                }
                body = render_to_string("insight/report_mail.txt", {"owner": owner, "d": data, "month": month})
            queue_message(
                kind="insight.owner_report",
                to=recipients,
                subject=subject,
                body=body,
                attachments=[
                    Attachment(f"agarrapport-{owner.municipality_code}-{month:%Y-%m}.pdf", pdf, "application/pdf")
                ],
                about=report,
                owner_id=owner.pk,
            )
            record_event(
                actor,
                "system",
                AuditEventType.CREATED,
                report,
                owner_id=owner.pk,
                extra={"month": f"{month:%Y-%m}", "sha256": report.sha256, "recipients": len(recipients)},
            )
    except IntegrityError:  # another worker made it first
        return None
    return report


def send_due_reports(today: date) -> dict[str, Any]:
    """On the first working day of a month (or later, for any owner still without one): last
    month's report for every active owner. Figures are refreshed first."""
    if today < first_working_day(today):
        return {"made": 0, "due": False}
    month = add_months(first_of(today), -1)
    owners = list(Owner.objects.filter(active=True).order_by("name"))
    done = set(OwnerReport.objects.filter(month=month).values_list("owner_id", flat=True))
    todo = [o for o in owners if o.pk not in done]
    if not todo:
        return {"made": 0, "due": True}
    refresh_owner_months([add_months(month, -1), month], [o.pk for o in todo], today=today)
    made = 0
    for owner in todo:
        try:
            if do_make_owner_report(owner, today=today) is not None:
                made += 1
        except Exception:  # one owner's failure must not stop the others; retried next hour
            log.exception("insight: the report of owner %s failed", owner.pk)
    return {"made": made, "due": True}
