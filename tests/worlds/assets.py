"""Assets for both owners: catalogue, site, a checked-out device, an agent key, an upload and a
device in triage, so that the isolation test tries every asset route with owner B's rows."""

from __future__ import annotations

import zlib
from datetime import date
from typing import Any

from samdrift.assets import actions, inventory, licences, wifi
from samdrift.assets.models import WifiStandardItem, WifiZoneCheck


def tiny_inventory(device_id: str, hostname: str, mac: str, serial: str = "") -> bytes:
    xml = f"""<?xml version="1.0" encoding="UTF-8" ?>
<REQUEST><CONTENT>
  <BIOS><SSN>{serial}</SSN><SMANUFACTURER>Acme</SMANUFACTURER><SMODEL>Book 14</SMODEL></BIOS>
  <HARDWARE><NAME>{hostname}</NAME><MEMORY>8192</MEMORY><OSNAME>Debian GNU/Linux 12</OSNAME></HARDWARE>
  <CPUS><NAME>Test CPU</NAME><CORE>4</CORE></CPUS>
  <NETWORKS><DESCRIPTION>eth0</DESCRIPTION><MACADDR>{mac}</MACADDR><IPADDRESS>192.0.2.10</IPADDRESS></NETWORKS>
  <SOFTWARES><NAME>firefox-esr</NAME><VERSION>128.0</VERSION></SOFTWARES>
</CONTENT><DEVICEID>{device_id}</DEVICEID><QUERY>INVENTORY</QUERY></REQUEST>"""
    return zlib.compress(xml.encode())


def _owner_rows(ow: Any, n: int) -> dict[str, Any]:
    m = ow.marker
    maker = actions.do_create_manufacturer({"name": f"Tillverkare {m}"}, actor=None)
    model = actions.do_create_asset_model(
        {"manufacturer": maker, "name": f"Modell {m}", "category": "laptop", "expected_lifetime_months": 48},
        actor=None,
    )
    site = actions.do_create_site({"owner": ow.owner, "name": f"Plats {m}", "city": f"Stad {m}"}, actor=None)
    asset = actions.do_create_asset(
        {
            "owner": ow.owner,
            "asset_tag": f"T-{m}",
            "model": model,
            "serial_number": f"SN-{m}",
            "site": site,
            "cost_centre": ow.cost_centre,
            "notes": f"Anteckning {m}",
        },
        actor=None,
    )
    assignment = actions.do_check_out_asset(asset, ow.end_user.person, actor=None)
    key, secret = actions.do_create_agent_key({"owner": ow.owner, "name": f"Nyckel {m}"}, actor=None)
    upload = inventory.do_receive_inventory_upload(
        key,
        tiny_inventory(f"dev-{m}", f"host-{m}", f"02:00:00:00:00:0{n}"),
        truncated=False,
        content_type="",
        remote_addr=None,
    )
    inventory.process_upload(upload)
    triage = inventory.TriageDevice.objects.get(owner=ow.owner, device_id=f"dev-{m}")
    product = licences.do_create_software_product({"name": f"Program {m}", "aliases": f"prog-{m}"}, actor=None)
    entitlement = licences.do_create_licence_entitlement(
        {
            "owner": ow.owner,
            "product": product,
            "kind": "per_user",
            "seats": 2,
            "valid_from": date(2026, 1, 1),
            "reference": f"Avtal {m}",
        },
        actor=None,
    )
    licences.do_assign_licence(entitlement, person=ow.end_user.person, actor=None)
    standard = WifiStandardItem.objects.filter(code="WS-1").first() or wifi.do_create_wifi_standard_item(
        {"code": "WS-1", "text": "Guest network isolated from the administration's networks"}, actor=None
    )
    # The standard is the company's, shown on every owner's zones: no owner marker in it.
    wifi.do_create_wifi_standard_item({"code": f"WS-{n + 1}", "text": f"Krav nummer {n + 1}"}, actor=None)
    zone = wifi.do_create_wifi_zone(
        {
            "owner": ow.owner,
            "name": f"Torget {m}",
            "site": site,
            "ssids": f"Gäst-{m}, WiFi4EU",
            "authentication": "open_portal",
            "funding": "wifi4eu",
        },
        actor=None,
    )
    check = WifiZoneCheck.objects.get(zone=zone, item=standard)
    return {
        "manufacturer": maker,
        "asset_model": model,
        "site": site,
        "asset": asset,
        "assignment": assignment,
        "agent_key": key,
        "agent_secret": secret,
        "upload": upload,
        "triage": triage,
        "product": product,
        "entitlement": entitlement,
        "wifi_zone": zone,
        "wifi_check": check,
        "wifi_standard": WifiStandardItem.objects.get(code=f"WS-{n + 1}"),
    }


def _import_rows(ow: Any) -> dict[str, Any]:
    """An asset file checked for the owner, and a column mapping saved for it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from samdrift.assets import imports
    from samdrift.assets.models import AssetImportMapping

    m = ow.marker
    text = f"Serienummer;Modell;Anteckning\nIMP-{m};Modell {m};Import {m}\n"
    batch = imports.do_upload_asset_import(ow.owner, SimpleUploadedFile(f"leverans-{m}.csv", text.encode()), actor=None)
    batch = imports.do_set_import_columns(batch, batch.columns, {}, actor=None, save_as=f"Mall {m}")
    batch = imports.check_asset_import(batch, actor=None)
    return {"asset_import": batch, "import_mapping": AssetImportMapping.objects.get(name=f"Mall {m}")}


def extend(world: Any) -> None:
    world.a.extra.update(_owner_rows(world.a, 1))
    world.b.extra.update(_owner_rows(world.b, 2))
    world.a.extra.update(_import_rows(world.a))
    world.b.extra.update(_import_rows(world.b))
