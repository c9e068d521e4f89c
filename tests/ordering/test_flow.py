"""Ordering end to end: an orderer orders a package, the approver approves from the email link,
purchase orders reach the supplier's mailbox at the agreement price, a delivery file with serial
numbers creates assets assigned to the recipient and starts billing, hand-over closes the line."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from samdrift.assets.models import Asset, AssetStatus
from samdrift.billing.models import Charge, Subscription
from samdrift.core.models import AuditEvent
from samdrift.core.outbox import send_due
from samdrift.ordering import actions, purchasing
from samdrift.ordering.models import (
    DeliveredUnit,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)

pytestmark = pytest.mark.django_db


def _order(world: Any, ow: Any = None, **data: Any) -> Order:
    ow = ow or world.a
    cat = world.extra["ordering"]
    return actions.do_create_order(
        {"cost_centre": ow.cost_centre, "delivery_address": "Storgatan 1", **data},
        [actions.OrderItem(recipients=[ow.employee], package=cat["package"])],
        actor=ow.orderer,
    )


def test_order_shows_one_time_and_monthly_cost_and_waits_for_approval(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order = _order(world)
    send_due()  # what the worker does after the commit
    # Laptop 9000 + dock 1500, plus 5 % handling fee, plus the 400 set-up fee; 250 a month.
    assert order.one_time_total == Decimal("11425.00")
    assert order.monthly_total == Decimal("250.00")
    assert order.status == OrderStatus.SUBMITTED
    assert order.approval_level == 1
    assert not PurchaseOrder.objects.filter(order=order).exists(), "nothing is bought before approval"
    assert AuditEvent.objects.filter(
        object_type="ordering.order", object_id=str(order.pk), event_type="created"
    ).exists()
    # The approver got an email with a link to the order.
    (message,) = [m for m in mail.outbox if world.a.approver.email in m.to]
    assert reverse("order_detail", args=[order.pk]) in message.body
    assert order.number in message.subject


def test_main_flow_from_order_to_asset_and_billing(
    world: Any, web: Any, django_capture_on_commit_callbacks: Any
) -> None:
    a, cat = world.a, world.extra["ordering"]
    a.approver.email = "attest@kommun-a.example"
    a.approver.save(update_fields=["email"])
    mail.outbox.clear()

    # The orderer orders through the UI.
    client = web(a.orderer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
        reverse("order_shop"),
        {"items-TOTAL_FORMS": 1, "items-INITIAL_FORMS": 0, "items-0-item": f"p:{cat['package'].pk}",
         "items-0-quantity": 1, "recipients": [a.employee.pk], "cost_centre": a.cost_centre.pk,
         "delivery_address": "Stationsgatan 2, Höör"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.filter(owner=a.owner).order_by("-id").first()
    assert order is not None and order.status == OrderStatus.SUBMITTED
    send_due()

    # The approver's email carries the link; following it, the approver approves.
    (message,) = [m for m in mail.outbox if "attest@kommun-a.example" in m.to]
    link = reverse("order_detail", args=[order.pk])
    assert link in message.body
    approver = web(a.approver)
    page = approver.get(link)
    assert page.status_code == 200 and "Godkänn" in page.content.decode()
    assert approver.post(reverse("order_decide", args=[order.pk]), {"decision": "approve"}).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED

    # Purchasing creates the purchase order; it reaches the supplier's mailbox with the price.
    mail.outbox.clear()
    with_commit = web(world.technician)
    with django_capture_on_commit_callbacks(execute=True):
        assert with_commit.post(reverse("order_purchase", args=[order.pk])).status_code == 302
    po = PurchaseOrder.objects.get(order=order)
    assert po.sent_at is None, "a purchase order is sent when the supplier's mail has gone out"
    send_due()
    assert po.total == Decimal("10500.00")  # at the agreement price, without the handling fee
    (sent,) = [m for m in mail.outbox if "order@leverantor.example" in m.to]
    name, content, _mime = sent.attachments[0]
    assert name == f"{po.number}.csv"
    text = content.decode() if isinstance(content, bytes) else content
    assert "LAP-14" in text and "9000.0000" in text
    po.refresh_from_db()
    assert po.sent_at is not None
    (sent_event,) = AuditEvent.objects.filter(
        object_type="ordering.purchaseorder", object_id=str(po.pk), extra__action="sent"
    )
    assert sent_event.actor_role == "system"
    # The order's lines went to ordered with the purchasing technician's name on them.
    line_ids = [str(pk) for pk in OrderLine.objects.filter(order=order).values_list("pk", flat=True)]
    line_events = AuditEvent.objects.filter(
        object_type="ordering.orderline", object_id__in=line_ids, extra__action="purchase"
    )
    assert line_events.count() == len(line_ids)
    assert {(e.actor_id, e.actor_role) for e in line_events} == {(world.technician.pk, "technician")}

    # A delivery file with the serial number is imported.
    from django.core.files.uploadedfile import SimpleUploadedFile

    delivery_file = SimpleUploadedFile("leverans.csv", b"article_number;serial_number\nLAP-14;SN-HOOR-1\nDOCK-1;\n")
    response = with_commit.post(
        reverse("purchaseorder_deliver", args=[po.pk]),
        {"file": delivery_file, "delivered_on": actions.today().isoformat()},
    )
    assert response.status_code == 302
    po.refresh_from_db()
    assert po.status == POStatus.DELIVERED
    asset = Asset.objects.get(serial_number="SN-HOOR-1")
    assert asset.assigned_to_id == a.employee.pk and asset.status == AssetStatus.DEPLOYED
    assert asset.owner_id == a.owner.pk and asset.order_reference == po.number and asset.price == Decimal("9000.00")
    line = OrderLine.objects.get(order=order)
    assert line.status == LineStatus.DELIVERED
    # The monthly service runs, and the delivered goods are charged at cost plus the handling fee.
    sub = Subscription.objects.get(external_ref=f"ordering.line:{line.pk}")
    assert sub.monthly_price == Decimal("250.00") and sub.end is None
    charges = Charge.objects.filter(external_ref__startswith="ordering.").order_by("amount")
    assert sorted(c.amount for c in charges if c.external_ref.startswith("ordering.poline:")) == [
        Decimal("1575.00"),
        Decimal("9450.00"),
    ]
    assert Charge.objects.filter(external_ref=f"ordering.line:{line.pk}", amount=Decimal("400.00")).exists()

    # Hand-over closes the line and the order; the lead-time report shows its stages.
    assert with_commit.post(reverse("orderline_hand_over", args=[line.pk])).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    finished = AuditEvent.objects.filter(
        object_type="ordering.order", object_id=str(order.pk), extra__action="finish"
    ).order_by("id")
    assert [e.changes["status"] for e in finished] == [
        [OrderStatus.ORDERED, OrderStatus.DELIVERED],
        [OrderStatus.DELIVERED, OrderStatus.CLOSED],
    ]
    assert {e.actor_id for e in finished} == {world.technician.pk}
    report = web(a.viewer).get(reverse("ordering_lead_times"))
    assert report.status_code == 200 and a.owner.name in report.content.decode()
    csv_text = web(a.viewer).get(reverse("ordering_lead_times") + "?export=csv").content.decode()
    assert a.owner.name in csv_text


def test_serial_delivered_twice_is_refused_and_partial_deliveries_add_up(world: Any) -> None:
    a = world.a
    order = _order(world)
    actions.do_approve_order(order, actor=a.approver)
    purchasing.bulk_create_purchase_orders(Order.objects.filter(pk=order.pk), actor=world.technician, send=False)
    po = PurchaseOrder.objects.get(order=order)
    purchasing.do_register_delivery(po, [("DOCK-1", "")], actor=world.technician)
    po.refresh_from_db()
    assert po.status == POStatus.PARTIAL
    assert OrderLine.objects.get(order=order).status != LineStatus.DELIVERED
    purchasing.do_register_delivery(po, [("LAP-14", "SN-X1")], actor=world.technician)
    other = _order(world)
    actions.do_approve_order(other, actor=a.approver)
    purchasing.bulk_create_purchase_orders(Order.objects.filter(pk=other.pk), actor=world.technician, send=False)
    po2 = PurchaseOrder.objects.get(order=other)
    units_before = DeliveredUnit.objects.count()
    with translation.override("en"), pytest.raises(ValidationError, match="SN-X1 has already been delivered"):
        purchasing.do_register_delivery(po2, [("LAP-14", "SN-X1")], actor=world.technician)
    with translation.override("en"), pytest.raises(ValidationError, match="More units"):
        purchasing.do_register_delivery(po2, [("LAP-14", "SN-Y1"), ("LAP-14", "SN-Y2")], actor=world.technician)
    with translation.override("en"), pytest.raises(ValidationError, match="needs its serial"):
        purchasing.do_register_delivery(po2, [("LAP-14", "")], actor=world.technician)
    assert DeliveredUnit.objects.count() == units_before


def test_approval_limits_second_level_substitute_and_no_self_approval(world: Any) -> None:
    from samdrift.ordering.models import Approver

    a = world.a
    rule = Approver.objects.get(owner=a.owner, user=a.approver)
    actions.do_update_approver(rule, {"limit": Decimal("1000")}, actor=world.admin)
    order = _order(world)
    assert order.approval_level == 2, "above every limit: the second level decides"
    with pytest.raises(PermissionDenied):
        actions.do_approve_order(order, actor=a.approver)
    from tests.conftest import make_user

    chief = make_user("chief_a", "approver", a.owner)
    actions.do_create_approver({"owner": a.owner, "user": chief, "level": 2}, actor=world.admin)
    actions.do_approve_order(order, actor=chief)
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED

    # A substitute decides while the approver is away.
    sub = make_user("sub_a", "approver", a.owner)
    today = actions.today()
    actions.do_update_approver(
        rule, {"limit": None, "substitute": sub, "away_from": today - timedelta(days=1), "away_until": today + timedelta(days=1)},
        actor=world.admin,
    )  # fmt: skip
    second = _order(world)
    assert [u.pk for u in actions.approvers_for(second)] == [sub.pk]
    with pytest.raises(PermissionDenied):
        actions.do_approve_order(second, actor=a.approver)
    with translation.override("en"), pytest.raises(ValidationError, match="Say why"):
        actions.do_reject_order(second, "", actor=sub)
    actions.do_reject_order(second, "Ingen budget", actor=sub)
    second.refresh_from_db()
    assert second.status == OrderStatus.REJECTED and second.decision_reason == "Ingen budget"

    # The orderer cannot approve their own order, even holding the approver role.
    from samdrift.tenancy.actions import do_grant_role

    do_grant_role(a.orderer, "approver", a.owner, actor=None)
    actions.do_update_approver(rule, {"user": a.orderer, "away_from": None, "away_until": None}, actor=world.admin)
    third = _order(world)
    with translation.override("en"), pytest.raises(ValidationError, match="own order"):
        actions.do_approve_order(third, actor=a.orderer)


def test_cancel_and_change_after_approval_needs_new_approval(world: Any) -> None:
    a = world.a
    order = _order(world)
    actions.do_approve_order(order, actor=a.approver)
    actions.do_change_order(order, {"delivery_address": "Ny adress 3"}, actor=a.orderer)
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED and order.approval_round == 2
    actions.do_cancel_order(order, actor=a.orderer)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    sent = world.a.extra["ordering"]["sent"]
    with pytest.raises(ValidationError):
        actions.do_cancel_order(sent, actor=a.orderer)


def test_expired_or_exhausted_agreement_cannot_be_called_off(world: Any) -> None:
    _a, cat = world.a, world.extra["ordering"]
    agreement = cat["agreement"]
    actions.do_update_agreement(agreement, {"max_value": Decimal("12000")}, actor=world.admin)
    # The world's two sent orders already used 2 × 10,500 SEK: the agreement is exhausted.
    with translation.override("en"), pytest.raises(ValidationError, match="maximum value"):
        _order(world)
    actions.do_update_agreement(
        agreement, {"max_value": Decimal("5000000"), "end": actions.today() - timedelta(days=1)}, actor=world.admin
    )
    with translation.override("en"), pytest.raises(ValidationError, match="not in force"):
        _order(world)


def test_an_orderer_may_not_order_for_another_owner(world: Any) -> None:
    cat = world.extra["ordering"]
    with pytest.raises(PermissionDenied):
        actions.do_create_order(
            {"cost_centre": world.b.cost_centre, "delivery_address": "x"},
            [actions.OrderItem(recipients=[world.b.employee], package=cat["package"])],
            actor=world.a.orderer,
        )
    with translation.override("en"), pytest.raises(ValidationError, match="does not belong"):
        actions.do_create_order(
            {"cost_centre": world.a.cost_centre, "delivery_address": "x"},
            [actions.OrderItem(recipients=[world.b.employee], package=cat["package"])],
            actor=world.a.orderer,
        )


def test_purchase_orders_use_the_price_valid_that_day(world: Any) -> None:
    from samdrift.ordering import imports

    a, cat = world.a, world.extra["ordering"]
    order = _order(world)
    actions.do_approve_order(order, actor=a.approver)
    tomorrow = actions.today() + timedelta(days=1)
    new_list = "article_number;description;unit;category;unit_price\nLAP-14;Laptop 14 tum;st;laptop;8000\nDOCK-1;Dockningsstation;st;accessory;1500\n"
    imp = imports.do_check_price_list(cat["agreement"], new_list.encode(), "ny.csv", tomorrow, actor=world.admin)
    imports.do_apply_price_list(imp, actor=world.admin)
    purchasing.bulk_create_purchase_orders(
        Order.objects.filter(pk=order.pk), actor=world.technician, day=tomorrow, send=False
    )
    line = PurchaseOrderLine.objects.get(purchase_order__order=order, article_number="LAP-14")
    assert line.unit_price == Decimal("8000.0000")


def test_agreement_alerts_12_and_6_months_before_the_end_once_each(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cat = world.extra["ordering"]
    agreement = cat["agreement"]
    world.admin.email = "ansvarig@bolaget.example"
    world.admin.save(update_fields=["email"])
    end = agreement.end
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.do_send_agreement_alerts(day=end - timedelta(days=400)) == []
        assert actions.do_send_agreement_alerts(day=end - timedelta(days=364)) == [(agreement.pk, 12)]
        assert actions.do_send_agreement_alerts(day=end - timedelta(days=300)) == []
        assert actions.do_send_agreement_alerts(day=end - timedelta(days=180)) == [(agreement.pk, 6)]
        assert actions.do_send_agreement_alerts(day=end - timedelta(days=10)) == []
    send_due()
    subjects = [m.subject for m in mail.outbox if "ansvarig@bolaget.example" in m.to]
    assert len(subjects) == 2 and "12" in subjects[0] and "6" in subjects[1]
