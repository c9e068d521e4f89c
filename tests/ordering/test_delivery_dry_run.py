"""Checking a delivery before registering it ("Check the file", a dry run): every unit's row with
what it would become (a new asset checked out to its recipient, or delivered) or its errors, and
nothing written; the same check refuses the real registration, and a good delivery registers after
its check. On the purchase order's page and through the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from samdrift.assets.models import Asset
from samdrift.billing.models import Charge, Subscription
from samdrift.core.audit import verify_chain
from samdrift.core.models import AuditEvent
from samdrift.ordering import actions, purchasing
from samdrift.ordering.models import (
    DeliveredUnit,
    Delivery,
    Order,
    OrderLine,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)

pytestmark = pytest.mark.django_db


def _po(world: Any, recipients: int = 1) -> PurchaseOrder:
    """A new purchase order (sent) for the laptop package: one LAP-14 (a device) and one DOCK-1 a recipient."""
    ow = world.a
    order = actions.do_create_order(
        {"cost_centre": ow.cost_centre, "delivery_address": "Storgatan 1"},
        [
            actions.OrderItem(
                recipients=[ow.employee, ow.pupil][:recipients], package=world.extra["ordering"]["package"]
            )
        ],
        actor=ow.orderer,
    )
    actions.do_approve_order(order, actor=ow.approver)
    purchasing.bulk_create_purchase_orders(Order.objects.filter(pk=order.pk), actor=world.technician, send=False)
    return PurchaseOrder.objects.get(order=order)


def _snapshot() -> tuple[Any, ...]:
    """Everything a delivery writes."""
    return (
        Asset.objects.count(),
        Delivery.objects.count(),
        DeliveredUnit.objects.count(),
        Charge.objects.count(),
        Subscription.objects.count(),
        list(PurchaseOrder.objects.order_by("id").values_list("id", "status")),
        list(PurchaseOrderLine.objects.order_by("id").values_list("id", "delivered_quantity")),
        list(OrderLine.objects.order_by("id").values_list("id", "status", "delivered_at")),
        AuditEvent.objects.count(),
    )


def _rows(check: purchasing.DeliveryCheck) -> list[tuple[Any, ...]]:
    return [(r.row, r.article_number, r.serial_number, r.status, r.outcome, r.errors) for r in check.rows]


def test_the_check_of_a_good_delivery_reports_every_unit_and_changes_nothing(world: Any) -> None:
    po = _po(world)
    units = [("LAP-14", "SN-DRY-1"), ("DOCK-1", "")]
    before = _snapshot()
    with translation.override("en"):
        check = purchasing.check_delivery(po, units, actor=world.technician, rows=[2, 3])
    assert _snapshot() == before, "a check changed something"
    assert check.errors == [] and check.error_count == 0
    assert _rows(check) == [
        (2, "LAP-14", "SN-DRY-1", "ok", f"new asset, checked out to {world.a.employee}", []),
        (3, "DOCK-1", "", "ok", "delivered", []),
    ]
    # Registered after its check, the delivery is what the check said.
    purchasing.do_register_delivery(po, units, actor=world.technician, rows=[2, 3])
    po.refresh_from_db()
    assert po.status == POStatus.DELIVERED
    assert Asset.objects.get(serial_number="SN-DRY-1").assigned_to_id == world.a.employee.pk
    assert AuditEvent.objects.count() > before[-1]
    assert verify_chain().ok


def test_the_check_of_a_bad_delivery_reports_each_units_errors(world: Any) -> None:
    earlier = _po(world)
    purchasing.do_register_delivery(earlier, [("LAP-14", "SN-OLD"), ("DOCK-1", "")], actor=world.technician)
    po = _po(world, recipients=2)  # two laptops and two docks
    units = [
        ("LAP-14", "SN-OLD"),  # delivered before (it still takes a laptop's place)
        ("LAP-14", ""),  # a device without its serial number
        ("MUS-9", "M-1"),  # not on the purchase order
        ("DOCK-1", ""),
        ("DOCK-1", "D-1"),
        ("DOCK-1", ""),  # a third dock: more than ordered
        ("LAP-14", "SN-TWICE"),
        ("LAP-14", "SN-TWICE"),  # twice in the file, and a third laptop
    ]
    before = _snapshot()
    with translation.override("en"):
        check = purchasing.check_delivery(po, units, actor=world.technician)
    assert _snapshot() == before, "a check changed something"
    twice = "Serial number SN-TWICE appears twice in this delivery (rows 7, 8)."
    assert _rows(check) == [
        (1, "LAP-14", "SN-OLD", "error", "", ["Serial number SN-OLD has already been delivered; it is refused."]),
        (2, "LAP-14", "", "error", "", ["A device (LAP-14) needs its serial number."]),
        (3, "MUS-9", "M-1", "error", "", [f"Article MUS-9 is not on purchase order {po.number}."]),
        (4, "DOCK-1", "", "ok", "delivered", []),
        (5, "DOCK-1", "D-1", "ok", "delivered", []),
        (6, "DOCK-1", "", "error", "", ["More units of DOCK-1 than ordered."]),
        (7, "LAP-14", "SN-TWICE", "error", "", [twice]),
        (8, "LAP-14", "SN-TWICE", "error", "", [twice, "More units of LAP-14 than ordered."]),
    ]
    assert check.error_count == 6
    # The registration refuses the delivery with the same errors, each with its row, and changes nothing.
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        purchasing.do_register_delivery(po, units, actor=world.technician)
    assert caught.value.messages == check.errors
    assert check.errors[0] == "Row 1: Serial number SN-OLD has already been delivered; it is refused."
    assert len(check.errors) == 7
    assert _snapshot() == before


def test_only_purchasing_may_check_a_delivery_and_an_empty_one_is_refused(world: Any) -> None:
    po = _po(world)
    for user in (world.a.viewer, world.a.orderer, world.a.approver):
        with pytest.raises(PermissionDenied):
            purchasing.check_delivery(po, [("DOCK-1", "")], actor=user)
    with translation.override("en"), pytest.raises(ValidationError, match="no units"):
        purchasing.check_delivery(po, [], actor=world.technician)


# --- the purchase order's page -----------------------------------------------------------------


def test_check_the_delivery_file_on_the_purchase_order_page_then_register_it(world: Any, web: Any) -> None:
    po = _po(world)
    client = web(world.technician)
    url = reverse("purchaseorder_deliver", args=[po.pk])
    page = client.get(po.get_absolute_url()).content.decode()
    assert "Kontrollera filen" in page and "sidan kan inte behålla filen" in page
    day = actions.today().isoformat()
    before = _snapshot()
    bad = b"article_number;serial_number\nLAP-14;\nMUS-9;X\nDOCK-1;\n"
    response = client.post(url, {"file": SimpleUploadedFile("leverans.csv", bad), "delivered_on": day, "dry_run": "1"})
    text = response.content.decode()
    assert response.status_code == 200 and _snapshot() == before
    assert "Kontroll av leveransen" in text and "leverans.csv" in text and "<caption" in text
    assert "sd-error-summary" in text and "<title>Fel:" in text
    assert '<a href="#report-row-2">Rad 2: En enhet (LAP-14) behöver sitt serienummer.</a>' in text
    assert f'<a href="#report-row-3">Rad 3: Artikel MUS-9 finns inte på inköpsorder {po.number}.</a>' in text
    assert '<tr id="report-row-4"><th scope="row">4</th><td>DOCK-1</td>' in text and "Levererad" in text
    assert "3 rader kontrollerade, 2 med fel." in text
    assert 'name="dry_run"' in text and "Registrera leverans" in text, "the form is there to upload again"
    # A good file: each unit and what it becomes; still nothing registered.
    good = b"article_number;serial_number\nLAP-14;SN-PAGE-1\nDOCK-1;\n"
    response = client.post(url, {"file": SimpleUploadedFile("leverans.csv", good), "delivered_on": day, "dry_run": "1"})
    text = response.content.decode()
    assert response.status_code == 200 and "sd-error-summary" not in text and _snapshot() == before
    assert f"Ny tillgång, utlämnad till {world.a.employee}" in text and "Leveransen har inga fel" in text
    # Uploaded again with the register button, the delivery is registered.
    response = client.post(url, {"file": SimpleUploadedFile("leverans.csv", good), "delivered_on": day})
    assert response.status_code == 302
    po.refresh_from_db()
    assert po.status == POStatus.DELIVERED and Asset.objects.filter(serial_number="SN-PAGE-1").exists()


def test_check_typed_units_keeps_them_in_the_form(world: Any, web: Any) -> None:
    po = _po(world)
    client = web(world.technician)
    before = _snapshot()
    response = client.post(
        reverse("purchaseorder_deliver", args=[po.pk]),
        {
            "units": "LAP-14 SN-TYPED-1\n\nDOCK-1 ; \nDOCK-1",
            "delivered_on": actions.today().isoformat(),
            "dry_run": "1",
        },
    )
    text = response.content.decode()
    assert response.status_code == 200 and _snapshot() == before
    # Rows are the lines typed (the empty line 2 is no unit).
    assert (
        '<th scope="row">1</th>' in text and '<th scope="row">3</th>' in text and '<th scope="row">2</th>' not in text
    )
    assert "Rad 4: Fler enheter av DOCK-1 än beställt." in text
    assert "LAP-14 SN-TYPED-1" in text, "the typed units stay in the form"


def test_owner_users_may_not_check_a_delivery_on_the_page(world: Any, web: Any) -> None:
    po = _po(world)
    url = reverse("purchaseorder_deliver", args=[po.pk])
    data = {"units": "DOCK-1", "delivered_on": actions.today().isoformat(), "dry_run": "1"}
    for user in (world.a.viewer, world.a.orderer, world.b.approver):
        assert web(user).post(url, data).status_code in {403, 404}


# --- API ---------------------------------------------------------------------------------------


def test_check_a_delivery_through_the_api_then_register_it(world: Any, api: Any) -> None:
    po = _po(world)
    url = f"/api/v1/ordering/purchase-orders/{po.pk}/deliver/"
    rest = api(world.technician)
    before = _snapshot()
    bad = {"units": [{"article_number": "LAP-14", "serial_number": ""}, {"article_number": "DOCK-1"}], "dry_run": True}
    response = rest.post(url, bad, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True and body["ok"] is False and body["error_count"] == 1
    assert body["rows"] == [
        {"row": 1, "article_number": "LAP-14", "serial_number": "", "status": "error", "outcome": "",
         "errors": ["En enhet (LAP-14) behöver sitt serienummer."]},
        {"row": 2, "article_number": "DOCK-1", "serial_number": "", "status": "ok", "outcome": "levererad",
         "errors": []},
    ]  # fmt: skip
    assert body["errors"] == ["Rad 1: En enhet (LAP-14) behöver sitt serienummer."]
    assert _snapshot() == before
    units = [{"article_number": "LAP-14", "serial_number": "SN-API-1"}, {"article_number": "DOCK-1"}]
    response = rest.post(url, {"units": units, "dry_run": True}, format="json")
    assert response.status_code == 200 and response.json()["ok"] is True
    assert response.json()["rows"][0]["outcome"] == f"ny tillgång, utlämnad till {world.a.employee}"
    assert _snapshot() == before
    # Without dry_run the units are registered, as before; the refusal of a bad delivery is a 400.
    assert rest.post(url, {**bad, "dry_run": False}, format="json").status_code == 400
    response = rest.post(url, {"units": units}, format="json")
    assert response.status_code == 200 and response.json()["status"] == POStatus.DELIVERED
    # Owner users may not check; another owner's purchase order is not found.
    other = _po(world)
    other_url = f"/api/v1/ordering/purchase-orders/{other.pk}/deliver/"
    assert api(world.a.viewer).post(other_url, {"units": units, "dry_run": True}, format="json").status_code == 403
    assert api(world.b.approver).post(other_url, {"units": units, "dry_run": True}, format="json").status_code == 404
