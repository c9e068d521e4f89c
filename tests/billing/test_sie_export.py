"""The SIE 4 export of an accounting month: each document in the file of its own accounting date,
voucher dates inside the file's fiscal year, stable series and numbers, a final month stored and
served byte for byte, an open month only as a clearly marked preliminary file."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from samdrift.billing import actions, sie_export
from samdrift.billing.models import Invoice, InvoiceKind, SieExport, SieVoucherNumber
from samdrift.billing.sie import SieFile, read_sie
from samdrift.core.models import AuditEvent
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)

DEC_6 = date(2026, 12, 6)


def _issued_on(period: Any, day: date) -> None:
    """As if the period had been closed on `day`: its invoices are dated the day they are issued,
    and the close action takes that day from the clock."""
    Invoice.objects.filter(period=period, kind=InvoiceKind.INVOICE).update(issue_date=day)


def _closed_november(billing: Billing) -> list[Invoice]:  # noqa: F811
    """November closed on its last day."""
    fin = billing.world.finance
    actions.do_run_billing(billing.period, actor=fin)
    actions.do_close_period(billing.period, actor=fin)
    _issued_on(billing.period, date(2026, 11, 30))
    return list(Invoice.objects.filter(period=billing.period).order_by("number"))


def _closed_month(year: int, month: int, fin: Any, issued: date) -> Any:
    period = actions.do_create_period(year, month, actor=fin)
    actions.do_run_billing(period, actor=fin)
    closed = actions.do_close_period(period, actor=fin)
    _issued_on(period, issued)
    return closed


def _export(year: int, month: int, fin: Any, today: date) -> tuple[SieFile, Any]:
    result = actions.do_export_sie_month(year, month, actor=fin, today=today)
    return read_sie(result.content), result


def _inside_fiscal_year(sie: SieFile, year: int, month: int) -> None:
    start, end = sie.fiscal_years[0]
    assert (start, end) == (date(year, 1, 1), date(year, 12, 31))
    for v in sie.vouchers:
        assert start <= v.date <= end and (v.date.year, v.date.month) == (year, month)


def test_a_credit_note_issued_in_january_is_in_januarys_file_not_novembers(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    invoices = _closed_november(billing)
    november, result = _export(2026, 11, fin, DEC_6)
    assert result.final and result.filename == "samdrift-sie-2026-11.se"
    assert november.checksum_verified  # a final file carries #KSUMMA
    assert [(v.series, v.number) for v in november.vouchers] == [("F", "1"), ("F", "2"), ("F", "3")]
    _inside_fiscal_year(november, 2026, 11)
    # The Kommun A invoice is credited in January 2027 (do_credit_invoice dates it the day it is made).
    note = actions.do_credit_invoice(invoices[0], actor=fin, reason="fel pris")
    Invoice.objects.filter(pk=note.pk).update(issue_date=date(2027, 1, 12))
    december = _closed_month(2026, 12, fin, date(2026, 12, 31))
    january = _closed_month(2027, 1, fin, date(2027, 1, 29))
    assert december and january
    again, result = _export(2026, 11, fin, date(2027, 2, 3))
    assert result.final and again == november  # November's file did not change: no K voucher in it
    dec, _result = _export(2026, 12, fin, date(2027, 2, 3))
    # December's own invoices number on after November's; no credit note there either.
    assert [(v.series, v.number) for v in dec.vouchers] == [("F", "4"), ("F", "5"), ("F", "6")]
    jan, result = _export(2027, 1, fin, date(2027, 2, 3))
    assert result.final
    _inside_fiscal_year(jan, 2027, 1)
    assert [v.number for v in jan.vouchers if v.series == "F"] == ["1", "2", "3"]  # a new fiscal year
    [voucher] = [v for v in jan.vouchers if v.series == "K"]
    # Its own series and fiscal year: K 1 of 2027, dated the day it was issued.
    assert (voucher.series, voucher.number, voucher.date) == ("K", "1", date(2027, 1, 12))
    assert invoices[0].number in voucher.text and "krediterar" in voucher.text
    assert next(t for t in voucher.transactions if t.account == "1510").amount == -invoices[0].total_amount


def test_a_closed_months_export_is_stored_and_served_byte_for_byte(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    _closed_november(billing)
    first = actions.do_export_sie_month(2026, 11, actor=fin, today=DEC_6).content
    numbers = list(SieVoucherNumber.objects.order_by("pk").values_list("invoice_id", "series", "number"))
    # Later: another day (another #GEN), a credit note in December, a renamed owner.
    note = actions.do_credit_invoice(Invoice.objects.filter(period=billing.period).first(), actor=fin)
    Invoice.objects.filter(pk=note.pk).update(issue_date=date(2026, 12, 2))  # credited in December
    billing.world.a.owner.__class__.objects.filter(pk=billing.world.a.owner.pk).update(name="Kommun A (ny)")
    second = actions.do_export_sie_month(2026, 11, actor=fin, today=date(2027, 3, 1)).content
    assert second == first
    assert SieExport.objects.count() == 1
    assert list(SieVoucherNumber.objects.order_by("pk").values_list("invoice_id", "series", "number")) == numbers
    # The December credit note numbers on in its own series once December is final.
    _closed_month(2026, 12, fin, date(2026, 12, 31))
    december = read_sie(actions.do_export_sie_month(2026, 12, actor=fin, today=date(2027, 1, 2)).content)
    assert [(v.series, v.number) for v in december.vouchers] == [("F", "4"), ("F", "5"), ("F", "6"), ("K", "1")]
    assert SieVoucherNumber.objects.get(invoice=note).number == 1
    events = AuditEvent.objects.filter(extra__action="export_sie", extra__final=True)
    assert events.count() == 3


def test_an_open_period_exports_only_a_marked_preliminary_file(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    actions.do_run_billing(billing.period, actor=fin)  # a preview run: drafts only
    # November's own file, once the month is over: preliminary while its period is open.
    sie, result = _export(2026, 11, fin, DEC_6)
    assert not result.final and result.filename.endswith("-PRELIMINAR.se")
    assert "perioden 2026-11 är öppen" in result.reasons  # Swedish by default
    assert sie.prosa.startswith("PRELIMINÄR")
    # The drafts are dated the day of the run: they are in that month's file (the period page's
    # link), which stays preliminary, even after the month is over, while the period is open.
    drafted = Invoice.objects.filter(period=billing.period).latest("issue_date").issue_date
    assert sie_export.accounting_month(billing.period) == (drafted.year, drafted.month)
    month_over = sie_export.last_day(drafted.year, drafted.month) + timedelta(days=1)
    sie, result = _export(drafted.year, drafted.month, fin, month_over)
    assert not result.final and result.filename.endswith("-PRELIMINAR.se")
    assert "en öppen period har fakturautkast daterade i månaden" in result.reasons
    assert sie.prosa.startswith("PRELIMINÄR")
    assert len(sie.vouchers) == 3
    assert all(v.number == "" and v.text.startswith("PRELIMINÄR") for v in sie.vouchers)
    assert not SieExport.objects.exists() and not SieVoucherNumber.objects.exists()  # nothing stored
    events = AuditEvent.objects.filter(extra__action="export_sie")
    assert [e.extra["final"] for e in events] == [False, False]


def test_a_closed_period_whose_month_is_not_over_is_still_preliminary(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    _closed_november(billing)
    _sie, result = _export(2026, 11, fin, date(2026, 11, 30))
    assert not result.final and "månaden är inte slut" in result.reasons
    assert not SieExport.objects.exists()


def test_only_finance_exports(billing: Billing) -> None:  # noqa: F811
    _closed_november(billing)
    with pytest.raises(PermissionDenied):
        actions.do_export_sie_month(2026, 11, actor=billing.world.a.viewer, today=DEC_6)


def test_ui_and_api_serve_the_same_stored_file(billing: Billing, web: Any) -> None:  # noqa: F811
    fin = billing.world.finance
    actions.do_run_billing(billing.period, actor=fin)
    actions.do_close_period(billing.period, actor=fin)
    # The period's file is that of the month its invoices were issued in (the close day); the UI
    # and the API take today from the clock: preliminary while that month is not over.
    issued = Invoice.objects.filter(period=billing.period).latest("issue_date").issue_date
    client = web(fin)
    page = client.get(reverse("billingperiod_detail", args=[billing.period.pk])).content.decode()
    assert reverse("billingperiod_sie", args=[billing.period.pk]) in page
    ui = client.get(reverse("billingperiod_sie", args=[billing.period.pk]))
    api = client.get(f"/api/v1/billing/periods/{billing.period.pk}/sie/")
    assert ui.status_code == api.status_code == 200
    final = timezone.localdate() > sie_export.last_day(issued.year, issued.month)
    assert ui["X-Sie-Final"] == api["X-Sie-Final"] == ("1" if final else "0")
    assert f"samdrift-sie-{issued:%Y-%m}" in ui["Content-Disposition"]
    # Once that month's final file is stored (exported after the month is over), both serve it.
    month_over = sie_export.last_day(issued.year, issued.month) + timedelta(days=1)
    stored = actions.do_export_sie_month(issued.year, issued.month, actor=fin, today=month_over)
    assert stored.final
    ui = client.get(reverse("billingperiod_sie", args=[billing.period.pk]))
    api = client.get(f"/api/v1/billing/periods/{billing.period.pk}/sie/")
    assert ui.status_code == api.status_code == 200
    assert ui["X-Sie-Final"] == "1" and ui.content == api.content == stored.content
    assert f"samdrift-sie-{issued:%Y-%m}.se" in ui["Content-Disposition"]
    assert (
        len(read_sie(ui.content).vouchers)
        == Invoice.objects.filter(kind=InvoiceKind.INVOICE, period=billing.period).count()
    )
