"""Charge sources from other apps: billable ticket time at the work type's hourly rate, with a
drill-down to the time entries; device counts from assets as the figures of a "devices" key."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from samdrift.assets import actions as assets
from samdrift.billing import actions, engine
from samdrift.billing.models import InvoiceLine, WorkTypeRate
from samdrift.core.models import AuditEvent
from samdrift.servicedesk import actions as desk
from samdrift.servicedesk.models import Ticket, TimeEntry
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)


def _rates(billing: Billing) -> dict[str, WorkTypeRate]:  # noqa: F811
    fin = billing.world.finance
    work = actions.do_create_article(
        {"code": "ARBETE", "name": "Konsulttid", "unit_code": "HUR", "revenue_account": "3051"}, actor=fin
    )
    return {
        "consulting": actions.do_save_work_type_rate(
            {"work_type": "consulting", "article": work, "hourly_rate": Decimal("950.00")}, actor=fin
        ),
        "on_site": actions.do_save_work_type_rate(
            {"work_type": "on_site", "article": work, "hourly_rate": Decimal("1100.00")}, actor=fin
        ),
    }


def _time(ticket: Any, minutes: int, day: date, *, work_type: str, billable: bool = True, actor: Any) -> TimeEntry:
    entry = desk.do_log_time(ticket, minutes, actor=actor, billable=billable, work_type=work_type)
    TimeEntry.objects.filter(pk=entry.pk).update(date=day)  # logged afterwards for that day
    return entry


def test_billable_time_is_charged_at_the_work_types_rate(billing: Billing, web: Any) -> None:  # noqa: F811
    w = billing.world
    rates = _rates(billing)
    agent = w.agent
    ticket = desk.do_create_ticket(
        {"requester": w.a.employee, "subject": "Ny skrivare", "cost_centre": w.a.cost_centre}, actor=agent
    )
    # A ticket from someone without a cost centre (the desk takes the requester's when there is one).
    loose = desk.do_create_ticket({"requester": w.a.pupil, "subject": "Utan kostnadsställe"}, actor=agent)
    Ticket.objects.filter(pk=loose.pk).update(cost_centre=None)
    _time(ticket, 90, date(2026, 11, 3), work_type="consulting", actor=agent)
    _time(ticket, 20, date(2026, 11, 30), work_type="consulting", actor=agent)
    _time(ticket, 45, date(2026, 11, 4), work_type="consulting", billable=False, actor=agent)  # not billable
    _time(ticket, 60, date(2026, 10, 31), work_type="consulting", actor=agent)  # October
    _time(ticket, 120, date(2026, 11, 5), work_type="support", actor=agent)  # no rate: included
    _time(loose, 30, date(2026, 11, 6), work_type="on_site", actor=agent)
    actions.do_run_billing(billing.period, actor=w.finance)
    lines = {
        (line.cost_centre.code, line.unit_price): line
        for line in InvoiceLine.objects.filter(period=billing.period, source_type="ticket_time").select_related(
            "cost_centre"
        )
    }
    assert set(lines) == {("CC-AAAQX", Decimal("950.0000")), ("CC-A2", Decimal("1100.0000"))}
    consulting = lines[("CC-AAAQX", Decimal("950.0000"))]
    # 110 minutes at 950 an hour: 1,741.67; written as 110 minutes at 950 per 60 minutes, so that
    # quantity × price ÷ base quantity gives the amount (R120); the text says 1,8333 h.
    assert consulting.amount == Decimal("1741.67") and consulting.quantity == Decimal(110)
    assert consulting.base_quantity == Decimal(60) and "1,8333 h" in consulting.description
    assert consulting.unit_code == "MIN" and consulting.revenue_account == "3051"
    assert consulting.buyer_reference == "REF-AAAQX" and consulting.invoice is not None
    assert "konsultation" in consulting.description.lower() or "consulting" in consulting.description.lower()
    # A ticket without a cost centre is booked on the owner's cost centre for shared costs.
    on_site = lines[("CC-A2", Decimal("1100.0000"))]
    assert on_site.amount == Decimal("550.00") and on_site.source_id == rates["on_site"].pk
    # Drill-down: the entries behind the line, not the unbillable, October or support ones.
    assert sorted(e.minutes for e in engine.line_rows(consulting)) == [20, 90]
    assert [e.ticket_id for e in engine.line_rows(on_site)] == [loose.pk]
    page = web(w.finance).get(reverse("invoiceline_detail", args=[consulting.pk])).content.decode()
    assert ticket.number in page and "90 min" in page and "20 min" in page and "45 min" not in page
    # Rerunning gives the same lines.
    actions.do_run_billing(billing.period, actor=w.finance)
    assert InvoiceLine.objects.filter(period=billing.period, source_type="ticket_time").count() == 2


def test_work_types_without_a_rate_bill_no_time(billing: Billing) -> None:  # noqa: F811
    w = billing.world
    assert not WorkTypeRate.objects.filter(work_type="installation").exists()
    ticket = desk.do_create_ticket({"requester": w.a.employee, "subject": "Fråga"}, actor=w.agent)
    _time(ticket, 60, date(2026, 11, 3), work_type="installation", actor=w.agent)
    actions.do_run_billing(billing.period, actor=w.finance)
    assert not InvoiceLine.objects.filter(period=billing.period, source_type="ticket_time").exists()


def test_work_type_rates_are_finance_only_and_audited(billing: Billing) -> None:  # noqa: F811
    w = billing.world
    rates = _rates(billing)
    events = AuditEvent.objects.filter(object_type="billing.worktyperate", object_id=str(rates["on_site"].pk))
    assert events.filter(event_type="created").count() == 1
    updates = AuditEvent.objects.filter(
        object_type="billing.worktyperate", object_id=str(rates["consulting"].pk), event_type="updated"
    )
    before = updates.count()
    changed = actions.do_save_work_type_rate(
        {"work_type": "consulting", "article": rates["consulting"].article, "hourly_rate": Decimal("990.00")},
        actor=w.finance,
    )
    assert changed.pk == rates["consulting"].pk and changed.hourly_rate == Decimal("990.00")
    assert updates.count() == before + 1
    with pytest.raises(ValidationError):
        actions.do_save_work_type_rate(
            {"work_type": "juggling", "article": rates["consulting"].article, "hourly_rate": Decimal(1)},
            actor=w.finance,
        )
    with pytest.raises(PermissionDenied):
        actions.do_save_work_type_rate(
            {"work_type": "support", "article": rates["consulting"].article, "hourly_rate": Decimal(1)},
            actor=w.agent,
        )
    assert not WorkTypeRate.objects.filter(work_type="support").exists()


def test_a_rate_change_mid_month_charges_each_day_at_its_rate_and_invoiced_rates_stay(
    billing: Billing,  # noqa: F811
) -> None:
    w = billing.world
    rates = _rates(billing)
    assert (billing.period.year, billing.period.month) == (2026, 11)
    raised = actions.do_save_work_type_rate(
        {
            "work_type": "consulting",
            "valid_from": date(2026, 11, 16),
            "article": rates["consulting"].article,
            "hourly_rate": Decimal("1000.00"),
        },
        actor=w.finance,
    )
    assert raised.pk != rates["consulting"].pk, "a new validity period, not an edit"
    ticket = desk.do_create_ticket(
        {"requester": w.a.employee, "subject": "Nätverk", "cost_centre": w.a.cost_centre}, actor=w.agent
    )
    _time(ticket, 90, date(2026, 11, 3), work_type="consulting", actor=w.agent)
    _time(ticket, 30, date(2026, 11, 15), work_type="consulting", actor=w.agent)
    _time(ticket, 60, date(2026, 11, 16), work_type="consulting", actor=w.agent)
    actions.do_run_billing(billing.period, actor=w.finance)
    lines = {
        line.unit_price: line
        for line in InvoiceLine.objects.filter(period=billing.period, source_type="ticket_time", owner=w.a.owner)
    }
    assert set(lines) == {Decimal("950.0000"), Decimal("1000.0000")}
    before, after = lines[Decimal("950.0000")], lines[Decimal("1000.0000")]
    assert before.amount == Decimal("1900.00") and before.source_id == rates["consulting"].pk  # 120 min at 950
    assert after.amount == Decimal("1000.00") and after.source_id == raised.pk  # 60 min at 1000
    assert "2026-11-16" in after.description and "2026-11-16" not in before.description
    assert sorted(e.minutes for e in engine.line_rows(before)) == [30, 90]
    assert [e.minutes for e in engine.line_rows(after)] == [60]

    # Once November is closed its rates are what the invoices said: no edits, no new rate inside it.
    actions.do_close_period(billing.period, actor=w.finance)
    with pytest.raises(ValidationError, match="2026-11"):  # names the closed period, in either language
        actions.do_save_work_type_rate(
            {"work_type": "consulting", "valid_from": date(2026, 11, 16), "article": raised.article, "hourly_rate": 1},
            actor=w.finance,
        )
    with pytest.raises(ValidationError) as excinfo:
        actions.do_save_work_type_rate(
            {"work_type": "consulting", "valid_from": date(2026, 11, 30), "article": raised.article, "hourly_rate": 1},
            actor=w.finance,
        )
    assert "valid_from" in excinfo.value.message_dict
    raised.refresh_from_db()
    assert raised.hourly_rate == Decimal("1000.00")
    assert WorkTypeRate.objects.filter(work_type="consulting").count() == 2
    december = actions.do_save_work_type_rate(
        {"work_type": "consulting", "valid_from": date(2026, 12, 1), "article": raised.article, "hourly_rate": 1050},
        actor=w.finance,
    )
    assert december.hourly_rate == Decimal(1050)


def test_devices_key_takes_its_figures_from_assets(billing: Billing) -> None:  # noqa: F811
    w = billing.world
    # The world has one checked-out device per owner; owner A gets a second, and one in stock.
    model = w.a.extra["asset"].model
    second = assets.do_create_asset(
        {"owner": w.a.owner, "asset_tag": "T-A-2", "model": model, "cost_centre": w.a.cost_centre}, actor=None
    )
    assets.do_check_out_asset(second, w.a.employee, actor=None)
    assets.do_create_asset({"owner": w.a.owner, "asset_tag": "T-A-3", "model": model}, actor=None)
    pool = actions.do_create_cost_pool(
        {
            "code": "KLIENTDRIFT",
            "name": "Klientdrift",
            "monthly_cost": Decimal("9000.00"),
            "start": date(2026, 11, 1),
            "revenue_account": "3093",
        },
        actor=w.finance,
    )
    key = actions.do_create_allocation_key(pool, basis="devices", valid_from=date(2026, 11, 1), actor=w.finance)
    figures = dict(key.figures.values_list("owner__name", "figure"))
    assert figures == {w.a.owner.name: Decimal(2), w.b.owner.name: Decimal(1), billing.c.name: Decimal(0)}
    actions.do_run_billing(billing.period, actor=w.finance)
    shares = dict(InvoiceLine.objects.filter(period=billing.period, pool=pool).values_list("owner_id", "amount"))
    assert shares == {w.a.owner.pk: Decimal("6000.00"), w.b.owner.pk: Decimal("3000.00")}
