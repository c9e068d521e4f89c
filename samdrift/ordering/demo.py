"""Demo data for ordering: a supplier and its framework agreement with a price list, the service
catalogue and three client packages, approvers, and orders of the demo owners in every stage,
made through the actions (so the audit trail, assets and billing rows are real). Runs after the
assets and service-desk demos and before billing's."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from samdrift.ordering.models import Order, OrderLine, PurchaseOrder, Supplier

PRICE_LIST = """article_number;description;unit;category;unit_price
20XW-14G;Bärbar dator 14 tum, 16 GB, 512 GB;st;laptop;9450,00
20XW-16G;Bärbar dator 16 tum, 32 GB, 1 TB;st;laptop;13900,00
CB-11E;Chromebook 11 tum, utbildning;st;chromebook;3290,00
DOCK-USBC;Dockningsstation USB-C;st;accessory;1590,00
MON-24;Bildskärm 24 tum;st;monitor;1890,00
PH-A15;Mobiltelefon, mellanklass;st;phone;3490,00
HS-BT;Headset Bluetooth;st;accessory;890,00
"""


def is_loaded() -> bool:
    return Supplier.objects.filter(name="Nordisk IT-leverans AB").exists()


def _user(username: str) -> Any:
    from samdrift.tenancy.models import User

    return User.objects.filter(username=username).first()


def _model(category: str, name: str) -> Any:
    from samdrift.assets import actions as asset_actions
    from samdrift.assets.models import AssetModel, Manufacturer

    found = AssetModel.objects.filter(category=category, active=True).order_by("id").first()
    if found is not None:
        return found
    maker = Manufacturer.objects.filter(name="Lenovo").first() or asset_actions.do_create_manufacturer(
        {"name": "Lenovo"}, actor=None
    )
    return asset_actions.do_create_asset_model({"manufacturer": maker, "name": name, "category": category}, actor=None)


def load_app_demo() -> dict[str, int]:
    """The `samdrift demo` hook. Does nothing when loaded already or the demo owners are missing."""
    from samdrift.tenancy.models import Owner

    if is_loaded():
        return {}
    owners = list(Owner.objects.filter(active=True).order_by("id")[:3])
    admin, tech = _user("admin"), _user("tekniker")
    if not owners or admin is None or tech is None:
        return {}
    with transaction.atomic():
        return _load(owners, admin, tech)


def _load(owners: list[Any], admin: Any, tech: Any) -> dict[str, int]:
    from samdrift.assets import actions as asset_actions
    from samdrift.billing import actions as billing_actions
    from samdrift.billing.models import Article
    from samdrift.ordering import actions, imports, purchasing
    from samdrift.tenancy.demo import fictitious_orgnr
    from samdrift.tenancy.models import CostCentre, Person

    today = timezone.localdate()
    supplier = actions.do_create_supplier(
        {
            "name": "Nordisk IT-leverans AB",
            "org_number": fictitious_orgnr(990),
            "contact_name": "Orderavdelningen",
            "email": "order@nordisk-it.example",
            "channel": "email",
            "attachment_format": "xlsx",
        },
        actor=admin,
    )
    start = date(today.year - 2, 3, 1)
    agreement = actions.do_create_agreement(
        {
            "reference": f"SAM-{start.year}-017",
            "name": "Klientdatorer, telefoner och tillbehör",
            "supplier": supplier,
            "parties": owners,
            "start": start,
            "end": date(start.year + 3, 2, 28),
            "extension_options": 1,
            "max_value": Decimal("60000000"),
            "call_off_method": "direct",
            "responsible": admin,
            "awarded": start - timedelta(days=40),
            "handling_fee_percent": Decimal("4"),
        },
        actor=admin,
    )
    imp = imports.do_check_price_list(agreement, PRICE_LIST.encode(), "prislista-2024.csv", start, actor=admin)
    imports.do_apply_price_list(imp, actor=admin)

    def article(code: str, name: str, unit: str, account: str) -> Article:
        return Article.objects.filter(code=code).first() or billing_actions.do_create_article(
            {"code": code, "name": name, "unit_code": unit, "revenue_account": account}, actor=None
        )

    hw = article("ORD-HARDVARA", "Hårdvara via ramavtal", "C62", "3045")
    client_art = article("ORD-KLIENT", "Klienttjänst", "MON", "3011")
    setup_art = article("ORD-INSTALL", "Installation", "C62", "3041")
    storage_art = article("ORD-LAGRING", "Lagring", "E34", "3031")  # E34 gigabyte (GB: gallon per day)
    hour_art = article("ORD-TIMME", "Konsulttimme", "HUR", "3051")
    svc = {}
    for code, name, kind, unit, price, art, sla, roles in [
        ("KLIENT-PERS", "Klienttjänst personal", "monthly", "månad", "395", client_art, "Fel åtgärdas inom 8 kontorstimmar", ["orderer"]),
        ("KLIENT-ELEV", "Klienttjänst elev", "monthly", "månad", "89", client_art, "Fel åtgärdas inom 2 skoldagar", ["orderer"]),
        ("MOBIL", "Mobilhantering", "monthly", "månad", "45", client_art, "Spärr inom 1 timme", ["orderer"]),
        ("INSTALL", "Installation och uppsättning", "one_time", "st", "650", setup_art, "", ["orderer"]),
        ("LAGRING", "Lagring", "metered", "GB-månad", "0.85", storage_art, "Tillgänglighet 99,5 %", ["orderer", "approver"]),
        ("KONSULT", "Konsulttimme", "hourly", "timme", "950", hour_art, "", ["orderer", "approver"]),
    ]:  # fmt: skip
        svc[code] = actions.do_create_service(
            {"code": code, "name": name, "kind": kind, "unit": unit, "billing_article": art, "sla": sla,
             "orderable_by": roles, "price": Decimal(price), "price_from": start},
            actor=admin,
        )  # fmt: skip
    laptop, chromebook, phone = (
        _model("laptop", "ThinkPad T14"),
        _model("chromebook", "Chromebook 100e"),
        _model("phone", "Mobiltelefon A15"),
    )
    packages = {}
    for code, name, desc, lines in [
        ("MEDARBETARDATOR", "Medarbetardator", "Bärbar dator med docka, installation och klienttjänst.",
         [("20XW-14G", laptop), ("DOCK-USBC", None), ("INSTALL", None), ("KLIENT-PERS", None)]),
        ("ELEV-CHROMEBOOK", "Elev-Chromebook", "Chromebook för elever med klienttjänst.",
         [("CB-11E", chromebook), ("KLIENT-ELEV", None)]),
        ("MOBIL", "Mobiltelefon", "Telefon med headset och mobilhantering.",
         [("PH-A15", phone), ("HS-BT", None), ("MOBIL", None)]),
    ]:  # fmt: skip
        package = actions.do_create_package({"code": code, "name": name, "description": desc}, actor=admin)
        for ref, model in lines:
            if ref in svc:
                actions.do_add_package_line(package, {"service": svc[ref]}, actor=admin)
            else:
                actions.do_add_package_line(
                    package,
                    {"agreement": agreement, "article_number": ref, "asset_model": model, "billing_article": hw},
                    actor=admin,
                )
        packages[code] = package

    counts = {"suppliers": 1, "agreements": 1, "articles": 7, "services": len(svc), "packages": len(packages)}
    logins = [("horby.bestallare", "horby.attest"), ("hoor.bestallare", "hoor.attest")]
    orders = 0
    serial = 0
    for owner, (orderer_name, approver_name) in zip(owners, logins, strict=False):
        orderer, approver = _user(orderer_name), _user(approver_name)
        if orderer is None or approver is None:
            continue
        centres = list(CostCentre.objects.filter(owner=owner, active=True).order_by("code")[:3])
        if not centres:
            continue
        for centre in centres:
            actions.do_create_approver(
                {"owner": owner, "cost_centre": centre, "user": approver, "level": 1, "limit": Decimal("50000")},
                actor=admin,
            )
        actions.do_create_approver({"owner": owner, "user": approver, "level": 2}, actor=admin)
        site = asset_actions.do_create_site(
            {"owner": owner, "name": f"Kommunhuset {owner.name}", "city": owner.name}, actor=admin
        )
        people = list(Person.objects.filter(owner=owner, active=True, kind="employee").order_by("id")[:12])
        pupils = list(Person.objects.filter(owner=owner, active=True, kind="pupil").order_by("id")[:4])
        stages = [
            "handed_over",
            "handed_over",
            "delivered",
            "confirmed",
            "ordered",
            "approved",
            "submitted",
            "rejected",
        ]
        for i, stage in enumerate(stages):
            if i >= len(people):
                break
            package = packages["MOBIL"] if i % 3 == 2 else packages["MEDARBETARDATOR"]
            recipients = [people[i]]
            if stage == "ordered" and pupils:
                package, recipients = packages["ELEV-CHROMEBOOK"], pupils[:2]
            order = actions.do_create_order(
                {"cost_centre": centres[i % len(centres)], "delivery_site": site, "note": "Ny medarbetare"},
                [actions.OrderItem(recipients=recipients, package=package)],
                actor=orderer,
            )
            orders += 1
            if stage == "submitted":
                continue
            if stage == "rejected":
                actions.do_reject_order(order, "Budget saknas i år", actor=approver)
                continue
            actions.do_approve_order(order, actor=approver)
            if stage == "approved":
                continue
            purchasing.bulk_create_purchase_orders(Order.objects.filter(pk=order.pk), actor=tech, send=False)
            if stage == "ordered":
                continue
            for po in PurchaseOrder.objects.filter(order=order):
                purchasing.do_confirm_purchase_order(po, f"SO-{po.pk:05d}", actor=tech)
                if stage == "confirmed":
                    continue
                units = []
                for line in po.lines.all():
                    for _n in range(line.quantity):
                        serial += 1
                        units.append((line.article_number, f"DEMO{serial:06d}" if line.asset_model_id else ""))
                purchasing.do_register_delivery(po, units, actor=tech, delivered_on=today)
            if stage == "handed_over":
                for order_line in OrderLine.objects.filter(order=order):
                    purchasing.do_hand_over_line(order_line, actor=tech)
            # Simulated history: spread the stages over past days so the lead-time report has
            # something to show (demo data only; real timestamps are set by the actions).
            _backdate(order, days_ago=20 + 9 * i)
    counts["orders"] = orders
    return counts


def _backdate(order: Order, *, days_ago: int) -> None:
    now = timezone.now()
    base = now - timedelta(days=days_ago)
    offsets = {
        "submitted_at": 0,
        "approved_at": 1,
        "ordered_at": 2,
        "confirmed_at": 3,
        "delivered_at": 9,
        "handed_over_at": 11,
    }
    for line in OrderLine.objects.filter(order=order):
        changes = {
            name: min(now, base + timedelta(days=offset + line.pk % 3))
            for name, offset in offsets.items()
            if getattr(line, name) is not None
        }
        OrderLine.objects.filter(pk=line.pk).update(**changes)
    Order.objects.filter(pk=order.pk).update(submitted_at=base)
