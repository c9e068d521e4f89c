"""The SIE 4 export of an accounting month (bokföringsmånad): the vouchers of the invoices and
credit notes whose accounting date falls in it, for the company's own bookkeeping.

The rules, each there because breaking it corrupts the books it is imported into:

- A document is in the file of its own accounting date (its invoice date): a credit note issued
  in January is in January's file, not in November's, which was imported long ago. Every voucher
  date is therefore inside the month, and the file's fiscal year (#RAR 0) is that month's year.
- Vouchers are numbered once, per fiscal year, in series F (invoices) and K (credit notes), in
  order of date, and the numbers are stored (`SieVoucherNumber`): two exports never renumber.
- A month is final once it is over, its billing period (if there is one) is closed and no open
  period holds draft invoices dated in it. Its first final export is stored (`SieExport`) and every later
  export serves the same bytes, #GEN included. Before that, the export is preliminary: marked
  PRELIMINÄR in #PROSA, in its file name and in every voucher text, with no voucher numbers, and
  nothing is stored or numbered.

Callers (the action `do_export_sie_month`) check the role and record the export.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Max, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from samdrift.billing.models import (
    BillingPeriod,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    PeriodStatus,
    SieVoucherNumber,
)
from samdrift.billing.sie import SieFile, SieTransaction, SieVoucher, write_sie
from samdrift.billing.vat import breakdown

RECEIVABLE_ACCOUNT = "1510"  # Kundfordringar (BAS)
DIM_COST_CENTRE = "1"  # SIE's standard dimension 1: kostnadsställe
DIM_OWNER = "20"  # a dimension of our own (20 and up are free): the owner (ägare)
SERIES = {InvoiceKind.INVOICE: "F", InvoiceKind.CREDIT_NOTE: "K"}
PRELIMINARY = "PRELIMINÄR"


@dataclass(frozen=True)
class SieMonthFile:
    content: bytes
    final: bool
    filename: str
    reasons: tuple[str, ...] = ()  # why it is preliminary


def accounting_month(period: BillingPeriod) -> tuple[int, int]:
    """The accounting month whose file holds a period's invoices: the month they were issued in
    once the period is closed (invoices are dated the day they are issued); while it is open, the
    month its drafts are dated in (the day of the run, the date they would carry if issued then),
    so that the open period's preliminary file shows them; without a run, the period's own month."""
    issued = Invoice.objects.filter(period=period).aggregate(day=Max("issue_date"))["day"]
    if issued is not None:
        return issued.year, issued.month
    return period.year, period.month


def last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def preliminary_reasons(year: int, month: int, today: date) -> list[str]:
    """Why the month's file cannot be final yet; empty when it can."""
    reasons = []
    end = last_day(year, month)
    if today <= end:
        reasons.append(_("the month is not over"))
    # A month without a billing period of its own is not held open by it: invoices are dated the
    # day they are issued, so a period created and closed later never dates anything in a past month.
    period = BillingPeriod.objects.filter(year=year, month=month).first()
    if period is not None and period.is_open:
        reasons.append(_("the period %(period)s is open") % {"period": f"{year}-{month:02d}"})
    if Invoice.objects.filter(
        period__status=PeriodStatus.OPEN, issue_date__gte=date(year, month, 1), issue_date__lte=end
    ).exists():
        reasons.append(_("an open period holds draft invoices dated in the month"))
    return reasons


def month_documents(year: int, month: int, *, issued_only: bool) -> list[Invoice]:
    qs = Invoice.objects.filter(issue_date__gte=date(year, month, 1), issue_date__lte=last_day(year, month))
    if issued_only:
        qs = qs.filter(period__status=PeriodStatus.CLOSED)
    return list(
        qs.select_related("owner", "credited_invoice", "sie_voucher").order_by("issue_date", "kind", "number", "pk")
    )


def assign_numbers(year: int, through: date) -> int:
    """Number every issued document of fiscal year `year` dated up to `through` that has no voucher
    number yet, in date order, continuing each series. Returns how many were numbered."""
    pending = list(
        Invoice.objects.filter(
            period__status=PeriodStatus.CLOSED,
            issue_date__gte=date(year, 1, 1),
            issue_date__lte=through,
            sie_voucher__isnull=True,
        ).order_by("issue_date", "kind", "number", "pk")
    )
    if not pending:
        return 0
    last = dict(
        SieVoucherNumber.objects.filter(fiscal_year=year)
        .values("series")
        .annotate(n=Max("number"))
        .values_list("series", "n")
    )
    rows = []
    for inv in pending:
        series = SERIES[InvoiceKind(inv.kind)]
        last[series] = last.get(series, 0) + 1
        rows.append(SieVoucherNumber(invoice=inv, series=series, fiscal_year=year, number=last[series]))
    SieVoucherNumber.objects.bulk_create(rows)
    return len(rows)


def build_month(year: int, month: int, *, final: bool, today: date, operator: Any) -> tuple[bytes, int]:
    """The month's file and its number of vouchers (see the module's rules).

    Per document: the receivable on the owner (debit), revenue per account and cost centre
    (credit), VAT per rate (credit); a credit note the same with opposite signs.
    """
    with translation.override("sv"):
        docs = month_documents(year, month, issued_only=final)
        label = f"{year}-{month:02d}"
        prosa = _("Samdrift: invoices and credit notes with accounting date in %(month)s") % {"month": label}
        if not final:
            prosa = _("%(mark)s, not to be booked: %(text)s") % {"mark": PRELIMINARY, "text": prosa}
        sie = SieFile(
            program=("Samdrift", "1.0"),
            generated=today,
            prosa=prosa,
            org_number=operator.org_number_display,
            company_name=operator.name,
            fiscal_years={0: (date(year, 1, 1), date(year, 12, 31))},
            dimensions={DIM_COST_CENTRE: _("Cost centre"), DIM_OWNER: _("Owner")},
        )
        sie.accounts[RECEIVABLE_ACCOUNT] = _("Accounts receivable")
        revenue = (
            InvoiceLine.objects.filter(invoice__in=docs)
            .values(
                "invoice_id",
                "revenue_account",
                "vat_rate",
                "vat_category",
                "cost_centre__code",
                "cost_centre__name",
                "owner__municipality_code",
            )
            .annotate(net=Sum("amount"))
            .order_by("invoice_id", "revenue_account", "cost_centre__code", "vat_rate")
        )
        per_invoice: dict[int, list[Any]] = defaultdict(list)
        for row in revenue:
            per_invoice[row["invoice_id"]].append(row)
        for inv in docs:
            sign = Decimal(-1) if inv.kind == InvoiceKind.CREDIT_NOTE else Decimal(1)
            owner_obj = inv.owner.municipality_code
            sie.objects[(DIM_OWNER, owner_obj)] = inv.owner.name
            rows = [
                SieTransaction(RECEIVABLE_ACCOUNT, ((DIM_OWNER, owner_obj),), sign * inv.total_amount, text=inv.number)
            ]
            vat_items: list[tuple[str, Decimal, Decimal]] = []
            for r in per_invoice[inv.pk]:
                cc_obj = f"{r['owner__municipality_code']}-{r['cost_centre__code']}"
                sie.objects[(DIM_COST_CENTRE, cc_obj)] = r["cost_centre__name"]
                sie.accounts.setdefault(r["revenue_account"], _("Revenue"))
                rows.append(
                    SieTransaction(
                        r["revenue_account"],
                        ((DIM_COST_CENTRE, cc_obj), (DIM_OWNER, owner_obj)),
                        -sign * r["net"],
                    )
                )
                vat_items.append((r["vat_category"], r["vat_rate"], r["net"]))
            for sub in breakdown(vat_items):  # the same VAT as on the invoice (billing/vat.py)
                if not sub.tax:
                    continue  # E, Z, O (and a zero total): no VAT row, no -0.00
                sie.accounts.setdefault(
                    sub.account, _("Output VAT %(rate)s%%") % {"rate": format(sub.rate.normalize(), "f")}
                )
                rows.append(SieTransaction(sub.account, (), -sign * sub.tax))
            text = f"{inv.number} {inv.owner.name}"
            if inv.credited_invoice is not None:
                text += " " + _("credits %(number)s") % {"number": inv.credited_invoice.number}
            number = ""
            if final:
                number = str(inv.sie_voucher.number)
            else:
                text = f"{PRELIMINARY} {text}"
            sie.vouchers.append(
                SieVoucher(
                    series=SERIES[InvoiceKind(inv.kind)],
                    number=number,
                    date=inv.issue_date,
                    text=text,
                    transactions=tuple(rows),
                )
            )
        if final:
            sie.vouchers.sort(key=lambda v: (v.series, int(v.number)))
        return write_sie(sie, with_checksum=final), len(sie.vouchers)


def filename(year: int, month: int, *, final: bool) -> str:
    return f"samdrift-sie-{year}-{month:02d}.se" if final else f"samdrift-sie-{year}-{month:02d}-PRELIMINAR.se"
