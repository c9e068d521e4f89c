"""Disposal of invoices under the information management plan: seven years after the end of the
financial year (the seeded "invoices" record type), only from closed periods, deleted with their
lines, and an invoice stays while a newer credit note still refers to it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from samdrift.billing import actions as billing_actions
from samdrift.billing.models import Invoice, InvoiceLine
from samdrift.records import actions
from samdrift.records.models import BatchStatus, DisposalItem, RecordType
from tests.billing.test_engine import Billing, billing  # noqa: F401 - the fixture


def _invoices_rule(officer: object) -> RecordType:
    rule = RecordType.objects.get(code="invoices")
    assert (rule.retention_years, rule.retention_event, rule.keep) == (7, "financial_year", False)
    return actions.do_update_record_type(rule, {"decision": "Dokumenthanteringsplan 2026 § 3"}, actor=officer)


def test_invoices_are_disposed_of_seven_years_after_their_financial_year(billing: Billing) -> None:  # noqa: F811
    w = billing.world
    billing_actions.do_run_billing(billing.period, actor=w.finance)
    rule = _invoices_rule(w.records)
    # An open period's invoices are previews, never disposed of.
    assert actions.propose_disposal(rule, actor=w.records, now=datetime(2040, 1, 2, tzinfo=UTC)) is None
    billing_actions.do_close_period(billing.period, actor=w.finance)
    issued = {i.number: i for i in Invoice.objects.filter(period=billing.period)}
    others = set(Invoice.objects.exclude(period=billing.period).values_list("number", flat=True))  # an open period
    assert issued and all(i.issue_date.year == 2026 for i in issued.values())
    a_invoice = Invoice.objects.get(period=billing.period, owner=w.a.owner)
    note = billing_actions.do_credit_invoice(a_invoice, actor=w.finance, reason="Fel pris")
    Invoice.objects.filter(pk=note.pk).update(issue_date=date(2028, 3, 1))  # a credit note two years on

    # 2026's books may go after 31 December 2033: not on the last day of 2033.
    assert actions.propose_disposal(rule, actor=w.records, now=datetime(2033, 12, 31, 12, tzinfo=UTC)) is None
    batch = actions.propose_disposal(rule, actor=w.records, now=datetime(2034, 1, 2, tzinfo=UTC))
    assert batch is not None
    proposed = set(batch.items.values_list("identifier", flat=True))
    assert proposed == set(issued) - {a_invoice.number}, "the credited invoice waits for its credit note"

    actions.do_approve_batch(batch, "Dokumenthanteringsplan 2026 § 3", actor=w.records)
    batch = actions.do_execute_batch(batch, actor=w.records)
    assert batch.status == BatchStatus.EXECUTED and batch.disposed_count == len(proposed)
    left = set(Invoice.objects.filter(period=billing.period).values_list("number", flat=True))
    assert left == {a_invoice.number, note.number}
    assert others == set(Invoice.objects.exclude(period=billing.period).values_list("number", flat=True))
    assert not InvoiceLine.objects.filter(invoice__number__in=proposed).exists()
    assert InvoiceLine.objects.filter(invoice=a_invoice).exists()
    log = set(DisposalItem.objects.filter(batch=batch, disposed=True).values_list("identifier", flat=True))
    assert log == proposed  # the log names them, without their content

    # Once the credit note's own time has come, both go together.
    later = actions.propose_disposal(rule, actor=w.records, now=datetime(2036, 1, 2, tzinfo=UTC))
    assert later is not None
    assert set(later.items.values_list("identifier", flat=True)) == {a_invoice.number, note.number}
    actions.do_approve_batch(later, "Dokumenthanteringsplan 2026 § 3", actor=w.records)
    actions.do_execute_batch(later, actor=w.records)
    assert not Invoice.objects.filter(period=billing.period).exists()
