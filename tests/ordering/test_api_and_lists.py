"""Ordering through the API, price-list imports with their dry run, the isolation of orders, and
constant query counts on every ordering list (UI and API)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samdrift.ordering import actions, purchasing
from samdrift.ordering.models import AgreementArticle, Order, PriceImport, PurchaseOrder, ServicePrice

pytestmark = pytest.mark.django_db


def test_order_approve_purchase_and_deliver_through_the_api(world: Any, api: Any) -> None:
    a, cat = world.a, world.extra["ordering"]
    response = api(a.orderer).post(
        "/api/v1/ordering/orders/",
        {"cost_centre": a.cost_centre.pk, "delivery_address": "Torget 1",
         "items": [{"package": cat["package"].pk, "recipients": [a.employee.pk], "quantity": 1}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    order_id = response.json()["id"]
    assert response.json()["one_time_total"] == "11425.00"
    # Owner B's orderer neither sees nor decides it; A's approver approves.
    assert api(world.b.orderer).get(f"/api/v1/ordering/orders/{order_id}/").status_code == 404
    assert api(world.b.approver).post(f"/api/v1/ordering/orders/{order_id}/approve/", {}).status_code == 404
    assert api(a.orderer).post(f"/api/v1/ordering/orders/{order_id}/approve/", {}).status_code in {400, 403}
    assert api(a.approver).post(f"/api/v1/ordering/orders/{order_id}/approve/", {}).status_code == 200
    response = api(world.technician).post(f"/api/v1/ordering/orders/{order_id}/purchase/")
    assert response.status_code == 200, response.content
    (po,) = response.json()
    assert Decimal(po["total"]) == Decimal("10500.00")
    response = api(world.technician).post(
        f"/api/v1/ordering/purchase-orders/{po['id']}/confirm/", {"supplier_reference": "SO-1"}
    )
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    response = api(world.technician).post(
        f"/api/v1/ordering/purchase-orders/{po['id']}/deliver/",
        {"units": [{"article_number": "LAP-14", "serial_number": "API-SN-1"}, {"article_number": "DOCK-1"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "delivered"
    again = api(world.technician).post(
        f"/api/v1/ordering/purchase-orders/{po['id']}/deliver/",
        {"units": [{"article_number": "LAP-14", "serial_number": "API-SN-1"}]},
        format="json",
    )
    assert again.status_code == 400 and "API-SN-1" in again.content.decode()


def test_bad_order_input_is_a_clear_400_and_changes_nothing(world: Any, api: Any) -> None:
    a, cat = world.a, world.extra["ordering"]
    before = Order.objects.count()
    for body in (
        {"cost_centre": a.cost_centre.pk, "items": []},
        {"cost_centre": a.cost_centre.pk, "delivery_address": "x", "items": [{"package": cat["package"].pk, "recipients": []}]},
        {"cost_centre": world.b.cost_centre.pk, "delivery_address": "x", "items": [{"package": cat["package"].pk, "recipients": [a.employee.pk]}]},
        {"cost_centre": a.cost_centre.pk, "delivery_address": "x", "items": [{"recipients": [a.employee.pk]}]},
    ):  # fmt: skip
        response = api(a.orderer).post("/api/v1/ordering/orders/", body, format="json")
        assert response.status_code == 400, (body, response.content)
    assert api(a.viewer).post("/api/v1/ordering/orders/", {}, format="json").status_code == 403
    assert Order.objects.count() == before


def test_price_list_dry_run_shows_new_changed_and_removed_and_never_edits_in_place(world: Any, web: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    cat = world.extra["ordering"]
    agreement = cat["agreement"]
    day = actions.today()
    old_laptop = AgreementArticle.objects.get(agreement=agreement, article_number="LAP-14", valid_to__isnull=True)
    content = b"article_number;description;unit;category;unit_price\nLAP-14;Laptop 14 tum;st;laptop;8500,00\nMUS-1;Mus;st;accessory;199\n"
    client = web(world.admin)
    response = client.post(
        reverse("agreement_price_import", args=[agreement.pk]),
        {"file": SimpleUploadedFile("ny.csv", content), "valid_from": day.isoformat()},
    )
    assert response.status_code == 302
    imp = PriceImport.objects.order_by("-id").first()
    assert imp is not None
    assert (imp.new_count, imp.changed_count, imp.removed_count, imp.error_count) == (1, 1, 1, 0)
    page = client.get(imp.get_absolute_url()).content.decode()
    assert "MUS-1" in page and "DOCK-1" in page and "8500" in page
    # The dry run changed no price.
    assert AgreementArticle.objects.filter(agreement=agreement).count() == 2
    assert client.post(imp.get_absolute_url()).status_code == 302
    old_laptop.refresh_from_db()
    assert old_laptop.unit_price == Decimal("9000.0000") and old_laptop.valid_to is not None
    current = AgreementArticle.objects.filter(agreement=agreement, valid_to__isnull=True)
    assert sorted(current.values_list("article_number", flat=True)) == ["LAP-14", "MUS-1"]
    # A broken file is reported row by row and cannot be imported.
    bad = b"article_number;description;unit;unit_price\n;Utan nummer;st;1\nX;Dubbel;st;abc\n"
    response = client.post(
        reverse("agreement_price_import", args=[agreement.pk]),
        {
            "file": SimpleUploadedFile("fel.csv", bad),
            "valid_from": (day.replace(day=1)).isoformat() if day.day > 1 else day.isoformat(),
        },
    )
    imp2 = PriceImport.objects.order_by("-id").first()
    assert imp2 is not None and imp2.error_count >= 2
    assert client.post(imp2.get_absolute_url()).status_code == 302
    imp2.refresh_from_db()
    assert imp2.status == "checked"
    missing = client.post(
        reverse("agreement_price_import", args=[agreement.pk]),
        {"file": SimpleUploadedFile("kolumn.csv", b"a;b\n1;2\n"), "valid_from": day.isoformat()},
    )
    assert missing.status_code == 200 and "article_number" in missing.content.decode()


def test_catalogue_and_purchasing_pages_refuse_who_may_not_and_bad_input_changes_nothing(world: Any, web: Any) -> None:
    cat, a = world.extra["ordering"], world.a
    service, package, line = cat["service"], cat["package"], cat["package_line"]
    prices, lines = ServicePrice.objects.filter(service=service).count(), package.lines.count()
    price = {"price": "300", "valid_from": actions.today().isoformat()}
    # A technician sees the catalogue but may not change it; an orderer sees the order but may not buy.
    technician = web(world.technician)
    assert technician.post(reverse("service_price", args=[service.pk]), price).status_code == 403
    assert technician.post(reverse("package_add_line", args=[package.pk]), {"service": service.pk}).status_code == 403
    assert technician.post(reverse("package_remove_line", args=[line.pk])).status_code == 403
    waiting = a.extra["ordering"]["waiting"]
    assert web(a.orderer).post(reverse("order_purchase", args=[waiting.pk])).status_code == 403
    assert web(a.orderer).post(reverse("orderline_hand_over", args=[a.extra["ordering"]["line"].pk])).status_code == 403
    # Bad input: one message of the form's errors, back to the page, nothing written.
    response = web(world.finance).post(reverse("service_price", args=[service.pk]), {**price, "price": "-1"})
    assert response.status_code == 302 and response["Location"] == service.get_absolute_url()
    assert len(list(get_messages(response.wsgi_request))) == 1
    response = web(world.finance).post(reverse("package_add_line", args=[package.pk]), {"quantity": "0"})
    assert response.status_code == 302 and response["Location"] == package.get_absolute_url()
    assert ServicePrice.objects.filter(service=service).count() == prices and package.lines.count() == lines


def test_orders_of_another_owner_never_show(world: Any, web: Any, api: Any) -> None:
    b_marker = world.b.marker
    for user in (world.a.orderer, world.a.approver, world.a.viewer):
        assert b_marker not in web(user).get(reverse("order_list")).content.decode()
        assert b_marker not in web(user).get(reverse("purchaseorder_list")).content.decode()
        ids = {row["id"] for row in api(user).get("/api/v1/ordering/orders/").json()["results"]}
        assert ids and not ids & set(Order.objects.filter(owner=world.b.owner).values_list("pk", flat=True))
    # The recipient follows their own order lines in the portal.
    assert web(world.a.end_user).get(reverse("my_order_lines")).status_code == 200


def _grow(world: Any, n: int) -> None:
    a, cat = world.a, world.extra["ordering"]
    have = Order.objects.filter(owner=a.owner).count()
    for _i in range(have, n):
        order = actions.do_create_order(
            {"cost_centre": a.cost_centre, "delivery_address": "Gatan 2"},
            [actions.OrderItem(recipients=[a.employee], package=cat["package"])],
            actor=a.orderer,
        )
        actions.do_approve_order(order, actor=a.approver)
    purchasing.bulk_create_purchase_orders(Order.objects.filter(owner=a.owner), actor=world.technician, send=False)
    assert PurchaseOrder.objects.filter(owner=a.owner).count() >= n - 1


UI = ["/ordering/orders/", "/ordering/purchase-orders/", "/ordering/approvers/", "/ordering/orders/approval/"]
UI_ADMIN = ["/ordering/suppliers/", "/ordering/agreements/", "/ordering/services/", "/ordering/packages/"]
API = ["/api/v1/ordering/orders/", "/api/v1/ordering/purchase-orders/", "/api/v1/ordering/approvers/"]
API_ADMIN = ["/api/v1/ordering/agreements/", "/api/v1/ordering/packages/", "/api/v1/ordering/services/"]


@pytest.mark.parametrize("who", ["admin", "a.orderer", "a.approver"])
def test_list_query_counts_do_not_grow_with_rows(world: Any, web: Any, api: Any, who: str) -> None:
    user: Any = world
    for part in who.split("."):
        user = getattr(user, part)
    urls = UI + (UI_ADMIN if who == "admin" else []) + (["/order/"] if who == "a.orderer" else [])
    api_urls = API + (API_ADMIN if who == "admin" else [])

    def counts() -> dict[str, int]:
        client, rest = web(user), api(user)
        result = {}
        for url in urls:
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, url
            result[url] = len(ctx.captured_queries)
        for url in api_urls:
            rest.get(url)
            with CaptureQueriesContext(connection) as ctx:
                response = rest.get(url)
            assert response.status_code == 200, url
            result[url] = len(ctx.captured_queries)
        return result

    _grow(world, 3)
    few = counts()
    _grow(world, 55)
    many = counts()
    assert many == few


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/ordering/orders/?cost_centre=368003239655178109976576",
        "/api/v1/ordering/orders/?cost_centre=-1",
        "/api/v1/ordering/approvers/?cost_centre=99999999999999999999999",
        "/api/v1/billing/periods/?year=99999999999999999999999",
    ],
)
def test_a_number_too_large_for_the_database_is_a_400_not_a_500(world: Any, api: Any, url: str) -> None:
    # Found by schemathesis: the driver cannot bind an integer beyond 64 bits (OverflowError).
    response = api(world.admin).get(url)
    assert response.status_code == 400, response.content


def test_a_number_too_large_in_a_list_filter_is_shown_as_a_form_error(world: Any, web: Any) -> None:
    response = web(world.admin).get("/ordering/orders/?cost_centre=368003239655178109976576")
    assert response.status_code == 200
    assert "cost_centre" in response.context["filter"].form.errors
    assert not list(response.context["object_list"]), "an invalid filter lists nothing"
