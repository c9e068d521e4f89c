"""The order form holds several packages and services: each row goes to every recipient, rows left
empty are ignored, and a malformed row is refused with the row named and nothing stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from samdrift.ordering import actions
from samdrift.ordering.models import MAX_ORDER_ITEMS, Order, OrderLine

pytestmark = pytest.mark.django_db


def _orderable_service(world: Any, roles: tuple[str, ...] = ("orderer",)) -> Any:
    """A one-time service that `roles` may order on its own."""
    cat = world.extra["ordering"]
    return actions.do_create_service(
        {"code": "EXTRA-SKARM", "name": "Skärmuppsättning", "kind": "one_time", "orderable_by": list(roles),
         "billing_article": cat["article"], "price": Decimal("150"), "price_from": cat["agreement"].start},
        actor=world.admin,
    )  # fmt: skip


def _post(client: Any, world: Any, rows: list[tuple[str, Any]], recipients: list[Any], **extra: Any) -> Any:
    a = world.a
    data: dict[str, Any] = {
        "items-TOTAL_FORMS": len(rows),
        "items-INITIAL_FORMS": 0,
        "recipients": [p.pk for p in recipients],
        "cost_centre": a.cost_centre.pk,
        "delivery_address": "Stationsgatan 2, Höör",
    }
    for n, (item, quantity) in enumerate(rows):
        data[f"items-{n}-item"] = item
        data[f"items-{n}-quantity"] = quantity
    data.update(extra)
    return client.post(reverse("order_shop"), data)


def test_one_order_holds_several_packages_and_services_for_every_recipient(world: Any, web: Any) -> None:
    a, cat = world.a, world.extra["ordering"]
    service = _orderable_service(world)
    second = a.pupil
    before = Order.objects.count()
    response = _post(
        web(a.orderer),
        world,
        [(f"p:{cat['package'].pk}", 1), ("", 1), (f"s:{service.pk}", 2)],
        [a.employee, second],
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Order.objects.count() == before + 1
    order = Order.objects.order_by("-id").first()
    assert order is not None
    lines = list(OrderLine.objects.filter(order=order).order_by("recipient_id", "id"))
    # Two rows (the empty one ignored) for each of the two recipients: four lines, one approval.
    assert len(lines) == 4
    assert {(ln.recipient_id, ln.package_id, ln.service_id, ln.quantity) for ln in lines} == {
        (a.employee.pk, cat["package"].pk, None, 1),
        (second.pk, cat["package"].pk, None, 1),
        (a.employee.pk, None, service.pk, 2),
        (second.pk, None, service.pk, 2),
    }
    # Package 11,425.00 one-time and 250.00 a month; the service 2 x 150.00; times two recipients.
    assert order.one_time_total == Decimal("2") * (Decimal("11425.00") + Decimal("300.00"))
    assert order.monthly_total == Decimal("500.00")


def test_the_form_offers_packages_and_services_with_their_prices_and_a_row_to_copy(world: Any, web: Any) -> None:
    a, cat = world.a, world.extra["ordering"]
    with translation.override("sv"):
        page = web(a.orderer).get(reverse("order_shop"), {"package": cat["package"].pk}).content.decode()
    # The package link from the catalogue preselects the first row.
    assert f'<option value="p:{cat["package"].pk}" selected>' in page
    assert 'name="items-TOTAL_FORMS" value="1"' in page
    assert 'id="order-item-template"' in page and "items-__prefix__-item" in page
    assert "Lägg till ett paket eller en tjänst" in page
    assert f'data-add-item="p:{cat["package"].pk}"' in page
    # Prices for the running total, as the server computed them.
    assert f'"p:{cat["package"].pk}": {{"one_time": "11425.00", "monthly": "250.00"}}' in page


@pytest.mark.parametrize(
    "rows, field",
    [
        ([("", 1)], "__all__"),  # nothing picked at all
        ([("p:999999", 1)], "item"),  # no such package
        ([("garbage", 1)], "item"),
        ([("x:1", 1)], "item"),
        ([("PACKAGE", 0)], "quantity"),
        ([("PACKAGE", 101)], "quantity"),
        ([("PACKAGE", "två")], "quantity"),
        ([("PACKAGE", 1)] * (MAX_ORDER_ITEMS + 1), "__all__"),  # more rows than an order holds
    ],
)
def test_a_malformed_row_is_refused_and_nothing_is_stored(world: Any, web: Any, rows: Any, field: str) -> None:
    a, cat = world.a, world.extra["ordering"]
    rows = [(item.replace("PACKAGE", f"p:{cat['package'].pk}"), qty) for item, qty in rows]
    before = (Order.objects.count(), OrderLine.objects.count())
    response = _post(web(a.orderer), world, rows, [a.employee])
    assert response.status_code == 200
    items = response.context["items"]
    if field == "__all__":
        assert items.non_form_errors()
    else:
        assert any(field in row.errors for row in items.forms)
    body = response.content.decode()
    assert 'id="error-summary"' in body
    # The chosen recipient is still chosen, for the orderer to correct the row and send again.
    assert f'name="recipients" value="{a.employee.pk}" checked' in body
    assert (Order.objects.count(), OrderLine.objects.count()) == before


def test_a_broken_management_form_is_an_error_not_a_crash(world: Any, web: Any) -> None:
    a = world.a
    before = Order.objects.count()
    client = web(a.orderer)
    for data in ({}, {"items-TOTAL_FORMS": "many", "items-INITIAL_FORMS": "0"}):
        response = client.post(reverse("order_shop"), {"recipients": [a.employee.pk], **data})
        assert response.status_code == 200
        assert 'id="error-summary"' in response.content.decode()
    assert Order.objects.count() == before


def test_a_service_the_role_may_not_order_is_not_offered_and_refused_if_forged(world: Any, web: Any) -> None:
    a, cat = world.a, world.extra["ordering"]
    for_approvers = _orderable_service(world, roles=("approver",))
    client = web(a.orderer)
    page = client.get(reverse("order_shop")).content.decode()
    assert f'value="s:{for_approvers.pk}"' not in page and f'data-add-item="s:{for_approvers.pk}"' not in page
    assert f'data-add-item="p:{cat["package"].pk}"' in page
    before = Order.objects.count()
    response = _post(client, world, [(f"p:{cat['package'].pk}", 1), (f"s:{for_approvers.pk}", 1)], [a.employee])
    assert response.status_code == 200
    assert "item" in response.context["items"].forms[1].errors
    assert Order.objects.count() == before
    # The action says why, in words, to an API client that names the service anyway.
    with pytest.raises(ValidationError, match="Din roll får inte beställa Skärmuppsättning"):
        with translation.override("sv"):
            actions.do_create_order(
                {"cost_centre": a.cost_centre, "delivery_address": "x"},
                [actions.OrderItem(recipients=[a.employee], service=for_approvers)],
                actor=a.orderer,
            )
    assert Order.objects.count() == before


def test_the_api_takes_several_items_and_at_most_the_limit(world: Any, api: Any) -> None:
    a, cat = world.a, world.extra["ordering"]
    service = _orderable_service(world)
    client = api(a.orderer)
    url = "/api/v1/ordering/orders/"
    item = {"package": cat["package"].pk, "recipients": [a.employee.pk], "quantity": 1}
    body = {"cost_centre": a.cost_centre.pk, "delivery_address": "x"}
    before = Order.objects.count()
    too_many = client.post(url, {**body, "items": [item] * (MAX_ORDER_ITEMS + 1)}, format="json")
    assert too_many.status_code == 400, too_many.content
    assert "items" in too_many.json()
    none = client.post(url, {**body, "items": []}, format="json")
    assert none.status_code == 400
    assert Order.objects.count() == before
    two = client.post(
        url,
        {**body, "items": [item, {"service": service.pk, "recipients": [a.employee.pk], "quantity": 3}]},
        format="json",
    )
    assert two.status_code == 201, two.content
    assert len(two.json()["lines"]) == 2
    assert Decimal(two.json()["one_time_total"]) == Decimal("11425.00") + Decimal("450.00")
