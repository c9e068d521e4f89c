"""Charge sources and key figures from other apps, wired in through the registry in `sources.py`.

- Billable ticket time (servicedesk `TimeEntry`): the month's billable minutes per owner, cost
  centre and work type, charged at the work type's hourly rate valid on the day the time was
  worked (`WorkTypeRate.valid_from`; a change mid-month gives two lines). The ticket's cost
  centre is charged, or the owner's cost centre for shared costs when the ticket has none. Work
  types without a rate are not billed.
- Devices (assets `Asset`): how many devices each owner has in use, the figures of an allocation
  key with the basis "devices".

Both read the other apps' tables only; nothing here writes to them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.billing.models import BillingPeriod, BillingRun, InvoiceLine, WorkTypeRate
from samdrift.billing.sources import ChargeSource, register
from samdrift.billing.units import swedish_number
from samdrift.core.money import to_money

# Devices that count in a "devices" key: those in use (deployed) or away for repair. Devices in
# stock, returned, erased, resold, recycled, lost or stolen are nobody's running cost.
DEVICE_STATUSES = ("deployed", "in_repair")


def _rate_valid_on_the_day() -> Subquery:
    """For a time entry: the id of its work type's rate valid on the day it was worked."""
    return Subquery(
        WorkTypeRate.objects.filter(work_type=OuterRef("work_type"), valid_from__lte=OuterRef("date"))
        .order_by("-valid_from")
        .values("pk")[:1]
    )


def build_time_lines(period: BillingPeriod, run: BillingRun | None) -> int:
    """One line per owner, cost centre and rate (work type and validity): hours summed in SQL,
    each entry matched to the rate valid on its day in the same query."""
    from samdrift.billing.engine import default_cost_centres
    from samdrift.servicedesk.models import TimeEntry

    rates = {r.pk: r for r in WorkTypeRate.objects.select_related("article")}
    if not rates:
        return 0
    groups = list(
        TimeEntry.objects.filter(billable=True, date__gte=period.first_day, date__lte=period.last_day)
        .annotate(rate_id=_rate_valid_on_the_day())
        .filter(rate_id__isnull=False)
        .values("owner_id", "ticket__cost_centre_id", "ticket__cost_centre__invoice_reference", "rate_id")
        .annotate(minutes=Sum("minutes"))
        .order_by("owner_id", "ticket__cost_centre_id", "rate_id")
    )
    without_centre = sorted({g["owner_id"] for g in groups if g["ticket__cost_centre_id"] is None})
    defaults = default_cost_centres(without_centre) if without_centre else {}
    merged: dict[tuple[int, int, int], dict[str, Any]] = {}
    for g in groups:
        centre = g["ticket__cost_centre_id"]
        reference = g["ticket__cost_centre__invoice_reference"]
        if centre is None:
            if g["owner_id"] not in defaults:
                continue  # an owner without any cost centre cannot be invoiced; nothing to book on
            centre, reference = defaults[g["owner_id"]]
        key = (g["owner_id"], centre, g["rate_id"])
        entry = merged.setdefault(key, {"reference": reference, "minutes": 0})
        entry["minutes"] += g["minutes"]
    lines = []
    for (owner_id, centre, rate_id), entry in merged.items():
        rate = rates[rate_id]
        minutes = Decimal(entry["minutes"])
        since = (
            " " + _("(rate from %(day)s)") % {"day": rate.valid_from.isoformat()}
            if rate.valid_from > period.first_day
            else ""
        )
        lines.append(
            InvoiceLine(
                period=period,
                owner_id=owner_id,
                cost_centre_id=centre,
                buyer_reference=entry["reference"],
                description=_("%(article)s: %(work_type)s, %(hours)s h ticket time %(period)s")
                % {
                    "article": rate.article.name,
                    "work_type": rate.get_work_type_label().lower(),
                    "hours": swedish_number((minutes / 60).quantize(Decimal("0.0001"))),
                    "period": str(period),
                }
                + since,
                # Written as minutes at the hourly rate per 60 minutes, so that quantity × price ÷
                # base quantity is the amount to the öre (PEPPOL-EN16931-R120): rounded hours
                # (25 min = 0.4167 h) would not multiply back to it.
                quantity=minutes,
                unit_code="MIN",
                unit_price=rate.hourly_rate,
                base_quantity=Decimal(60),
                amount=to_money(minutes * rate.hourly_rate / 60),
                vat_rate=rate.article.vat_rate,
                revenue_account=rate.article.revenue_account,
                source_type="ticket_time",
                source_id=rate.pk,
                article_id=rate.article_id,
            )
        )
    InvoiceLine.objects.bulk_create(lines, batch_size=2000)
    return len(lines)


def time_rows(line: InvoiceLine) -> QuerySet:
    """The time entries behind a ticket-time line (the line's source id is the work-type rate)."""
    from samdrift.billing.engine import default_cost_centres
    from samdrift.servicedesk.models import TimeEntry

    rate = WorkTypeRate.objects.filter(pk=line.source_id or 0).first()
    if rate is None:
        return TimeEntry.objects.none()
    later = (
        WorkTypeRate.objects.filter(work_type=rate.work_type, valid_from__gt=rate.valid_from)
        .order_by("valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    validity = Q(date__gte=rate.valid_from) & (Q(date__lt=later) if later else Q())
    centre = Q(ticket__cost_centre_id=line.cost_centre_id)
    default = default_cost_centres([line.owner_id]).get(line.owner_id)
    if default is not None and default[0] == line.cost_centre_id:
        centre |= Q(ticket__cost_centre__isnull=True)
    return (
        TimeEntry.objects.filter(
            centre,
            validity,
            owner_id=line.owner_id,
            billable=True,
            work_type=rate.work_type,
            date__gte=line.period.first_day,
            date__lte=line.period.last_day,
        )
        .select_related("ticket")
        .order_by("date", "id")
    )


def device_counts(owner_ids: list[int]) -> dict[int, Decimal]:
    """Devices in use per owner (one grouped query), for allocation keys by devices."""
    from samdrift.assets.models import Asset

    counts = dict(
        Asset.objects.filter(owner_id__in=owner_ids, status__in=DEVICE_STATUSES)
        .values("owner_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("owner_id", "n")
    )
    return {owner_id: Decimal(counts.get(owner_id, 0)) for owner_id in owner_ids}


register(ChargeSource("ticket_time", gettext_lazy("Billable ticket time"), build_time_lines, time_rows))
