"""Issue 14's "done when" month, made by the real engine: billable time at every demo rate with
every minute total 1–180, an exempt cost pool, a part-month subscription, a delivery and a
residual-value credit through billing.services, a credit note and a year-end settlement.

Every document that leaves (invoices of two closed months and a credit note) is checked by our
own rules; `SAMDRIFT_UBL_OUT=<dir>` also writes them there, to be run through the official CEN
and Peppol rule sets out of band (docs/billing.md, "How the documents were checked").
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from samdrift.billing import actions, demo, documents, services, validation
from samdrift.billing.models import ChargeKind, CostPool, Invoice, InvoiceKind, InvoiceLine, Settlement
from samdrift.servicedesk import actions as desk
from samdrift.servicedesk.models import TimeEntry
from samdrift.tenancy import actions as tenancy
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)
from tests.billing.test_reconciliation import accounting_file

MINUTES = range(1, 181)


def _time_at_every_rate_and_minute_total(b: Billing) -> None:
    """Each (owner, cost centre) gets one ticket; its time at each demo rate totals k minutes, so
    the month holds a line for every minute total 1–180 at every rate."""
    w, fin = b.world, b.world.finance
    work = actions.do_create_article(
        {"code": "ARBETE", "name": "Konsulttid", "unit_code": "HUR", "revenue_account": "3051"}, actor=fin
    )
    for work_type, rate in demo.WORK_RATES:
        actions.do_save_work_type_rate(
            {"work_type": work_type, "article": work, "hourly_rate": Decimal(rate)}, actor=fin
        )
    owners = [(w.a.owner, w.a.employee), (w.b.owner, w.b.employee)]
    entries = []
    for k in MINUTES:
        owner, requester = owners[k % 2]
        centre = tenancy.do_create_cost_centre(
            {"owner": owner, "code": f"T{k:03d}", "name": f"Tid {k}", "invoice_reference": "REF-TID"},
            actor=w.admin,
        )
        ticket = desk.do_create_ticket(
            {"requester": requester, "subject": f"Ärende {k}", "cost_centre": centre}, actor=w.agent
        )
        for n, (work_type, _rate) in enumerate(demo.WORK_RATES):
            # k minutes in two entries on different days (the line sums them).
            first = max(1, k // 3)
            for minutes, day in ((first, 3 + n), (k - first, 20 + n)):
                if minutes:
                    entries.append(
                        TimeEntry(
                            owner_id=owner.pk, ticket=ticket, user=w.agent, minutes=minutes, billable=True,
                            work_type=work_type, date=date(2026, 11, day),
                        )
                    )  # fmt: skip
    TimeEntry.objects.bulk_create(entries)


def _documents(period: Any) -> list[tuple[Invoice, bytes]]:
    return [
        (inv, documents.xml_bytes(inv))
        for inv in Invoice.objects.filter(period=period).select_related("owner", "period").order_by("number")
    ]


def test_the_done_when_month_passes_every_rule(billing: Billing, tmp_path: Path) -> None:  # noqa: F811
    b, fin = billing, billing.world.finance
    w = b.world
    _time_at_every_rate_and_minute_total(b)
    # An exempt cost pool (E, 0 %, with the exemption reason the rules require).
    exempt = actions.do_create_cost_pool(
        {
            "code": "VARD",
            "name": "Vårdsystem (undantaget)",
            "monthly_cost": Decimal("12345.67"),
            "start": date(2026, 1, 1),
            "revenue_account": "3091",
            "vat_category": "E",
            "vat_rate": Decimal(0),
        },
        actor=fin,
    )
    actions.do_create_allocation_key(exempt, basis="population", valid_from=date(2026, 1, 1), actor=fin)
    # A delivered device charged through billing's published services.
    services.start_charge(
        owner=w.b.owner, article=b.article, description="Dator levererad", day=date(2026, 11, 12),
        quantity=3, unit_price=Decimal("8999.3333"), source=w.b.employee, actor=w.technician,
    )  # fmt: skip
    CostPool.objects.filter(code="DC").update(sie_dimension="6", sie_object="DC")
    actions.do_run_billing(b.period, actor=fin)
    lines = InvoiceLine.objects.filter(period=b.period, source_type="ticket_time")
    assert lines.count() == len(MINUTES) * len(demo.WORK_RATES)
    assert set(lines.values_list("quantity", flat=True)) == {Decimal(k) for k in MINUTES}
    assert InvoiceLine.objects.filter(period=b.period, pool=exempt, vat_category="E").count() == 3
    actions.do_close_period(b.period, actor=fin)  # refused if any document failed our rules
    # A credit note for one invoice; January holds a residual-value credit and the year-end
    # settlement (a year is settled in a period after it).
    credited = Invoice.objects.filter(period=b.period, owner=w.a.owner).order_by("number").first()
    assert credited is not None
    note = actions.do_credit_invoice(credited, actor=fin, reason="Fel kostnadsställe")
    january = actions.do_create_period(2027, 1, actor=fin)
    services.credit_owner(
        owner=w.a.owner, amount=Decimal("1234.56"), kind=ChargeKind.RESIDUAL_VALUE, source=w.a.employee,
        source_label="Restvärde dator SN-1", article=b.article, day=date(2027, 1, 5), actor=w.technician,
    )  # fmt: skip
    actions.do_reconcile_year(accounting_file(), 2026, january, actor=fin, filename="bokforing.se")
    assert Settlement.objects.count() == 3
    actions.do_run_billing(january, actor=fin)
    assert InvoiceLine.objects.filter(period=january, source_type="settlement").count() == 3
    actions.do_close_period(january, actor=fin)

    docs = _documents(b.period) + _documents(january)
    kinds = {inv.kind for inv, _xml in docs}
    assert kinds == {InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE} and note.pk in {inv.pk for inv, _x in docs}
    out = os.environ.get("SAMDRIFT_UBL_OUT")
    for inv, xml in docs:
        assert validation.findings(xml) == [], inv.number
        if out:
            Path(out).mkdir(parents=True, exist_ok=True)
            (Path(out) / f"{inv.number}.xml").write_bytes(xml)
