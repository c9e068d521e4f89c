"""Suppliers' order confirmations registered by file: one file may confirm many purchase orders,
each line gets the confirmed quantity and expected delivery, and a file with any error is refused
whole, every error with its row number, changing nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from samdrift.core.audit import verify_chain
from samdrift.core.models import AuditEvent
from samdrift.ordering import actions, purchasing
from samdrift.ordering.models import (
    LineStatus,
    Order,
    OrderLine,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)
from samdrift.tenancy.models import User

pytestmark = pytest.mark.django_db

HEADER = "purchase_order;supplier_reference;article_number;quantity;delivery_date"


def _po(world: Any, ow: Any = None, recipients: int = 1) -> PurchaseOrder:
    """A new purchase order (sent) for a laptop package: LAP-14 and DOCK-1, one of each a recipient."""
    ow = ow or world.a
    people = [ow.employee, ow.pupil][:recipients]
    order = actions.do_create_order(
        {"cost_centre": ow.cost_centre, "delivery_address": "Storgatan 1"},
        [actions.OrderItem(recipients=people, package=world.extra["ordering"]["package"])],
        actor=ow.orderer,
    )
    actions.do_approve_order(order, actor=ow.approver)
    purchasing.bulk_create_purchase_orders(Order.objects.filter(pk=order.pk), actor=world.technician, send=False)
    return PurchaseOrder.objects.get(order=order)


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _snapshot() -> tuple[Any, ...]:
    return (
        list(PurchaseOrder.objects.order_by("id").values_list("id", "status", "confirmed_at", "supplier_reference")),
        list(PurchaseOrderLine.objects.order_by("id").values_list("id", "confirmed_quantity", "confirmed_delivery")),
        list(OrderLine.objects.order_by("id").values_list("id", "status", "confirmed_at")),
        AuditEvent.objects.count(),
    )


def _refused(content: bytes, actor: Any, filename: str = "ob.csv", **kwargs: Any) -> list[str]:
    """The messages a refused file gets; asserts that nothing changed."""
    before = _snapshot()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        purchasing.do_import_confirmations(content, filename, actor=actor, **kwargs)
    assert _snapshot() == before, "a refused file changed something"
    return list(caught.value.messages)


def test_a_file_confirms_many_purchase_orders_of_both_owners(world: Any) -> None:
    a_po = world.a.extra["ordering"]["po"]
    b_po = _po(world, world.b, recipients=2)  # two LAP-14 lines and two DOCK-1 lines
    in_two_weeks = actions.today() + timedelta(days=14)
    content = _csv(
        f"{a_po.number};SO-100;LAP-14;1;{in_two_weeks}",
        f"{a_po.number};SO-100;DOCK-1;1;",
        f"{b_po.number};SO-200;LAP-14;2;{in_two_weeks}",
        f"{b_po.number};;DOCK-1;1;{in_two_weeks + timedelta(days=3)}",
    )
    result = purchasing.do_import_confirmations(content, "orderbekraftelse.csv", actor=world.technician)

    assert result.purchase_orders == sorted([a_po.pk, b_po.pk]) and result.lines == 6
    for po, reference in ((a_po, "SO-100"), (b_po, "SO-200")):
        po.refresh_from_db()
        assert po.status == POStatus.CONFIRMED and po.confirmed_at is not None
        assert po.supplier_reference == reference
        lines = OrderLine.objects.filter(po_lines__purchase_order=po).distinct()
        assert {ln.status for ln in lines} == {LineStatus.CONFIRMED}
        assert all(ln.confirmed_at is not None for ln in lines)
        (event,) = AuditEvent.objects.filter(
            object_type="ordering.purchaseorder", object_id=str(po.pk), event_type="updated"
        ).exclude(extra__action="sent")  # the outbox's delivery of the order is its own event
        assert event.changes["status"] == [POStatus.SENT, POStatus.CONFIRMED]
        assert event.changes["supplier_reference"] == ["", reference]
        assert event.extra["filename"] == "orderbekraftelse.csv" and len(event.extra["sha256"]) == 64
        assert event.owner_id == po.owner_id and event.actor_role == "technician"
    a_lines = {pl.article_number: pl for pl in PurchaseOrderLine.objects.filter(purchase_order=a_po)}
    assert (a_lines["LAP-14"].confirmed_quantity, a_lines["LAP-14"].confirmed_delivery) == (1, in_two_weeks)
    assert (a_lines["DOCK-1"].confirmed_quantity, a_lines["DOCK-1"].confirmed_delivery) == (1, None)
    # An article on several lines: the confirmed quantity fills them in order.
    b_lines = list(PurchaseOrderLine.objects.filter(purchase_order=b_po).order_by("id"))
    assert [(pl.article_number, pl.confirmed_quantity) for pl in b_lines if pl.article_number == "LAP-14"] == [
        ("LAP-14", 1),
        ("LAP-14", 1),
    ]
    assert sorted(pl.confirmed_quantity for pl in b_lines if pl.article_number == "DOCK-1") == [0, 1]
    assert {pl.confirmed_delivery for pl in b_lines if pl.article_number == "DOCK-1"} == {
        in_two_weeks + timedelta(days=3)
    }
    assert verify_chain().ok


def test_a_confirmed_purchase_order_is_confirmed_again_with_new_dates(world: Any) -> None:
    po = world.a.extra["ordering"]["po"]
    purchasing.do_confirm_purchase_order(po, "SO-1", actor=world.technician)  # by hand first
    po.refresh_from_db()
    first_confirmed = po.confirmed_at
    later = actions.today() + timedelta(days=30)
    purchasing.do_import_confirmations(
        _csv(f"{po.number};;LAP-14;1;{later}", f"{po.number};;DOCK-1;1;{later}"), "ny.csv", actor=world.technician
    )
    po.refresh_from_db()
    assert po.status == POStatus.CONFIRMED and po.confirmed_at == first_confirmed
    assert po.supplier_reference == "SO-1", "an empty reference leaves the one registered"
    assert set(PurchaseOrderLine.objects.filter(purchase_order=po).values_list("confirmed_delivery", flat=True)) == {
        later
    }
    # The supplier moves the laptop a week and names its new reference.
    purchasing.do_import_confirmations(
        _csv(f"{po.number};SO-2;LAP-14;1;{later + timedelta(days=7)}"), "igen.csv", actor=world.technician
    )
    po.refresh_from_db()
    lines = {pl.article_number: pl for pl in PurchaseOrderLine.objects.filter(purchase_order=po)}
    assert lines["LAP-14"].confirmed_delivery == later + timedelta(days=7)
    assert lines["DOCK-1"].confirmed_delivery == later, "a line the file leaves out keeps its date"
    assert po.supplier_reference == "SO-2" and po.status == POStatus.CONFIRMED
    event = AuditEvent.objects.filter(object_type="ordering.purchaseorder", object_id=str(po.pk)).latest("id")
    assert event.changes == {"supplier_reference": ["SO-1", "SO-2"]}
    assert event.extra["filename"] == "igen.csv"
    assert event.extra["rows"] == [
        {"row": 2, "article_number": "LAP-14", "quantity": 1, "delivery_date": str(later + timedelta(days=7))}
    ]


def test_an_xlsx_file_with_date_and_number_cells(world: Any) -> None:
    from openpyxl import Workbook

    po = world.a.extra["ordering"]["po"]
    day = actions.today() + timedelta(days=10)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Purchase_Order", "supplier_reference", "article_number", "quantity", "delivery_date"])
    sheet.append([po.number, "SO-X", "LAP-14", 1, day])
    sheet.append([po.number, "SO-X", "DOCK-1", 1.0, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    purchasing.do_import_confirmations(buffer.getvalue(), "ob.xlsx", actor=world.technician)
    lines = {pl.article_number: pl for pl in PurchaseOrderLine.objects.filter(purchase_order=po)}
    assert (lines["LAP-14"].confirmed_quantity, lines["LAP-14"].confirmed_delivery) == (1, day)
    assert (lines["DOCK-1"].confirmed_quantity, lines["DOCK-1"].confirmed_delivery) == (1, None)
    po.refresh_from_db()
    assert po.status == POStatus.CONFIRMED and po.supplier_reference == "SO-X"


def test_a_csv_file_with_old_line_ends_or_commas_is_read(world: Any) -> None:
    a_po, b_po = world.a.extra["ordering"]["po"], world.b.extra["ordering"]["po"]
    lone_cr = f"{HEADER}\r{a_po.number};SO-A;LAP-14;1;\r".encode()
    purchasing.do_import_confirmations(lone_cr, "ob.csv", actor=world.technician)
    commas = f"{HEADER.replace(';', ',')}\n{b_po.number},SO-B,DOCK-1,1,\n".encode("cp1252")
    purchasing.do_import_confirmations(commas, "ob.csv", actor=world.technician)
    assert set(PurchaseOrder.objects.filter(pk__in=[a_po.pk, b_po.pk]).values_list("status", flat=True)) == {
        POStatus.CONFIRMED
    }


def _delivered(world: Any) -> PurchaseOrder:
    po = _po(world)
    purchasing.do_register_delivery(po, [("LAP-14", "SN-OB-1"), ("DOCK-1", "")], actor=world.technician)
    po.refresh_from_db()
    assert po.status == POStatus.DELIVERED
    return po


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(["IO-999999;SO;LAP-14;1;"], "Row 2: purchase order IO-999999 is unknown.", id="unknown-po"),
        pytest.param(["IO-x;SO;LAP-14;1;"], "Row 2: purchase order IO-x is unknown.", id="malformed-po"),
        pytest.param([";SO;LAP-14;1;"], "Row 2: the purchase order number is missing.", id="no-po"),
        pytest.param(["{a};SO;MUS-9;1;"], "Row 2: article MUS-9 is not on purchase order {a}.", id="article"),
        pytest.param(["{a};SO;;1;"], "Row 2: the article number is missing.", id="no-article"),
        pytest.param(["{a};SO;LAP-14;0;"], "Row 2: the quantity 0 is not a positive whole number.", id="zero"),
        pytest.param(["{a};SO;LAP-14;-1;"], "Row 2: the quantity -1 is not a positive whole number.", id="negative"),
        pytest.param(["{a};SO;LAP-14;1.5;"], "Row 2: the quantity 1.5 is not a positive whole number.", id="fraction"),
        pytest.param(["{a};SO;LAP-14;två;"], "Row 2: the quantity två is not a positive whole number.", id="text"),
        pytest.param(["{a};SO;LAP-14;;"], "Row 2: the quantity – is not a positive whole number.", id="no-quantity"),
        pytest.param(
            ["{a};SO;LAP-14;2;"],
            "Row 2: the confirmed quantity 2 of article LAP-14 is more than ordered (1).",
            id="above",
        ),
        pytest.param(["{a};SO;LAP-14;1;2030-13-01"], "Row 2: 2030-13-01 is not a date (YYYY-MM-DD).", id="bad-date"),
        pytest.param(["{a};SO;LAP-14;1;01/02/2030"], "Row 2: 01/02/2030 is not a date (YYYY-MM-DD).", id="us-date"),
        pytest.param(
            ["{a};SO;LAP-14;1;2001-01-01"],
            "Row 2: the delivery date 2001-01-01 is before the purchase order was made",
            id="date-before-po",
        ),
        pytest.param(
            ["{a};SO;LAP-14;1;", "{a};SO;LAP-14;1;"],
            "Row 3: article LAP-14 of purchase order {a} is already confirmed on row 2.",
            id="twice",
        ),
        pytest.param(
            ["{a};SO-1;LAP-14;1;", "{a};SO-2;DOCK-1;1;"],
            "Row 3: purchase order {a} has two supplier's references: SO-1 (row 2) and SO-2.",
            id="two-references",
        ),
        pytest.param(
            ["{a};" + "R" * 101 + ";LAP-14;1;"],
            "Row 2: the supplier's reference is longer than 100 characters.",
            id="long-reference",
        ),
        pytest.param(
            ["{d};SO;LAP-14;1;"],
            "Row 2: purchase order {d} is delivered and can no longer be confirmed.",
            id="delivered",
        ),
    ],
)
def test_a_file_with_an_error_is_refused_whole_and_changes_nothing(world: Any, rows: list[str], expected: str) -> None:
    a_po = world.a.extra["ordering"]["po"]
    delivered = _delivered(world) if any("{d}" in r for r in rows) else None
    numbers = {"a": a_po.number, "d": delivered.number if delivered else ""}
    # A good row first: nothing of the file may be registered when another row is wrong.
    b_po = world.b.extra["ordering"]["po"]
    good = f"{b_po.number};SO-B;LAP-14;1;"
    content = _csv(*[r.format(**numbers) for r in rows], good)
    messages = _refused(content, world.technician)
    assert any(m.startswith(expected.format(**numbers)) for m in messages), messages


def test_every_error_is_listed_with_its_row_number(world: Any) -> None:
    a_po = world.a.extra["ordering"]["po"]
    content = _csv(
        f"{a_po.number};SO;LAP-14;1;",
        f"{a_po.number};SO;GONE-1;1;",
        "IO-0;SO;LAP-14;1;",
        f"{a_po.number};SO;DOCK-1;9;bad",
    )
    messages = _refused(content, world.technician)
    assert [m.split(":")[0] for m in messages] == ["Row 3", "Row 4", "Row 5", "Row 5"]
    assert len(messages) == 4


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", "The file is empty.", id="empty"),
        pytest.param(b"purchase_order;\x81\x8d\n", "The file is not readable text (CSV) or an Excel workbook (XLSX).", id="not-text"),
        pytest.param(b"PK\x03\x04broken", "The file could not be read as an Excel workbook (.xlsx).", id="broken-xlsx"),
        pytest.param(_csv(), "The file has no rows.", id="header-only"),
        pytest.param(b"purchase_order;article_number\nIO-1;LAP-14\n", "The file lacks the column(s): supplier_reference, quantity.", id="columns"),
    ],
)  # fmt: skip
def test_a_file_without_rows_or_columns_is_refused(world: Any, content: bytes, expected: str) -> None:
    filename = "ob.xlsx" if content.startswith(b"PK") else "ob.csv"
    assert _refused(content, world.technician, filename=filename) == [expected]


def test_another_owners_purchase_order_looks_exactly_like_an_unknown_one(world: Any) -> None:
    b_po = world.b.extra["ordering"]["po"]
    a_po = world.a.extra["ordering"]["po"]
    unknown = PurchaseOrder.objects.order_by("-id").first().pk + 1000  # type: ignore[union-attr]
    for user in (world.a.viewer, world.a.orderer, world.a.approver):
        messages = _refused(_csv(f"{b_po.number};SO;LAP-14;1;", f"IO-{unknown};SO;LAP-14;1;"), user)
        assert messages == [
            f"Row 2: purchase order {b_po.number} is unknown.",
            f"Row 3: purchase order IO-{unknown} is unknown.",
        ]
        # Their own owner's purchase order is known to them, but buying is the operator's.
        assert _refused(_csv(f"{a_po.number};SO;LAP-14;1;"), user) == [
            f"Row 2: you may not register confirmations for purchase order {a_po.number}."
        ]


def test_uploaded_for_one_purchase_order_every_row_must_be_its(world: Any) -> None:
    a_po, b_po = world.a.extra["ordering"]["po"], world.b.extra["ordering"]["po"]
    messages = _refused(
        _csv(f"{a_po.number};SO;LAP-14;1;", f"{b_po.number};SO;LAP-14;1;"), world.technician, purchase_order=a_po
    )
    assert messages == [f"Row 3: the row is for purchase order {b_po.number}, not {a_po.number}."]
    # Without the column every row is the purchase order's own.
    header = "supplier_reference;article_number;quantity"
    purchasing.do_import_confirmations(
        _csv("SO-7;LAP-14;1", "SO-7;DOCK-1;1", header=header), "ob.csv", actor=world.technician, purchase_order=a_po
    )
    a_po.refresh_from_db()
    assert a_po.status == POStatus.CONFIRMED and a_po.supplier_reference == "SO-7"
    # The column is required when the file is not uploaded for one purchase order.
    assert _refused(_csv("SO-7;LAP-14;1", header=header), world.technician) == [
        "The file lacks the column(s): purchase_order."
    ]


def test_query_count_does_not_grow_with_the_rows(world: Any) -> None:
    pos = [_po(world) for _i in range(11)]

    def queries(content: bytes) -> int:
        actor = User.objects.get(pk=world.technician.pk)  # its role lookup counted each time
        with CaptureQueriesContext(connection) as ctx:
            purchasing.do_import_confirmations(content, "ob.csv", actor=actor)
        return len(ctx.captured_queries)

    day = actions.today() + timedelta(days=5)
    two = queries(_csv(*(f"{pos[0].number};SO-0;{a};1;{day}" for a in ("LAP-14", "DOCK-1"))))
    twenty = queries(_csv(*(f"{po.number};SO-{po.pk};{a};1;{day}" for po in pos[1:] for a in ("LAP-14", "DOCK-1"))))
    assert PurchaseOrder.objects.filter(pk__in=[p.pk for p in pos], status=POStatus.CONFIRMED).count() == 11
    assert twenty == two


# --- pages -------------------------------------------------------------------------------------


def test_upload_from_the_purchase_order_page(world: Any, web: Any) -> None:
    po = world.a.extra["ordering"]["po"]
    client = web(world.technician)
    page = client.get(po.get_absolute_url()).content.decode()
    assert "Registrera bekräftelse från fil" in page and reverse("purchaseorder_confirm_file", args=[po.pk]) in page
    url = reverse("purchaseorder_confirm_file", args=[po.pk])
    # A wrong file: the error summary lists each row's error, in Swedish; nothing is registered.
    bad = SimpleUploadedFile("ob.csv", _csv(f"{po.number};SO;LAP-14;5;", header=HEADER))
    response = client.post(url, {"file": bad})
    text = response.content.decode()
    assert response.status_code == 200 and "sd-error-summary" in text
    assert "Rad 2: bekräftat antal 5 av artikel LAP-14 är mer än beställt (1)." in text
    po.refresh_from_db()
    assert po.status == POStatus.SENT
    # A good one, without the purchase_order column, from the page.
    day = actions.today() + timedelta(days=9)
    good = SimpleUploadedFile(
        "ob.csv", _csv(f"SO-9;LAP-14;1;{day}", header="supplier_reference;article_number;quantity;delivery_date")
    )
    response = client.post(url, {"file": good})
    assert response.status_code == 302 and response["Location"] == po.get_absolute_url()
    po.refresh_from_db()
    assert po.status == POStatus.CONFIRMED and po.supplier_reference == "SO-9"
    page = client.get(po.get_absolute_url()).content.decode()
    assert "1 inköpsorder bekräftad." in page
    assert "Förväntad leverans" in page and day.isoformat() in page


def test_import_page_on_the_purchase_order_list(world: Any, web: Any) -> None:
    a_po, b_po = world.a.extra["ordering"]["po"], world.b.extra["ordering"]["po"]
    client = web(world.technician)
    url = reverse("purchaseorder_confirmations")
    assert url in client.get(reverse("purchaseorder_list")).content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {"file": SimpleUploadedFile("ob.csv", _csv("IO-0;SO;LAP-14;1;"))})
    assert response.status_code == 200 and "sd-error-summary" in response.content.decode()
    assert "Rad 2: inköpsorder IO-0 är okänd." in response.content.decode()
    content = _csv(f"{a_po.number};SO-A;LAP-14;1;", f"{b_po.number};SO-B;DOCK-1;1;")
    response = client.post(url, {"file": SimpleUploadedFile("ob.csv", content)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("purchaseorder_list")
    assert "2 inköpsordrar bekräftade." in response.content.decode()


def test_owner_users_may_not_use_the_confirmation_pages(world: Any, web: Any) -> None:
    a_po = world.a.extra["ordering"]["po"]
    content = _csv(f"{a_po.number};SO;LAP-14;1;")
    for user in (world.a.viewer, world.a.orderer, world.a.approver, world.agent):
        client = web(user)
        list_page = client.get(reverse("purchaseorder_list"))
        assert reverse("purchaseorder_confirmations") not in list_page.content.decode()
        assert client.get(reverse("purchaseorder_confirmations")).status_code in {403, 404}
        upload = SimpleUploadedFile("ob.csv", content)
        assert client.post(reverse("purchaseorder_confirmations"), {"file": upload}).status_code in {403, 404}
        upload = SimpleUploadedFile("ob.csv", content)
        assert client.post(reverse("purchaseorder_confirm_file", args=[a_po.pk]), {"file": upload}).status_code in {
            403,
            404,
        }
    a_po.refresh_from_db()
    assert a_po.status == POStatus.SENT


# --- API ---------------------------------------------------------------------------------------


def test_confirmations_through_the_api(world: Any, api: Any) -> None:
    a_po, b_po = world.a.extra["ordering"]["po"], world.b.extra["ordering"]["po"]
    day = actions.today() + timedelta(days=3)
    url = "/api/v1/ordering/purchase-orders/confirmations/"
    rest = api(world.technician)
    bad = rest.post(url, {"file": SimpleUploadedFile("ob.csv", _csv(f"{a_po.number};SO;LAP-14;3;"))})
    assert bad.status_code == 400 and bad.json()["non_field_errors"][0].startswith("Rad 2: ")  # Swedish first
    assert rest.post(url, {}).status_code == 400
    content = _csv(f"{a_po.number};SO-A;LAP-14;1;{day}", f"{b_po.number};SO-B;DOCK-1;1;")
    response = rest.post(url, {"file": SimpleUploadedFile("ob.csv", content)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lines"] == 2 and [p["id"] for p in body["purchase_orders"]] == sorted([a_po.pk, b_po.pk])
    (laptop,) = [ln for ln in body["purchase_orders"][0]["lines"] if ln["article_number"] == "LAP-14"]
    assert laptop["confirmed_quantity"] == 1 and laptop["confirmed_delivery"] == day.isoformat()
    # Owner users may not; another owner's number is unknown to them anyway.
    assert api(world.a.viewer).post(url, {"file": SimpleUploadedFile("ob.csv", content)}).status_code == 403
    # The purchase order's own confirm takes a file too (then the purchase_order column may be left out).
    po = _po(world)
    detail = f"/api/v1/ordering/purchase-orders/{po.pk}/confirm/"
    header = "supplier_reference;article_number;quantity;delivery_date"
    response = rest.post(detail, {"file": SimpleUploadedFile("ob.csv", _csv(f"SO-C;LAP-14;1;{day}", header=header))})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed" and response.json()["supplier_reference"] == "SO-C"
    assert {ln["confirmed_delivery"] for ln in response.json()["lines"] if ln["article_number"] == "LAP-14"} == {
        day.isoformat()
    }
    wrong = rest.post(detail, {"file": SimpleUploadedFile("ob.csv", _csv(f"{a_po.number};SO;LAP-14;1;"))})
    assert wrong.status_code == 400 and f"inte {po.number}" in wrong.json()["non_field_errors"][0]
    assert api(world.b.approver).post(detail, {"file": SimpleUploadedFile("ob.csv", b"x")}).status_code == 404
    # By reference, as before.
    other = _po(world)
    response = rest.post(
        f"/api/v1/ordering/purchase-orders/{other.pk}/confirm/", {"supplier_reference": "SO-D"}, format="json"
    )
    assert response.status_code == 200 and response.json()["supplier_reference"] == "SO-D"


def test_purchase_order_numbers_are_read_as_shown() -> None:
    assert purchasing.parse_po_number("IO-12") == 12
    assert purchasing.parse_po_number(" io-12 ") == 12
    assert purchasing.parse_po_number("12") == 12
    assert purchasing.parse_po_number("IO-") is None
    assert purchasing.parse_po_number("B-12") is None
    assert purchasing.parse_po_number("IO-" + "9" * 30) is None  # no overflow in the query
    _ = date


# --- the dry run ("Check the file") ------------------------------------------------------------


def _rows(result: purchasing.ConfirmationResult) -> list[tuple[Any, ...]]:
    return [
        (r.row, r.purchase_order, r.article_number, r.quantity, r.delivery_date, r.status, r.outcome, r.errors)
        for r in result.rows
    ]


def test_a_dry_run_of_a_good_file_reports_every_row_and_changes_nothing(world: Any) -> None:
    a_po, b_po = world.a.extra["ordering"]["po"], world.b.extra["ordering"]["po"]
    purchasing.do_confirm_purchase_order(b_po, "SO-B", actor=world.technician)  # confirmed once already
    day = actions.today() + timedelta(days=12)
    content = _csv(f"{a_po.number};SO-A;LAP-14;1;{day}", f"{a_po.number};SO-A;DOCK-1;1;", f"{b_po.number};;LAP-14;1;")
    before = _snapshot()
    with translation.override("en"):
        result = purchasing.do_import_confirmations(content, "ob.csv", actor=world.technician, dry_run=True)
    assert _snapshot() == before, "a dry run changed something"
    assert result.dry_run and result.errors == [] and result.error_count == 0
    assert result.purchase_orders == [] and result.filename == "ob.csv"
    assert _rows(result) == [
        (2, a_po.number, "LAP-14", 1, day, "ok", f"confirms {a_po.number}", []),
        (3, a_po.number, "DOCK-1", 1, None, "ok", f"confirms {a_po.number}", []),
        (4, b_po.number, "LAP-14", 1, None, "ok", f"confirms {b_po.number} again with new dates", []),
    ]
    # The real import after the dry run registers the file.
    with translation.override("en"):
        real = purchasing.do_import_confirmations(content, "ob.csv", actor=world.technician)
    assert real.purchase_orders == sorted([a_po.pk, b_po.pk]) and not real.dry_run
    assert _rows(real) == _rows(result), "the import did what its dry run said"
    a_po.refresh_from_db()
    assert a_po.status == POStatus.CONFIRMED and a_po.supplier_reference == "SO-A"
    assert AuditEvent.objects.count() == before[-1] + 2
    assert verify_chain().ok


def test_a_dry_run_of_a_bad_file_reports_every_row_with_its_errors(world: Any) -> None:
    a_po, b_po = world.a.extra["ordering"]["po"], world.b.extra["ordering"]["po"]
    content = _csv(
        f"{a_po.number};SO;LAP-14;1;",
        f"{a_po.number};SO;GONE-1;1;",
        "IO-0;SO;LAP-14;1;",
        f"{a_po.number};SO;DOCK-1;två;bad",
        f"{b_po.number};SO-B;DOCK-1;1;",
    )
    before = _snapshot()
    with translation.override("en"):
        result = purchasing.do_import_confirmations(content, "ob.csv", actor=world.technician, dry_run=True)
    assert _snapshot() == before, "a dry run changed something"
    assert _rows(result) == [
        (2, a_po.number, "LAP-14", 1, None, "ok", f"confirms {a_po.number}", []),
        (3, a_po.number, "GONE-1", 1, None, "error", "", [f"article GONE-1 is not on purchase order {a_po.number}."]),
        (4, "IO-0", "LAP-14", 1, None, "error", "", ["purchase order IO-0 is unknown."]),
        (5, a_po.number, "DOCK-1", None, None, "error", "", [
            "the quantity två is not a positive whole number.", "bad is not a date (YYYY-MM-DD).",
        ]),
        (6, b_po.number, "DOCK-1", 1, None, "ok", f"confirms {b_po.number}", []),
    ]  # fmt: skip
    assert result.error_count == 3
    # The dry run lists the errors the real import refuses the file with.
    assert result.errors == _refused(content, world.technician)
    assert [e.split(":")[0] for e in result.errors] == ["Row 3", "Row 4", "Row 5", "Row 5"]


def test_a_dry_run_refuses_a_file_it_cannot_read_and_knows_no_other_owners_orders(world: Any) -> None:
    with translation.override("en"), pytest.raises(ValidationError, match="The file has no rows"):
        purchasing.do_import_confirmations(_csv(), "ob.csv", actor=world.technician, dry_run=True)
    b_po = world.b.extra["ordering"]["po"]
    a_po = world.a.extra["ordering"]["po"]
    before = _snapshot()
    with translation.override("en"):
        result = purchasing.do_import_confirmations(
            _csv(f"{b_po.number};SO;LAP-14;1;", f"{a_po.number};SO;LAP-14;1;"), "ob.csv", actor=world.a.viewer,
            dry_run=True,
        )  # fmt: skip
    assert [r.errors for r in result.rows] == [
        [f"purchase order {b_po.number} is unknown."],
        [f"you may not register confirmations for purchase order {a_po.number}."],
    ]
    assert _snapshot() == before


def test_a_dry_run_costs_the_same_queries_however_long_the_file(world: Any) -> None:
    pos = [_po(world) for _i in range(6)]

    def queries(content: bytes) -> int:
        actor = User.objects.get(pk=world.technician.pk)
        with CaptureQueriesContext(connection) as ctx:
            purchasing.do_import_confirmations(content, "ob.csv", actor=actor, dry_run=True)
        return len(ctx.captured_queries)

    two = queries(_csv(*(f"{pos[0].number};SO;{a};1;" for a in ("LAP-14", "DOCK-1"))))
    ten = queries(_csv(*(f"{po.number};SO;{a};1;" for po in pos[1:] for a in ("LAP-14", "DOCK-1"))))
    assert ten == two


def test_check_the_file_on_the_import_page_then_register_it(world: Any, web: Any) -> None:
    a_po, b_po = world.a.extra["ordering"]["po"], world.b.extra["ordering"]["po"]
    client = web(world.technician)
    url = reverse("purchaseorder_confirmations")
    page = client.get(url).content.decode()
    assert 'name="dry_run"' in page and "Kontrollera filen" in page and "sidan kan inte behålla filen" in page
    bad = _csv(f"{a_po.number};SO-A;LAP-14;1;", "IO-0;SO;LAP-14;1;", f"{b_po.number};SO-B;DOCK-1;7;")
    before = _snapshot()
    response = client.post(url, {"file": SimpleUploadedFile("ob.csv", bad), "dry_run": "1"})
    text = response.content.decode()
    assert response.status_code == 200 and _snapshot() == before
    assert "Kontroll av ob.csv" in text and "<caption" in text and '<th scope="row">4</th>' in text
    assert "sd-error-summary" in text and '<a href="#report-row-3">Rad 3: inköpsorder IO-0 är okänd.</a>' in text
    assert 'id="report-row-4" class="table-danger"' in text and "bekräftat antal 7 av artikel DOCK-1" in text
    assert f"Bekräftar {a_po.number}" in text and "3 rader kontrollerade, 2 med fel." in text
    # A good file: every row ok, and the page says how to register it.
    good = _csv(f"{a_po.number};SO-A;LAP-14;1;", f"{b_po.number};SO-B;DOCK-1;1;")
    response = client.post(url, {"file": SimpleUploadedFile("ob.csv", good), "dry_run": "1"})
    text = response.content.decode()
    assert response.status_code == 200 and "sd-error-summary" not in text and _snapshot() == before
    assert "Filen har inga fel" in text and text.count("text-bg-success") == 2
    # Uploaded again with the register button, the file is registered.
    response = client.post(url, {"file": SimpleUploadedFile("ob.csv", good)})
    assert response.status_code == 302
    assert set(PurchaseOrder.objects.filter(pk__in=[a_po.pk, b_po.pk]).values_list("status", flat=True)) == {
        POStatus.CONFIRMED
    }


def test_check_the_file_from_the_purchase_order_page(world: Any, web: Any) -> None:
    po = world.a.extra["ordering"]["po"]
    client = web(world.technician)
    page = client.get(po.get_absolute_url()).content.decode()
    assert page.count('name="dry_run"') == 2, "both file forms (confirmation and delivery) can be checked"
    url = reverse("purchaseorder_confirm_file", args=[po.pk])
    header = "supplier_reference;article_number;quantity"
    before = _snapshot()
    response = client.post(
        url, {"file": SimpleUploadedFile("ob.csv", _csv("SO;LAP-14;1", header=header)), "dry_run": "1"}
    )
    text = response.content.decode()
    assert response.status_code == 200 and _snapshot() == before
    assert f"Bekräftar {po.number}" in text and "Filen har inga fel" in text
    # Owner users may not check either.
    upload = SimpleUploadedFile("ob.csv", _csv("SO;LAP-14;1", header=header))
    assert web(world.a.viewer).post(url, {"file": upload, "dry_run": "1"}).status_code in {403, 404}


def test_a_dry_run_through_the_api(world: Any, api: Any) -> None:
    a_po, b_po = world.a.extra["ordering"]["po"], world.b.extra["ordering"]["po"]
    url = "/api/v1/ordering/purchase-orders/confirmations/"
    rest = api(world.technician)
    bad = _csv(f"{a_po.number};SO;LAP-14;1;", f"{a_po.number};SO;LAP-14;5;")
    before = _snapshot()
    response = rest.post(url, {"file": SimpleUploadedFile("ob.csv", bad), "dry_run": "true"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True and body["ok"] is False and body["error_count"] == 1
    assert [(r["row"], r["status"]) for r in body["rows"]] == [(2, "ok"), (3, "error")]
    assert body["rows"][0] == {
        "row": 2, "purchase_order": a_po.number, "article_number": "LAP-14", "quantity": 1, "delivery_date": None,
        "status": "ok", "outcome": f"bekräftar {a_po.number}", "errors": [],
    }  # fmt: skip
    assert body["rows"][1]["errors"] == [f"artikel LAP-14 på inköpsorder {a_po.number} bekräftas redan på rad 2."]
    assert body["errors"] == [f"Rad 3: artikel LAP-14 på inköpsorder {a_po.number} bekräftas redan på rad 2."]
    assert _snapshot() == before
    good = _csv(f"{a_po.number};SO-A;LAP-14;1;", f"{b_po.number};SO-B;DOCK-1;1;")
    response = rest.post(url, {"file": SimpleUploadedFile("ob.csv", good), "dry_run": "true"})
    assert response.status_code == 200 and response.json()["ok"] is True and _snapshot() == before
    # Without dry_run the same file is registered, as before.
    response = rest.post(url, {"file": SimpleUploadedFile("ob.csv", good)})
    assert response.status_code == 200 and response.json()["lines"] == 2
    # The purchase order's own confirm checks a file too; a dry run without a file is refused.
    po = _po(world)
    detail = f"/api/v1/ordering/purchase-orders/{po.pk}/confirm/"
    header = "supplier_reference;article_number;quantity"
    before = _snapshot()
    response = rest.post(
        detail, {"file": SimpleUploadedFile("ob.csv", _csv("SO;LAP-14;1", header=header)), "dry_run": "true"}
    )
    assert response.status_code == 200 and response.json()["rows"][0]["outcome"] == f"bekräftar {po.number}"
    assert rest.post(detail, {"dry_run": True}, format="json").status_code == 400
    assert _snapshot() == before
    assert (
        api(world.a.viewer).post(url, {"file": SimpleUploadedFile("ob.csv", good), "dry_run": "true"}).status_code
        == 403
    )


def test_the_orderer_and_the_recipient_see_the_expected_delivery(world: Any, web: Any) -> None:
    a = world.a
    po = _po(world)
    day = actions.today() + timedelta(days=9)
    purchasing.do_import_confirmations(
        _csv(f"{po.number};SO-9;LAP-14;1;{day}", f"{po.number};SO-9;DOCK-1;1;{day}"), "ob.csv", actor=world.technician
    )
    order_page = web(a.orderer).get(reverse("order_detail", args=[po.order_id])).content.decode()
    assert f"förväntad leverans {day:%Y-%m-%d}" in order_page
    # "My orders" (the orderer's lines here; a recipient's own for a user with a person) has a column.
    mine = web(a.orderer).get(reverse("my_order_lines")).content.decode()
    assert "Förväntad leverans" in mine and f"{day:%Y-%m-%d}" in mine
