"""Assets demo data for the demo owners: the catalogue (CO2e from the reference file), sites,
about 8,000 devices with their assignment history, licences with seats and installations,
public Wi-Fi zones and a few devices waiting in triage.

Set-based: the devices, their assignments and their audit events are written with bulk_create
and record_events, so the whole load takes seconds on SQLite.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from samdrift.assets import actions, licences, wifi
from samdrift.assets.models import (
    Asset,
    AssetAssignment,
    AssetStatus,
    InstalledSoftware,
    Manufacturer,
    TriageDevice,
    WifiStandardItem,
)
from samdrift.core.audit import PendingEvent, record_events
from samdrift.core.roles import SYSTEM_ROLE
from samdrift.tenancy.models import CostCentre, OrgUnit, Owner, Person, PersonKind

TOTAL_ASSETS = 8_000
# manufacturer, aliases, model, category, lifetime (months), list price (SEK), share of the fleet
CATALOGUE = [
    ("Lenovo", "LENOVO", "ThinkPad T14 Gen 4", "laptop", 48, "14500", 30),
    ("Lenovo", "LENOVO", "ThinkCentre M70q", "desktop", 60, "9800", 8),
    ("HP", "Hewlett-Packard,HP Inc.", "EliteBook 840 G10", "laptop", 48, "15900", 15),
    ("HP", "Hewlett-Packard,HP Inc.", "ProDesk 400 G9", "desktop", 60, "8900", 5),
    ("Acer", "ACER", "Chromebook 314", "chromebook", 36, "3900", 20),
    ("Apple", "Apple Inc.", "iPad 10th gen", "tablet", 48, "5200", 7),
    ("Apple", "Apple Inc.", "iPhone 15", "phone", 36, "9500", 7),
    ("Dell", "Dell Inc.", "P2423D", "monitor", 72, "2900", 6),
    ("Ubiquiti", "Ubiquiti Inc.", "U6 Pro", "access_point", 60, "1900", 1),
    ("Cisco", "", "Catalyst 9200L", "switch", 84, "21000", 1),
]
SITES = ["Kommunhuset", "Centralskolan", "Norra skolan", "Biblioteket", "Vårdboendet Solgläntan"]
SOFTWARE = [
    ("Microsoft 365 Apps", "Microsoft", "Microsoft 365 Apps for enterprise\nMicrosoft Office 365"),
    ("Adobe Acrobat Pro", "Adobe", "Adobe Acrobat DC\nAdobe Acrobat Pro DC"),
    ("Firefox", "Mozilla", "firefox-esr\nMozilla Firefox"),
]
WIFI_STANDARD = [
    ("WS-1", "Gästnätet är skilt från förvaltningens nät"),
    ("WS-2", "Användarvillkor i captive portal med versionsnummer"),
    ("WS-3", "Loggar sparas högst 90 dagar"),
    ("WS-4", "WPA3 eller OWE där klienterna klarar det"),
]


def is_loaded() -> bool:
    return Manufacturer.objects.filter(name="Lenovo").exists()


@transaction.atomic
def load_app_demo(*, seed: int = 2026, total: int = TOTAL_ASSETS) -> dict[str, int]:
    """Load the demo data once; refuses when it is there already."""
    if is_loaded():
        raise RuntimeError("assets demo data is already loaded")
    owners = list(Owner.objects.filter(active=True).order_by("name")[:3])
    if not owners:
        raise RuntimeError("load the tenancy demo first (samdrift demo)")
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()

    makers: dict[str, Any] = {}
    models = []
    for maker_name, aliases, model_name, category, lifetime, price, share in CATALOGUE:
        if maker_name not in makers:
            makers[maker_name] = actions.do_create_manufacturer({"name": maker_name, "aliases": aliases}, actor=None)
        model = actions.do_create_asset_model(
            {
                "manufacturer": makers[maker_name],
                "name": model_name,
                "category": category,
                "expected_lifetime_months": lifetime,
                "list_price": Decimal(price),
            },
            actor=None,
        )
        models.append((model, share))
    weights = [share for _m, share in models]

    counts = {"manufacturers": len(makers), "models": len(models), "sites": 0, "assets": 0, "assignments": 0}
    per_owner = total // len(owners)
    all_assets: list[Asset] = []
    for o_index, owner in enumerate(owners):
        sites = [
            actions.do_create_site(
                {
                    "owner": owner,
                    "name": name,
                    "city": owner.name.split()[0],
                    "latitude": Decimal("59.3") + o_index,
                    "longitude": Decimal("18.0") + s,
                },
                actor=None,
            )
            for s, name in enumerate(SITES)
        ]
        counts["sites"] += len(sites)
        centres = list(CostCentre.objects.filter(owner=owner, active=True).order_by("code")[:20])
        units = list(OrgUnit.objects.filter(owner=owner, active=True).order_by("code")[:40])
        people = list(
            Person.objects.filter(owner=owner, active=True)
            .order_by("id")
            .values_list("id", "kind", "cost_centre_id", "org_unit_id")
        )
        rng.shuffle(people)
        code = owner.municipality_code or str(owner.pk)
        assets = []
        for i in range(per_owner):
            model = rng.choices([m for m, _s in models], weights)[0]
            bought = today - timedelta(days=rng.randint(30, 6 * 365))
            holder = (
                people[i]
                if i < len(people)
                and model.category not in {"access_point", "switch", "monitor"}
                and rng.random() < 0.8
                else None
            )
            status = (
                AssetStatus.DEPLOYED
                if holder
                else rng.choice(
                    [
                        AssetStatus.IN_STOCK,
                        AssetStatus.IN_STOCK,
                        AssetStatus.IN_REPAIR,
                        AssetStatus.AWAITING_ERASURE,
                        AssetStatus.ORDERED,
                    ]
                )
            )
            asset = Asset(
                owner=owner,
                asset_tag=f"{code}-{i + 1:05d}",
                manufacturer_id=model.manufacturer_id,
                model=model,
                serial_number=f"{model.manufacturer.name[:2].upper()}{code}{i + 1:06d}",
                status=status,
                assigned_to_id=holder[0] if holder else None,
                cost_centre_id=(holder[2] if holder and holder[2] else rng.choice(centres).pk) if centres else None,
                org_unit_id=(holder[3] if holder and holder[3] else rng.choice(units).pk) if units else None,
                site=rng.choice(sites),
                purchase_date=bought,
                price=model.list_price,
                supplier="Atea Sverige AB" if rng.random() < 0.7 else "Dustin Sverige AB",
                order_reference=f"PO-{bought.year}-{rng.randint(1000, 9999)}",
                warranty_end=bought + timedelta(days=3 * 365),
                hostname=f"K{code}-{i + 1:05d}" if model.category in {"laptop", "desktop"} else "",
                last_seen=now - timedelta(days=rng.choice([0, 0, 1, 2, 5, 40, 120]))
                if model.category in {"laptop", "desktop"}
                else None,
                created=now,
            )
            assets.append(asset)
        Asset.objects.bulk_create(assets, batch_size=1000)
        all_assets += assets
        assignments = []
        for asset in assets:
            assert asset.purchase_date is not None
            started = timezone.make_aware(datetime.combine(asset.purchase_date, time(8)))
            if asset.assigned_to_id:
                assignments.append(
                    AssetAssignment(
                        owner=owner,
                        asset=asset,
                        cost_centre_id=asset.cost_centre_id,
                        org_unit_id=asset.org_unit_id,
                        started_at=started,
                        ended_at=started + timedelta(days=7),
                        reason="created",
                    )
                )
                assignments.append(
                    AssetAssignment(
                        owner=owner,
                        asset=asset,
                        person_id=asset.assigned_to_id,
                        cost_centre_id=asset.cost_centre_id,
                        org_unit_id=asset.org_unit_id,
                        started_at=started + timedelta(days=7),
                        accepted_at=started + timedelta(days=8) if rng.random() < 0.9 else None,
                        reason="check_out",
                    )
                )
            else:
                assignments.append(
                    AssetAssignment(
                        owner=owner,
                        asset=asset,
                        cost_centre_id=asset.cost_centre_id,
                        org_unit_id=asset.org_unit_id,
                        started_at=started,
                        reason="created",
                    )
                )
        AssetAssignment.objects.bulk_create(assignments, batch_size=2000)
        counts["assets"] += len(assets)
        counts["assignments"] += len(assignments)

    record_events(
        None,
        SYSTEM_ROLE,
        (
            PendingEvent(
                event_type="created",
                obj=a,
                changes={
                    "asset_tag": [None, a.asset_tag],
                    "serial_number": [None, a.serial_number],
                    "status": [None, a.status],
                },
                extra={"source": "demo"},
            )
            for a in all_assets
        ),
    )

    # Licences: products, entitlements per owner, seats, and installations found by "agents".
    products = [
        licences.do_create_software_product({"name": name, "publisher": publisher, "aliases": aliases}, actor=None)
        for name, publisher, aliases in SOFTWARE
    ]
    counts["licences"] = 0
    installed = []
    for owner in owners:
        laptops = [a for a in all_assets if a.owner_id == owner.pk and a.hostname][:400]
        office = licences.do_create_licence_entitlement(
            {
                "owner": owner,
                "product": products[0],
                "kind": "per_user",
                "seats": 300,
                "valid_from": date(today.year, 1, 1),
                "valid_until": date(today.year, 12, 31),
                "cost": Decimal("540000.00"),
                "reference": "Microsoft EA 2026",
            },
            actor=None,
        )
        acrobat = licences.do_create_licence_entitlement(
            {
                "owner": owner,
                "product": products[1],
                "kind": "per_device",
                "seats": 20,
                "valid_from": date(today.year, 1, 1),
                "valid_until": today + timedelta(days=60),
                "cost": Decimal("48000.00"),
                "reference": "Adobe VIP",
            },
            actor=None,
        )
        counts["licences"] += 2
        employees = list(Person.objects.filter(owner=owner, active=True, kind=PersonKind.EMPLOYEE).order_by("id")[:25])
        for person in employees:
            licences.do_assign_licence(office, person=person, actor=None)
        for asset in laptops[:12]:
            licences.do_assign_licence(acrobat, asset=asset, actor=None)
        for n, asset in enumerate(laptops):
            installed.append(
                InstalledSoftware(
                    asset=asset,
                    owner_id=owner.pk,
                    product=products[0],
                    name="Microsoft 365 Apps for enterprise",
                    version="16.0",
                )
            )
            if n < 31:  # more installations than the 20 seats: the compliance view shows over-use
                installed.append(
                    InstalledSoftware(
                        asset=asset, owner_id=owner.pk, product=products[1], name="Adobe Acrobat DC", version="24.1"
                    )
                )
    InstalledSoftware.objects.bulk_create(installed, batch_size=2000)
    counts["installations"] = len(installed)

    # Public Wi-Fi zones, checked against the common standard.
    for code, text in WIFI_STANDARD:
        if not WifiStandardItem.objects.filter(code=code).exists():
            wifi.do_create_wifi_standard_item({"code": code, "text": text}, actor=None)
    counts["wifi zones"] = 0
    for owner in owners:
        aps = [a for a in all_assets if a.owner_id == owner.pk and a.model.category == "access_point"][:3]
        zone = wifi.do_create_wifi_zone(
            {
                "owner": owner,
                "name": "Torget",
                "outdoor": True,
                "ssids": "WiFi4EU, Gäst",
                "authentication": "open_portal",
                "portal_terms_version": "2025-1",
                "access_points": aps,
                "funding": "wifi4eu",
                "funding_obligations": "Gratis, utan reklam, minst tre år",
                "operating_from": date(today.year - 1, 5, 1),
                "log_retention_days": 90,
            },
            actor=None,
        )
        wifi.do_create_wifi_zone(
            {
                "owner": owner,
                "name": "Biblioteket",
                "ssids": "Gäst, eduroam",
                "authentication": "eduroam",
                "funding": "own",
            },
            actor=None,
        )
        counts["wifi zones"] += 2
        first = zone.checks.order_by("item__code").first()
        if first is not None:
            wifi.do_record_wifi_check(first, "fail", "Gästnätet når skrivarna i biblioteket", actor=None)

    # A few devices the agents reported that matched nothing.
    triage = [
        TriageDevice(
            owner=owner,
            device_id=f"okand-{owner.pk}-{n}",
            hostname=f"OKAND-{n}",
            serial_number=f"UNK{owner.pk}{n:04d}",
            manufacturer_name="LENOVO",
            model_name="20XW",
        )
        for owner in owners
        for n in range(3)
    ]
    TriageDevice.objects.bulk_create(triage)
    counts["unmatched devices"] = len(triage)
    return counts
