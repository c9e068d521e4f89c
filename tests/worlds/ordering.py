"""Ordering rows: one supplier, agreement, price list, services and a package shared by both
owners (operator data, no owner marker in it), and per owner an approver, an order awaiting
approval and one approved and sent to the supplier, so that the isolation test tries every
ordering route with owner B's rows. Nothing is delivered here (deliveries start billing, which
billing's own tests count); tests/ordering delivers in its own tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from samdrift.assets import actions as asset_actions
from samdrift.billing import actions as billing_actions
from samdrift.ordering import actions, imports, purchasing
from samdrift.ordering.models import Order, PurchaseOrder

PRICE_CSV = (
    "article_number;description;unit;category;unit_price\n"
    "LAP-14;Laptop 14 tum;st;laptop;9000,00\n"
    "DOCK-1;Dockningsstation;st;accessory;1500\n"
)


def build_catalogue(world: Any) -> dict[str, Any]:
    admin = world.admin
    supplier = actions.do_create_supplier(
        {
            "name": "Ramleverantören AB",
            "org_number": "5560360793",
            "email": "order@leverantor.example",
            "channel": "email",
        },
        actor=admin,
    )
    today = actions.today()
    agreement = actions.do_create_agreement(
        {
            "reference": "RA-2025-1",
            "name": "Klientdatorer",
            "supplier": supplier,
            "parties": [world.a.owner, world.b.owner],
            "start": today - timedelta(days=365),
            "end": today + timedelta(days=3 * 365),
            "extension_options": 2,
            "max_value": Decimal("5000000"),
            "responsible": admin,
            "handling_fee_percent": Decimal("5"),
        },
        actor=admin,
    )
    imp = imports.do_check_price_list(agreement, PRICE_CSV.encode(), "prislista.csv", agreement.start, actor=admin)
    imports.do_apply_price_list(imp, actor=admin)
    imp.refresh_from_db()  # the isolation test compares the stored row with this object
    maker = asset_actions.do_create_manufacturer({"name": "Ramtillverkare"}, actor=admin)
    model = asset_actions.do_create_asset_model(
        {"manufacturer": maker, "name": "Ramdator 14", "category": "laptop"}, actor=admin
    )
    article = billing_actions.do_create_article(
        {"code": "ORD-HW", "name": "Hårdvara via ramavtal", "unit_code": "C62", "revenue_account": "3020"},
        actor=world.finance,
    )
    monthly_article = billing_actions.do_create_article(
        {"code": "ORD-KLIENT", "name": "Klienttjänst", "unit_code": "MON", "revenue_account": "3010"},
        actor=world.finance,
    )
    service = actions.do_create_service(
        {"code": "KLIENT", "name": "Klienttjänst", "kind": "monthly", "unit": "månad", "sla": "Åtgärd inom 8 timmar",
         "billing_article": monthly_article, "price": Decimal("250"), "price_from": agreement.start},
        actor=admin,
    )  # fmt: skip
    setup = actions.do_create_service(
        {"code": "UPPSTART", "name": "Installation", "kind": "one_time", "billing_article": article,
         "price": Decimal("400"), "price_from": agreement.start},
        actor=admin,
    )  # fmt: skip
    package = actions.do_create_package({"code": "LAPTOP", "name": "Medarbetardator"}, actor=admin)
    laptop_line = actions.do_add_package_line(
        package,
        {"agreement": agreement, "article_number": "LAP-14", "asset_model": model, "billing_article": article},
        actor=admin,
    )
    actions.do_add_package_line(
        package, {"agreement": agreement, "article_number": "DOCK-1", "billing_article": article}, actor=admin
    )
    actions.do_add_package_line(package, {"service": service}, actor=admin)
    actions.do_add_package_line(package, {"service": setup}, actor=admin)
    return {
        "supplier": supplier, "agreement": agreement, "price_import": imp, "asset_model": model, "article": article,
        "monthly_article": monthly_article, "service": service, "setup": setup, "package": package,
        "package_line": laptop_line,
    }  # fmt: skip


def _owner_rows(world: Any, ow: Any, cat: dict[str, Any]) -> None:
    m = ow.marker
    approver = actions.do_create_approver(
        {"owner": ow.owner, "cost_centre": ow.cost_centre, "user": ow.approver, "level": 1, "limit": Decimal("50000")},
        actor=world.admin,
    )
    site = asset_actions.do_create_site({"owner": ow.owner, "name": f"Leveransplats {m}"}, actor=world.admin)
    waiting = actions.do_create_order(
        {"cost_centre": ow.cost_centre, "delivery_site": site, "note": f"Väntar {m}"},
        [actions.OrderItem(recipients=[ow.employee], package=cat["package"])],
        actor=ow.orderer,
    )
    sent = actions.do_create_order(
        {"cost_centre": ow.cost_centre, "delivery_address": f"Gatan 1 {m}"},
        [actions.OrderItem(recipients=[ow.employee], package=cat["package"])],
        actor=ow.orderer,
    )
    actions.do_approve_order(sent, actor=ow.approver)
    purchasing.bulk_create_purchase_orders(Order.objects.filter(pk=sent.pk), actor=world.technician)
    ow.extra["ordering"] = {
        "approver": approver,
        "site": site,
        "waiting": waiting,
        "sent": Order.objects.get(pk=sent.pk),
        "po": PurchaseOrder.objects.get(order=sent),
        "line": waiting.lines.get(),
    }


def extend(world: Any) -> None:
    cat = build_catalogue(world)
    world.extra["ordering"] = cat
    for ow in (world.a, world.b):
        _owner_rows(world, ow, cat)
    # Operator-level rows, for the isolation test's routes taken by <pk> (owner users never see them).
    for key in ("supplier", "agreement", "price_import", "service", "package", "package_line"):
        world.b.extra[f"ordering_{key}"] = cat[key]
    _ = date
