"""Issue 18's ordering holes: an approver or substitute must hold the approver role at the cost
centre's owner (the approval mail carries the orderer, cost centre and amounts), and an order may
be cancelled only by its orderer, the approvers of its cost centre and the operator."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from samdrift.core.models import AuditEvent
from samdrift.ordering import actions
from samdrift.ordering.models import Approver, Order, OrderStatus
from samdrift.tenancy import actions as tenancy_actions
from samdrift.tenancy.models import Membership
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _order(world: Any, orderer: Any = None) -> Order:
    a = world.a
    return actions.do_create_order(
        {"cost_centre": a.cost_centre, "delivery_address": "Storgatan 1"},
        [actions.OrderItem(recipients=[a.employee], package=world.extra["ordering"]["package"])],
        actor=orderer or a.orderer,
    )


@pytest.mark.parametrize("who", ["end_user", "orderer", "other_owner_approver", "operator_agent"])
def test_approver_without_the_role_at_that_owner_is_refused(world: Any, who: str) -> None:
    user = {
        "end_user": world.a.end_user,
        "orderer": world.a.orderer,
        "other_owner_approver": world.b.approver,
        "operator_agent": world.agent,
    }[who]
    before = Approver.objects.count()
    with translation.override("sv"), pytest.raises(ValidationError) as caught:
        actions.do_create_approver(
            {"owner": world.a.owner, "cost_centre": world.a.cost_centre, "user": user, "level": 1}, actor=world.admin
        )
    assert caught.value.message_dict["user"] == ["Måste ha rollen attestant hos den här ägaren."]
    assert Approver.objects.count() == before


def test_substitute_without_the_role_is_refused_on_create_and_update(world: Any) -> None:
    a = world.a
    with pytest.raises(ValidationError) as caught:
        actions.do_create_approver(
            {"owner": a.owner, "user": a.approver, "substitute": world.b.approver, "level": 2}, actor=world.admin
        )
    assert set(caught.value.message_dict) == {"substitute"}
    rule = Approver.objects.get(owner=a.owner, user=a.approver)
    with pytest.raises(ValidationError) as caught:
        actions.do_update_approver(rule, {"substitute": a.end_user}, actor=world.admin)
    assert set(caught.value.message_dict) == {"substitute"}
    with pytest.raises(ValidationError) as caught:
        actions.do_update_approver(rule, {"user": a.orderer}, actor=world.admin)
    assert set(caught.value.message_dict) == {"user"}
    rule.refresh_from_db()
    assert rule.user_id == a.approver.pk and rule.substitute_id is None
    # A colleague holding the approver role at the same owner is accepted.
    colleague = make_user("colleague_a", "approver", a.owner)
    actions.do_update_approver(rule, {"substitute": colleague}, actor=world.admin)
    assert AuditEvent.objects.filter(object_type="ordering.approver", object_id=str(rule.pk), event_type="updated")


def test_api_refuses_an_approver_of_another_owner(world: Any, api: Any) -> None:
    response = api(world.admin).post(
        "/api/v1/ordering/approvers/",
        {"owner": world.a.owner.pk, "cost_centre": world.a.cost_centre.pk, "user": world.b.approver.pk, "level": 1},
        format="json",
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert response.status_code == 400, response.content
    assert "attestant" in response.content.decode()


def test_a_revoked_approver_role_stops_mail_and_decisions(world: Any) -> None:
    a = world.a
    order = _order(world)
    assert a.approver.pk in [u.pk for u in actions.approvers_for(order)]
    membership = Membership.objects.get(user=a.approver, owner=a.owner, role="approver")
    tenancy_actions.do_revoke_role(membership, actor=None)
    assert actions.approvers_for(order) == []
    with pytest.raises(PermissionDenied):
        actions.do_approve_order(order, actor=a.approver)


def test_another_orderer_of_the_same_owner_cannot_cancel(world: Any, web: Any, api: Any) -> None:
    a = world.a
    colleague = make_user("orderer2_a", "orderer", a.owner)
    order = _order(world)
    actions.do_approve_order(order, actor=a.approver)
    with pytest.raises(PermissionDenied):
        actions.do_cancel_order(order, actor=colleague)
    assert web(colleague).post(reverse("order_cancel", args=[order.pk])).status_code == 403
    assert api(colleague).post(f"/api/v1/ordering/orders/{order.pk}/cancel/", {"reason": "x"}).status_code == 403
    page = web(colleague).get(reverse("order_detail", args=[order.pk]))
    assert reverse("order_cancel", args=[order.pk]) not in page.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED


@pytest.mark.parametrize("who", ["orderer", "approver", "admin"])
def test_the_orderer_the_approver_and_the_operator_may_cancel(world: Any, who: str) -> None:
    actor = {"orderer": world.a.orderer, "approver": world.a.approver, "admin": world.admin}[who]
    order = _order(world)
    assert actions.may_cancel(order, actor)
    actions.do_cancel_order(order, actor=actor, reason="Behövs inte")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    event = AuditEvent.objects.filter(object_type="ordering.order", object_id=str(order.pk)).order_by("-id").first()
    assert event is not None and event.extra["action"] == "cancel" and event.actor_id == actor.pk
    assert event.actor_role == {"orderer": "orderer", "approver": "approver", "admin": "admin"}[who]


def test_an_approver_of_another_cost_centre_cannot_cancel(world: Any) -> None:
    a = world.a
    other_centre = tenancy_actions.do_create_cost_centre(
        {"owner": a.owner, "code": "CC-A2", "name": "Annat", "invoice_reference": "R2"}, actor=None
    )
    other = make_user("approver2_a", "approver", a.owner)
    actions.do_create_approver(
        {"owner": a.owner, "cost_centre": other_centre, "user": other, "level": 1}, actor=world.admin
    )
    order = _order(world)
    with pytest.raises(PermissionDenied):
        actions.do_cancel_order(order, actor=other)
    # Nor an end user, a viewer or another owner's approver (who does not even see the order).
    for user in (a.end_user, a.viewer, world.b.approver):
        assert not actions.may_cancel(order, user)
