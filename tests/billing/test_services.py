"""billing.services: what other apps may ask of billing, as actions with the human actor."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from samdrift.billing import actions, services
from samdrift.billing.models import BillingPeriod, Charge, ChargeKind, InvoiceLine, PeriodStatus, Subscription
from samdrift.core.models import AuditEvent


@pytest.fixture
def article(world: Any) -> Any:
    return actions.do_create_article(
        {"code": "S-DATOR", "name": "Dator", "unit_code": "C62", "revenue_account": "3010"}, actor=world.finance
    )


def _close(year: int, month: int) -> None:
    BillingPeriod.objects.update_or_create(year=year, month=month, defaults={"status": PeriodStatus.CLOSED})


def test_start_charge_keeps_its_source_and_the_human_actor(world: Any, article: Any) -> None:
    source = world.a.employee  # any model instance of the calling app
    charge = services.start_charge(
        owner=world.a.owner,
        article=article,
        description="Dator levererad",
        day=date(2026, 11, 5),
        quantity=2,
        unit_price=Decimal("1234.5650"),
        source=source,
        actor=world.technician,
    )
    charge.refresh_from_db()
    assert charge.amount == Decimal("2469.13")
    assert charge.charge_date == date(2026, 11, 5) == charge.source_date
    assert charge.kind == ChargeKind.DELIVERY
    assert charge.source == source
    assert charge.source_content_type == ContentType.objects.get_for_model(source)
    assert charge.cost_centre == world.a.cost_centre  # the owner's profile centre when none is named
    event = AuditEvent.objects.filter(object_type="billing.charge", object_id=str(charge.pk)).get()
    assert event.actor_id == world.technician.pk
    assert event.actor_role == "technician"


def test_start_charge_in_a_closed_month_lands_in_the_first_open_one(world: Any, article: Any) -> None:
    _close(2026, 10)
    _close(2026, 11)
    charge = services.start_charge(
        owner=world.a.owner,
        cost_centre=world.a.cost_centre,
        article=article.code,
        description="Sen leverans",
        day=date(2026, 10, 20),
        quantity=1,
        unit_price=Decimal(100),
        actor=world.finance,
    )
    assert charge.charge_date == date(2026, 12, 1)
    assert charge.source_date == date(2026, 10, 20)
    assert services.first_open_day(date(2026, 12, 9)) == date(2026, 12, 9)


def test_subscription_started_in_a_closed_month_charges_the_missed_days_once(world: Any, article: Any) -> None:
    _close(2026, 10)
    sub = services.start_subscription(
        owner=world.a.owner,
        article=article,
        description="Klientpaket",
        start=date(2026, 10, 22),  # 10 of 31 days in closed October
        monthly_price=Decimal("310.00"),
        source=world.a.employee,
        actor=world.admin,
    )
    assert sub.start == date(2026, 11, 1)
    assert sub.source_date == date(2026, 10, 22)
    catch_up = Charge.objects.get(kind=ChargeKind.CATCH_UP, source_object_id=sub.pk)
    assert catch_up.amount == Decimal("100.00")
    assert catch_up.charge_date == date(2026, 11, 1)
    assert catch_up.source == sub
    # November bills the whole month plus the catch-up, and nothing in October changed.
    period = actions.do_create_period(2026, 11, actor=world.finance)
    actions.do_run_billing(period, actor=world.finance)
    amounts = sorted(
        InvoiceLine.objects.filter(period=period, owner=world.a.owner, article=article).values_list("amount", flat=True)
    )
    assert amounts == [Decimal("100.00"), Decimal("310.00")]


def test_subscription_in_an_open_month_starts_that_day(world: Any, article: Any) -> None:
    sub = services.start_subscription(
        owner=world.b.owner,
        cost_centre=world.b.cost_centre,
        article=article,
        description="",
        start=date(2026, 11, 12),
        monthly_price=Decimal("450"),
        actor=world.technician,
    )
    assert sub.start == date(2026, 11, 12)
    assert not Charge.objects.filter(kind=ChargeKind.CATCH_UP).exists()


def test_credit_owner_lands_on_the_next_open_invoice_once(world: Any, article: Any) -> None:
    _close(2026, 11)
    source = world.b.pupil
    credit = services.credit_owner(
        owner=world.b.owner,
        amount=Decimal("812.50"),
        kind=ChargeKind.RESIDUAL_VALUE,
        source=source,
        source_label="Restvärde dator 123",
        article=article,
        day=date(2026, 11, 30),
        actor=world.technician,
    )
    assert credit.amount == Decimal("-812.50") == credit.unit_price
    assert credit.charge_date == date(2026, 12, 1)
    assert credit.source == source and credit.source_label == "Restvärde dator 123"
    # A retried job credits nothing more; another amount for the same source is refused.
    again = services.credit_owner(
        owner=world.b.owner,
        amount=Decimal("812.5"),
        kind=ChargeKind.RESIDUAL_VALUE,
        source=source,
        source_label="Restvärde dator 123",
        article=article,
        day=date(2026, 12, 3),
        actor=world.technician,
    )
    assert again.pk == credit.pk
    with pytest.raises(ValidationError):
        services.credit_owner(
            owner=world.b.owner,
            amount=Decimal("900"),
            kind=ChargeKind.RESIDUAL_VALUE,
            source=source,
            source_label="Restvärde dator 123",
            article=article,
            actor=world.technician,
        )
    assert Charge.objects.filter(kind=ChargeKind.RESIDUAL_VALUE, source_label="Restvärde dator 123").count() == 1
    period = actions.do_create_period(2026, 12, actor=world.finance)
    actions.do_run_billing(period, actor=world.finance)
    line = InvoiceLine.objects.get(period=period, source_type="charge", source_id=credit.pk)
    assert line.amount == Decimal("-812.50")


@pytest.mark.parametrize(
    ("amount", "kind"),
    [(Decimal(0), ChargeKind.RESIDUAL_VALUE), (Decimal(-5), ChargeKind.CORRECTION), (Decimal(5), ChargeKind.DELIVERY)],
)
def test_credit_owner_refuses_bad_input_and_writes_nothing(world: Any, article: Any, amount: Any, kind: str) -> None:
    before = Charge.objects.count()
    with pytest.raises(ValidationError):
        services.credit_owner(
            owner=world.a.owner,
            amount=amount,
            kind=kind,
            source=world.a.employee,
            source_label="x",
            article=article,
            actor=world.finance,
        )
    assert Charge.objects.count() == before


def test_services_refuse_who_may_not_start_billing(world: Any, article: Any) -> None:
    for user in (world.agent, world.a.orderer, world.records):
        with pytest.raises(PermissionDenied):
            services.start_charge(
                owner=world.a.owner,
                article=article,
                description="x",
                day=date(2026, 11, 1),
                quantity=1,
                unit_price=Decimal(1),
                actor=user,
            )
    with pytest.raises(ValidationError):
        services.start_charge(
            owner=world.a.owner,
            cost_centre=world.b.cost_centre,
            article=article,
            description="x",
            day=date(2026, 11, 1),
            quantity=1,
            unit_price=Decimal(1),
            actor=world.finance,
        )
    with pytest.raises(ValidationError):
        services.start_subscription(
            owner=world.a.owner,
            article="NO-SUCH",
            description="x",
            start=date(2026, 11, 1),
            monthly_price=Decimal(1),
            actor=world.finance,
        )
    assert not Subscription.objects.filter(description="x").exists()


def test_a_delivery_in_a_closed_month_is_charged_through_the_services_by_the_technician(world: Any) -> None:
    """ordering.purchasing calls only billing.services: the human actor, the source row, and a
    delivery dated in a closed month lands in the first open one instead of being refused."""
    from samdrift.ordering import actions as ordering
    from samdrift.ordering import purchasing
    from samdrift.ordering.models import DeliveredUnit, OrderLine, PurchaseOrder
    from tests.ordering.test_flow import _order

    order = _order(world)
    ordering.do_approve_order(order, actor=world.a.approver)
    purchasing.bulk_create_purchase_orders(type(order).objects.filter(pk=order.pk), actor=world.technician, send=False)
    po = PurchaseOrder.objects.get(order=order)
    _close(2026, 9)
    purchasing.do_register_delivery(
        po, [("LAP-14", "SN-SERV-1"), ("DOCK-1", "")], actor=world.technician, delivered_on=date(2026, 9, 28)
    )
    unit = DeliveredUnit.objects.get(serial_number="SN-SERV-1")
    charge = Charge.objects.get(source_object_id=unit.pk, source_content_type__model="deliveredunit")
    assert charge.kind == ChargeKind.DELIVERY and charge.amount == Decimal("9450.00")
    assert charge.charge_date == date(2026, 10, 1) and charge.source_date == date(2026, 9, 28)
    line = OrderLine.objects.get(order=order)
    sub = Subscription.objects.get(source_object_id=line.pk, source_content_type__model="orderline")
    assert sub.start == date(2026, 10, 1) and sub.external_ref == f"ordering.line:{line.pk}"
    catch_up = Charge.objects.get(kind=ChargeKind.CATCH_UP, source_object_id=sub.pk)
    assert catch_up.amount == Decimal("25.00")  # 3 of 30 September days of 250 a month
    for row in (charge, sub, catch_up):
        event = AuditEvent.objects.get(object_type=row._meta.label_lower, object_id=str(row.pk))
        assert (event.actor_id, event.actor_role) == (world.technician.pk, "technician")
