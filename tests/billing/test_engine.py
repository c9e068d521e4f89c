"""The monthly run: every source becomes lines, one invoice per owner, rerun gives the same result,
closing locks, corrections are credit notes; pools split exactly; the outputs balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from samdrift.billing import actions, engine, outputs
from samdrift.billing.models import AllocationKey, BillingRun, Invoice, InvoiceKind, InvoiceLine, RunStatus, UsageRow
from samdrift.billing.sie import read_sie
from samdrift.core.models import AuditEvent
from samdrift.tenancy import actions as tenancy
from tests.billing.test_peppol import check_rules

NOV = date(2026, 11, 1)


@dataclass
class Billing:
    world: Any
    c: Any
    article: Any
    storage: Any
    period: Any
    cc2: Any


@pytest.fixture
def billing(world: Any) -> Billing:
    fin = world.finance
    tenancy.do_save_operator(
        {
            "name": "Samdrift IT AB",
            "org_number": "5560360793",
            "vat_number": "SE556036079301",
            "bankgiro": "123-4567",
            "street": "Storgatan 1",
            "postcode": "242 30",
            "city": "Hörby",
        },
        actor=world.admin,
    )
    # The three demo municipalities' populations (Hörby, Höör, Sjöbo).
    tenancy.do_update_owner(world.a.owner, {"population": 15562}, actor=world.admin)
    tenancy.do_update_owner(world.b.owner, {"population": 17518}, actor=world.admin)
    c = tenancy.do_create_owner(
        {"name": "Kommun C", "municipality_code": "9903", "org_number": "9990000037", "population": 14331},
        actor=world.admin,
    )
    tenancy.do_create_cost_centre(
        {"owner": c, "code": "CC-C", "name": "Kostnadsställe C", "invoice_reference": "REF-C"}, actor=world.admin
    )
    cc2 = tenancy.do_create_cost_centre(
        {"owner": world.a.owner, "code": "CC-A2", "name": "Skola A", "invoice_reference": "REF-A2"}, actor=world.admin
    )
    # Shared costs of A are booked on its school (the world's billing profile named its first centre).
    actions.do_save_billing_profile({"owner": world.a.owner, "default_cost_centre": cc2}, actor=fin)
    article = actions.do_create_article(
        {"code": "KLIENT", "name": "Klientpaket", "unit_code": "MON", "revenue_account": "3011"}, actor=fin
    )
    storage = actions.do_create_article(
        {
            "code": "LAGRING",
            "name": "Lagring",
            "unit_code": "GB",
            "unit_price": Decimal("0.85"),
            "revenue_account": "3012",
        },
        actor=fin,
    )
    a = world.a
    actions.do_create_subscription(
        {
            "owner": a.owner,
            "cost_centre": a.cost_centre,
            "article": article,
            "monthly_price": Decimal("499.00"),
            "start": date(2026, 1, 1),
        },
        actor=fin,
    )
    # Starts on 19 November: 12 of 30 days.
    actions.do_create_subscription(
        {
            "owner": a.owner,
            "cost_centre": cc2,
            "article": article,
            "description": "Ny dator",
            "monthly_price": Decimal("499.00"),
            "start": date(2026, 11, 19),
        },
        actor=fin,
    )
    # Ended in October: not billed.
    actions.do_create_subscription(
        {
            "owner": world.b.owner,
            "cost_centre": world.b.cost_centre,
            "article": article,
            "monthly_price": Decimal("499.00"),
            "start": date(2026, 1, 1),
            "end": date(2026, 10, 31),
        },
        actor=fin,
    )
    actions.do_create_charge(
        {
            "owner": world.b.owner,
            "cost_centre": world.b.cost_centre,
            "article": article,
            "description": "Uppstartsavgift",
            "charge_date": date(2026, 11, 5),
            "quantity": Decimal(2),
            "unit_price": Decimal("1250.50"),
        },
        actor=fin,
    )
    usage = "owner;cost_centre;metric;quantity;unit_price\n9901;CC-AAAQX;LAGRING;100;\n9901;CC-AAAQX;LAGRING;50,5;\n9902;CC-BBBQZ;LAGRING;10;1.00\n"
    report = actions.do_import_usage(usage.encode(), NOV, actor=fin, filename="lagring.csv")
    assert report == {"rows": 3, "errors": [], "imported": 3}
    pool = actions.do_create_cost_pool(
        {
            "code": "DC",
            "name": "Datacenter",
            "monthly_cost": Decimal("1000000.00"),
            "start": date(2026, 1, 1),
            "revenue_account": "3090",
        },
        actor=fin,
    )
    actions.do_create_allocation_key(pool, basis="population", valid_from=date(2026, 1, 1), actor=fin, note="SCB 2024")
    period = actions.do_create_period(2026, 11, actor=fin)
    return Billing(world, c, article, storage, period, cc2)


def snapshot(period: Any) -> list[tuple]:
    return sorted(
        InvoiceLine.objects.filter(period=period).values_list(
            "invoice__number",
            "owner_id",
            "cost_centre_id",
            "description",
            "quantity",
            "unit_price",
            "amount",
            "source_type",
            "source_id",
        )
    )


def test_run_builds_one_invoice_per_owner_with_lines_per_cost_centre(billing: Billing) -> None:
    w = billing.world
    run = actions.do_run_billing(billing.period, actor=w.finance)
    assert run.status == RunStatus.DONE and run.progress == 100
    invoices = {i.owner_id: i for i in Invoice.objects.filter(period=billing.period)}
    assert set(invoices) == {w.a.owner.pk, w.b.owner.pk, billing.c.pk}
    a = invoices[w.a.owner.pk]
    lines = {(line.cost_centre.code, line.source_type): line for line in a.lines.select_related("cost_centre")}
    assert lines[("CC-AAAQX", "subscription")].amount == Decimal("499.00")
    partial = lines[("CC-A2", "subscription")]
    assert (partial.quantity, partial.base_quantity, partial.unit_code) == (12, 30, "DAY")
    assert partial.amount == Decimal("199.60")  # 499 * 12 / 30
    usage = lines[("CC-AAAQX", "usage")]
    assert (usage.quantity, usage.amount) == (Decimal("150.5"), Decimal("127.93"))  # 150.5 GB * 0.85
    assert lines[("CC-A2", "pool")].amount == Decimal("328236.06")  # no profile: the lowest cost-centre code
    assert a.net_amount == Decimal("499.00") + Decimal("199.60") + Decimal("127.93") + Decimal("328236.06")
    assert a.vat_amount == (a.net_amount * Decimal("0.25")).quantize(Decimal("0.01"))
    assert a.total_amount == a.net_amount + a.vat_amount
    b = invoices[w.b.owner.pk]
    assert not b.lines.filter(source_type="subscription").exists()  # ended in October
    assert b.lines.get(source_type="charge").amount == Decimal("2501.00")
    # Without a billing profile the reference is that of the lowest cost-centre code.
    assert a.number == "202611-9901" and a.buyer_reference == "REF-A2"
    # Audit: the run, and one event per invoice in the owner's trail.
    assert AuditEvent.objects.filter(object_type="billing.invoice", object_id=str(a.pk), owner_id=w.a.owner.pk).exists()
    assert AuditEvent.objects.filter(object_type="billing.billingrun", extra__action="finish_billing_run").exists()


def test_million_split_by_population_sums_exactly(billing: Billing) -> None:
    actions.do_run_billing(billing.period, actor=billing.world.finance)
    parts = list(
        InvoiceLine.objects.filter(period=billing.period, source_type="pool")
        .order_by("owner_id")
        .values_list("amount", flat=True)
    )
    assert parts == [Decimal("328236.06"), Decimal("369492.31"), Decimal("302271.63")]
    assert sum(parts) == Decimal("1000000.00")
    line = InvoiceLine.objects.get(period=billing.period, source_type="pool", owner=billing.world.b.owner)
    assert (line.key_figure, line.key_total, line.pool_amount) == (17518, 47411, Decimal("1000000.00"))


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000000"), places=2),
    st.lists(st.decimals(min_value=0, max_value=Decimal("10000000"), places=4), min_size=1, max_size=290).filter(
        lambda f: sum(f) > 0
    ),
)
@settings(suppress_health_check=[HealthCheck.too_slow])  # lists of 290 figures draw slowly on a busy machine
def test_pool_parts_always_sum_to_the_pool(amount: Decimal, figures: list[Decimal]) -> None:
    parts = engine.allocate(amount, figures)
    assert sum(parts) == amount
    assert all(p >= 0 and p == p.quantize(Decimal("0.01")) for p in parts)


def test_investment_is_depreciated_to_the_ore() -> None:
    from samdrift.billing.models import BillingPeriod, CostPool

    pool = CostPool(kind="investment", investment=Decimal("100000.00"), depreciation_months=36, start=date(2026, 1, 1))
    months = [engine.pool_amount(pool, BillingPeriod(year=2026 + (m // 12), month=m % 12 + 1)) for m in range(0, 40)]
    assert sum(months) == Decimal("100000.00")
    assert months[36:] == [0, 0, 0, 0]


def test_rerun_replaces_and_never_duplicates(billing: Billing) -> None:
    fin = billing.world.finance
    actions.do_run_billing(billing.period, actor=fin)
    first = snapshot(billing.period)
    actions.do_run_billing(billing.period, actor=fin)
    assert snapshot(billing.period) == first
    assert Invoice.objects.filter(period=billing.period).count() == 3
    assert BillingRun.objects.filter(period=billing.period).count() == 2


def test_close_locks_the_period_and_corrections_are_credit_notes(billing: Billing) -> None:
    w, fin = billing.world, billing.world.finance
    with pytest.raises(ValidationError):
        actions.do_close_period(billing.period, actor=fin)  # not run yet
    actions.do_run_billing(billing.period, actor=fin)
    actions.do_close_period(billing.period, actor=fin)
    with pytest.raises(ValidationError):
        actions.do_run_billing(billing.period, actor=fin)
    with pytest.raises(ValidationError):
        actions.do_create_charge(
            {
                "owner": w.a.owner,
                "cost_centre": w.a.cost_centre,
                "article": billing.article,
                "description": "Sen",
                "charge_date": date(2026, 11, 20),
                "unit_price": Decimal(1),
            },
            actor=fin,
        )
    invoice = Invoice.objects.get(period=billing.period, owner=w.a.owner)
    note = actions.do_credit_invoice(invoice, actor=fin, reason="Fel pris")
    assert note.kind == InvoiceKind.CREDIT_NOTE and note.credited_invoice == invoice
    assert note.total_amount == invoice.total_amount
    assert note.lines.count() == invoice.lines.count()
    with pytest.raises(ValidationError):
        actions.do_credit_invoice(invoice, actor=fin)
    assert AuditEvent.objects.filter(object_id=str(note.pk), extra__action="credit_invoice").exists()
    root = etree.fromstring(outputs.invoice_xml(note))
    check_rules(root, "CreditNote")


def test_only_finance_and_admin_act(billing: Billing) -> None:
    w = billing.world
    for user in (w.a.viewer, w.agent, w.technician, w.nobody):
        with pytest.raises(PermissionDenied):
            actions.do_run_billing(billing.period, actor=user)
    actions.do_run_billing(billing.period, actor=w.admin)


def test_bad_usage_file_imports_nothing_and_says_which_row(billing: Billing) -> None:
    before = UsageRow.objects.count()
    report = actions.do_import_usage(
        b"owner;cost_centre;metric;quantity\n9901;CC-AAAQX;LAGRING;10\n9901;NOPE;LAGRING;x\n",
        NOV,
        actor=billing.world.finance,
    )
    assert report["imported"] == 0 and len(report["errors"]) == 1 and "3" in report["errors"][0]
    assert UsageRow.objects.count() == before


def test_pool_without_a_valid_key_stops_the_run(billing: Billing) -> None:
    AllocationKey.objects.filter(pool__code="DC").update(valid_to=date(2026, 10, 31))
    with pytest.raises(ValidationError):
        actions.do_run_billing(billing.period, actor=billing.world.finance)


def test_new_key_ends_the_old_one(billing: Billing) -> None:
    from samdrift.billing.models import CostPool

    pool = CostPool.objects.get(code="DC")
    w = billing.world
    actions.do_create_allocation_key(
        pool,
        basis="fixed",
        valid_from=date(2026, 11, 1),
        figures={w.a.owner.pk: Decimal(1), w.b.owner.pk: Decimal(1)},
        actor=w.finance,
    )
    old = pool.keys.get(basis="population")
    assert old.valid_to == date(2026, 10, 31)
    actions.do_run_billing(billing.period, actor=w.finance)
    parts = InvoiceLine.objects.filter(period=billing.period, source_type="pool").values_list("amount", flat=True)
    assert sorted(parts) == [Decimal("500000.00"), Decimal("500000.00")]


def test_split_by_reference_gives_one_invoice_per_reference(billing: Billing) -> None:
    w = billing.world
    actions.do_save_billing_profile(
        {"owner": w.a.owner, "default_cost_centre": w.a.cost_centre, "split_by_reference": True}, actor=w.finance
    )
    actions.do_run_billing(billing.period, actor=w.finance)
    refs = sorted(
        Invoice.objects.filter(period=billing.period, owner=w.a.owner).values_list("buyer_reference", "number")
    )
    assert refs == [("REF-A2", "202611-9901-01"), ("REF-AAAQX", "202611-9901-02")]
    for inv in Invoice.objects.filter(period=billing.period, owner=w.a.owner):
        assert set(inv.lines.values_list("buyer_reference", flat=True)) == {inv.buyer_reference}


def test_peppol_xml_of_every_invoice_satisfies_the_rules(billing: Billing) -> None:
    actions.do_run_billing(billing.period, actor=billing.world.finance)
    for invoice in Invoice.objects.filter(period=billing.period):
        root = etree.fromstring(outputs.invoice_xml(invoice))
        check_rules(root)
        ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
        assert root.xpath("//cbc:PayableAmount/text()", namespaces=ns) == [f"{invoice.total_amount:.2f}"]
        assert root.xpath("/*/cbc:BuyerReference/text()", namespaces=ns) == [invoice.buyer_reference]


def test_sie_export_balances_and_reads_back(billing: Billing) -> None:
    fin = billing.world.finance
    actions.do_run_billing(billing.period, actor=fin)
    actions.do_close_period(billing.period, actor=fin)
    invoice = Invoice.objects.get(period=billing.period, owner=billing.world.a.owner)
    note = actions.do_credit_invoice(invoice, actor=fin)
    # Invoices are dated the day the period is closed; the note is credited that same day here.
    issued = invoice.issue_date
    Invoice.objects.filter(pk=note.pk).update(issue_date=issued)
    # The file of that accounting month, exported once the month is over (final, with #KSUMMA).
    month_over = date(issued.year + issued.month // 12, issued.month % 12 + 1, 1)
    raw = actions.do_export_sie_month(issued.year, issued.month, actor=fin, today=month_over).content
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    sie = read_sie(raw)  # refuses any voucher that does not balance
    assert sie.encoding == "cp437"
    assert len(sie.vouchers) == 4  # three invoices and one credit note
    invoices = Invoice.objects.filter(period=billing.period, kind=InvoiceKind.INVOICE)
    receivable = sum(t.amount for v in sie.vouchers if v.series == "F" for t in v.transactions if t.account == "1510")
    assert receivable == sum(i.total_amount for i in invoices)
    revenue = -sum(
        t.amount for v in sie.vouchers if v.series == "F" for t in v.transactions if t.account.startswith("3")
    )
    assert revenue == sum(i.net_amount for i in invoices)
    credit = next(v for v in sie.vouchers if v.series == "K")
    assert next(t for t in credit.transactions if t.account == "1510").amount == -invoice.total_amount
    objects = {o for v in sie.vouchers for t in v.transactions for o in t.objects}
    assert ("1", "9901-CC-A2") in objects and ("20", "9901") in objects


def test_background_run_stores_its_progress(billing: Billing) -> None:
    from samdrift.billing.tasks import run_billing

    run = actions.do_run_billing(billing.period, actor=billing.world.finance, background=True)
    assert run.status == RunStatus.QUEUED
    with pytest.raises(ValidationError):
        actions.do_run_billing(billing.period, actor=billing.world.finance)  # one run at a time
    result = run_billing.call(run.pk)
    run.refresh_from_db()
    assert (run.status, run.progress, result["status"]) == (RunStatus.DONE, 100, RunStatus.DONE)
    assert run.invoice_count == 3


def test_subscription_sources_are_a_registry(billing: Billing) -> None:
    from samdrift.billing.sources import ChargeSource, charge_sources, register, unregister

    calls = []
    register(ChargeSource("test_source", "Test", lambda period, run: calls.append(period) or 0))
    try:
        actions.do_run_billing(billing.period, actor=billing.world.finance)
    finally:
        unregister("test_source")
    assert calls == [billing.period]
    assert [s.key for s in charge_sources()][:4] == ["subscription", "charge", "usage", "pool"]


def test_whole_month_services_are_one_line_per_article_and_price_with_drill_down(billing: Billing) -> None:
    w = billing.world
    actions.do_create_subscription(
        {
            "owner": w.a.owner,
            "cost_centre": w.a.cost_centre,
            "article": billing.article,
            "monthly_price": Decimal("499.00"),
            "start": date(2025, 5, 1),
        },
        actor=w.finance,
    )
    actions.do_run_billing(billing.period, actor=w.finance)
    line = InvoiceLine.objects.get(
        period=billing.period, owner=w.a.owner, cost_centre=w.a.cost_centre, source_type="subscription"
    )
    assert (line.quantity, line.unit_price, line.amount, line.source_id) == (
        2,
        Decimal("499.00"),
        Decimal("998.00"),
        None,
    )
    assert engine.line_rows(line).count() == 2
    partial = InvoiceLine.objects.get(period=billing.period, cost_centre=billing.cc2, source_type="subscription")
    assert [s.pk for s in engine.line_rows(partial)] == [partial.source_id]


def test_subscriptions_that_start_or_end_in_the_month_are_priced_by_day_exactly(billing: Billing) -> None:
    """The set-based pro rata (one INSERT per span of days) gives, for every subscription, what
    Python's exact Decimal arithmetic gives: price × days / days of the month, to the öre, half away
    from zero; negative prices (a discount) too. Prices include ties (0.15 × 1/30 = 0.005)."""
    import random

    from samdrift.billing.models import Subscription
    from samdrift.core.money import to_money

    w = billing.world
    rng = random.Random(20261127)
    first, last = date(2026, 11, 1), date(2026, 11, 30)
    prices = [Decimal("0.15"), Decimal("-0.15"), Decimal("499.00"), Decimal("1.05"), Decimal("-1249.99")]
    prices += [Decimal(rng.randint(-50000, 500000)) / 100 for _ in range(60)]
    expected: dict[int, tuple[Decimal, int, str]] = {}
    for i, price in enumerate(prices):
        start = rng.choice([date(2026, 10, 3), first, date(2026, 11, rng.randint(2, 30))])
        end = rng.choice([None, last, date(2026, 12, 9), date(2026, 11, rng.randint(1, 29))])
        if end is not None and end < start:
            start, end = end, start
        if start <= first and (end is None or end >= last):
            end = date(2026, 11, 20)  # a partial month, the case under test
        if i < 2:
            start, end = last, None  # one day: ±0.15 × 1/30 = ±0.005, a tie
        sub = actions.do_create_subscription(
            {
                "owner": w.a.owner,
                "cost_centre": billing.cc2,
                "article": billing.article,
                "description": f"Tjänst {i}" if i % 2 else "",
                "monthly_price": price,
                "start": start,
                "end": end,
            },
            actor=w.finance,
        )
        days = (min(end or last, last) - max(start, first)).days + 1
        expected[sub.pk] = (to_money(price * days / 30), days, max(start, first).isoformat())

    actions.do_run_billing(billing.period, actor=w.finance)
    lines = InvoiceLine.objects.filter(period=billing.period, source_type="subscription", source_id__in=expected)
    got = {line.source_id: line for line in lines}
    assert set(got) == set(expected), "one line per subscription"
    for pk, (amount, days, start_text) in expected.items():
        line = got[pk]
        assert (line.amount, line.quantity, line.base_quantity, line.unit_code) == (amount, days, 30, "DAY"), pk
        assert start_text in line.description and f"{days}" in line.description
        sub = Subscription.objects.get(pk=pk)
        assert line.description.startswith(
            f"{billing.article.name}: {sub.description}" if sub.description else "Klient"
        )
    ties = sorted(got[pk].amount for pk in list(expected)[:2])
    assert ties == [Decimal("-0.01"), Decimal("0.01")]  # 0.005 rounds away from zero
