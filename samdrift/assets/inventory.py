"""Inventory agents: the FusionInventory / OCS protocol, matching and applying what agents report.

An agent POSTs zlib-compressed XML: first `QUERY=PROLOG`, answered with `PROLOG_FREQ` and
`RESPONSE=SEND`, then `QUERY=INVENTORY` with the facts. Every payload is stored as received
(InventoryUpload) before it is looked at, so that garbage can be inspected and a failure retried.
A device is matched within the key's owner by serial number, then hardware UUID, then MAC address,
then an earlier triage decision for the same agent; what matches nothing goes to triage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from samdrift.assets.actions import _role, hash_key
from samdrift.assets.licences import product_by_reported_name
from samdrift.assets.models import (
    AgentKey,
    Asset,
    AssetInterface,
    AssetModel,
    InstalledSoftware,
    InventoryUpload,
    TriageDevice,
    UploadStatus,
)
from samdrift.core.access import SYSTEM_ROLE
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType

log = logging.getLogger(__name__)

# Serial numbers and UUIDs that firmware reports when it has none: never match on them.
PLACEHOLDER_SERIALS = {
    "",
    "0",
    "00000000",
    "none",
    "n/a",
    "default string",
    "to be filled by o.e.m.",
    "system serial number",
    "not specified",
    "0123456789",
}
PLACEHOLDER_MACS = {"", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"}
REPLY_SEND = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<REPLY><PROLOG_FREQ>%d</PROLOG_FREQ><RESPONSE>SEND</RESPONSE></REPLY>\n'
)
REPLY_DONE = b'<?xml version="1.0" encoding="UTF-8"?>\n<REPLY><RESPONSE>NO_ACCOUNT_UPDATE</RESPONSE></REPLY>\n'
# Columns of Asset that inventory sets; a change of any is audited.
FACT_COLUMNS = ("hostname", "hardware_uuid", "os_name", "os_version", "cpu", "memory_mb", "last_user")


def max_upload_bytes() -> int:
    return int(getattr(settings, "SAMDRIFT_INVENTORY_MAX_BYTES", 5 * 1024 * 1024))


def max_xml_bytes() -> int:
    return int(getattr(settings, "SAMDRIFT_INVENTORY_MAX_XML_BYTES", 50 * 1024 * 1024))


class InventoryError(Exception):
    """A payload we refuse, with the HTTP status and a message the agent's log will show."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# --- decoding --------------------------------------------------------------------------------


def decode_payload(raw: bytes) -> tuple[bytes, bool]:
    """The XML inside a payload, and whether it was compressed (the reply is compressed alike)."""
    if not raw:
        raise InventoryError(_("The request is empty."))
    if raw.lstrip()[:1] == b"<":
        return raw, False
    inflater = zlib.decompressobj(wbits=47)  # zlib or gzip header, detected
    try:
        xml = inflater.decompress(raw, max_xml_bytes())
    except zlib.error as exc:
        raise InventoryError(
            _("The body is neither XML nor zlib-compressed XML (%(error)s).") % {"error": exc}
        ) from exc
    if inflater.unconsumed_tail:
        raise InventoryError(
            _("The inventory is larger than %(max)s bytes uncompressed.") % {"max": max_xml_bytes()}, 413
        )
    if not inflater.eof:
        raise InventoryError(_("The compressed body is truncated."))
    return xml, True


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def parse_request(xml: bytes) -> Any:
    try:
        root = etree.fromstring(xml, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise InventoryError(_("The XML is not well-formed: %(error)s") % {"error": exc}) from exc
    if root.tag != "REQUEST":
        raise InventoryError(_("Expected a <REQUEST> document, got <%(tag)s>.") % {"tag": root.tag})
    return root


def encode_reply(body: bytes, compressed: bool) -> bytes:
    return zlib.compress(body) if compressed else body


# --- facts -----------------------------------------------------------------------------------


def _text(node: Any, path: str) -> str:
    found = node.find(path) if node is not None else None
    return (found.text or "").strip() if found is not None and found.text else ""


def _fields(node: Any) -> dict[str, str]:
    """A node's child elements as {tag: stripped text}, the first of each tag (as `find` gives):
    one pass over the children instead of a `find` per field, for the hundreds of software rows
    of an upload."""
    out: dict[str, str] = {}
    for child in node:
        tag = child.tag
        if isinstance(tag, str) and tag not in out:
            out[tag] = (child.text or "").strip()
    return out


def _int(value: str) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _normal_mac(value: str) -> str:
    return value.strip().lower().replace("-", ":")


@dataclass
class Facts:
    device_id: str
    serial: str = ""
    uuid: str = ""
    hostname: str = ""
    manufacturer: str = ""
    model: str = ""
    os_name: str = ""
    os_version: str = ""
    cpu: str = ""
    memory_mb: int | None = None
    last_user: str = ""
    interfaces: list[dict[str, str]] = field(default_factory=list)
    software: list[dict[str, str]] = field(default_factory=list)
    hardware: dict[str, Any] = field(default_factory=dict)

    @property
    def macs(self) -> list[str]:
        return sorted({i["mac"] for i in self.interfaces if i["mac"] not in PLACEHOLDER_MACS})

    @property
    def usable_serial(self) -> str:
        return "" if self.serial.lower() in PLACEHOLDER_SERIALS else self.serial

    @property
    def usable_uuid(self) -> str:
        bare = self.uuid.replace("-", "").strip("0").lower()
        return self.uuid if bare and bare != "f" * len(bare) else ""


def extract_facts(root: Any) -> Facts:
    content = root.find("CONTENT")
    if content is None:
        raise InventoryError(_("An INVENTORY request must hold <CONTENT>."))
    bios = content.find("BIOS")
    hw = content.find("HARDWARE")
    os_node = content.find("OPERATINGSYSTEM")
    cpus = [
        {"name": _text(c, "NAME"), "cores": _text(c, "CORE"), "threads": _text(c, "THREAD"), "speed": _text(c, "SPEED")}
        for c in content.findall("CPUS")
    ]
    disks = [
        {
            "volume": _text(d, "VOLUMN"),
            "mount": _text(d, "TYPE"),
            "filesystem": _text(d, "FILESYSTEM"),
            "total_mb": _int(_text(d, "TOTAL")),
            "free_mb": _int(_text(d, "FREE")),
        }
        for d in content.findall("DRIVES")
    ]
    storages = [
        {
            "name": _text(s, "NAME"),
            "model": _text(s, "MODEL"),
            "serial": _text(s, "SERIALNUMBER"),
            "size_mb": _int(_text(s, "DISKSIZE")),
            "type": _text(s, "TYPE"),
        }
        for s in content.findall("STORAGES")
    ]
    interfaces = []
    for n in content.findall("NETWORKS"):
        mac = _normal_mac(_text(n, "MACADDR"))
        if _text(n, "VIRTUALDEV") == "1" or not mac:
            continue
        interfaces.append(
            {
                "name": _text(n, "DESCRIPTION")[:100],
                "mac": mac[:17],
                "ip": (_text(n, "IPADDRESS") or _text(n, "IPADDRESS6"))[:64],
            }
        )
    software = [
        {"name": f["NAME"][:255], "version": f.get("VERSION", "")[:100], "publisher": f.get("PUBLISHER", "")[:255]}
        for f in map(_fields, content.iterfind("SOFTWARES"))
        if f.get("NAME")
    ]
    bios_facts = {
        key.lower(): _text(bios, key)
        for key in ("SMANUFACTURER", "SMODEL", "SSN", "BMANUFACTURER", "BVERSION", "BDATE", "MMANUFACTURER", "MMODEL")
    }
    cpu = cpus[0]["name"] if cpus else _text(hw, "PROCESSORT")
    if len(cpus) > 1:
        cpu = f"{len(cpus)} × {cpu}"
    return Facts(
        device_id=_text(root, "DEVICEID")[:200],
        serial=bios_facts["ssn"][:100],
        uuid=_text(hw, "UUID")[:64],
        hostname=_text(hw, "NAME")[:200],
        manufacturer=(bios_facts["smanufacturer"] or bios_facts["mmanufacturer"])[:200],
        model=(bios_facts["smodel"] or bios_facts["mmodel"])[:200],
        os_name=(_text(os_node, "FULL_NAME") or _text(hw, "OSNAME"))[:200],
        os_version=(_text(os_node, "VERSION") or _text(hw, "OSVERSION"))[:100],
        cpu=cpu[:200],
        memory_mb=_int(_text(hw, "MEMORY")),
        last_user=_text(hw, "LASTLOGGEDUSER")[:200],
        interfaces=interfaces,
        software=software,
        hardware={
            "bios": bios_facts,
            "cpus": cpus,
            "disks": disks,
            "storages": storages,
            "os": {
                "name": _text(os_node, "NAME"),
                "full_name": _text(os_node, "FULL_NAME"),
                "version": _text(os_node, "VERSION"),
                "kernel": _text(os_node, "KERNEL_VERSION"),
                "arch": _text(os_node, "ARCH"),
            },
            "network": interfaces,
            "vm": _text(hw, "VMSYSTEM"),
            "agent": _text(content, "VERSIONCLIENT"),
        },
    )


# --- matching --------------------------------------------------------------------------------


def match_asset(owner_id: int, facts: Facts) -> tuple[Asset | None, str]:
    """The owner's asset these facts describe, and by what; (None, reason) when not exactly one."""
    assets = Asset.objects.filter(owner_id=owner_id)
    if facts.usable_serial:
        found = list(assets.filter(serial_number=facts.usable_serial).select_related("manufacturer")[:5])
        if len(found) > 1 and facts.manufacturer:
            maker = facts.manufacturer.lower()
            found = [a for a in found if a.manufacturer.name.lower() in maker or maker in a.manufacturer.name.lower()]
        if len(found) == 1:
            return found[0], "serial"
    if facts.usable_uuid:
        found = list(assets.filter(hardware_uuid__iexact=facts.usable_uuid)[:2])
        if len(found) == 1:
            return found[0], "uuid"
    if facts.macs:
        ids = list(
            AssetInterface.objects.filter(owner_id=owner_id, mac__in=facts.macs)
            .values_list("asset_id", flat=True)
            .distinct()[:2]
        )
        if len(ids) == 1:
            return assets.get(pk=ids[0]), "mac"
    if facts.device_id:
        linked = (
            TriageDevice.objects.filter(owner_id=owner_id, device_id=facts.device_id, resolved_asset__isnull=False)
            .values_list("resolved_asset_id", flat=True)
            .first()
        )
        if linked is not None:
            asset = assets.filter(pk=linked).first()
            if asset is not None:
                return asset, "device_id"
    return None, ""


def apply_facts(asset: Asset, facts: Facts, upload: InventoryUpload | None, *, actor: Any, role: str) -> Asset:
    """Write what the agent reported to the asset; replace its interfaces and software."""
    now = timezone.now()
    new = {
        "hostname": facts.hostname,
        "hardware_uuid": facts.usable_uuid or asset.hardware_uuid,
        "os_name": facts.os_name,
        "os_version": facts.os_version,
        "cpu": facts.cpu,
        "memory_mb": facts.memory_mb,
        "last_user": facts.last_user,
    }
    changes = {k: [getattr(asset, k), v] for k, v in new.items() if getattr(asset, k) != v}
    for k, v in new.items():
        setattr(asset, k, v)
    first_time = asset.last_seen is None
    old_hashes = (asset.hardware or {}).get("software_hash"), (asset.hardware or {}).get("network_hash")
    software_hash = _digest(sorted((x["name"], x["version"], x["publisher"]) for x in facts.software))
    network_hash = _digest(sorted((x["name"], x["mac"], x["ip"]) for x in facts.interfaces))
    asset.hardware = {**facts.hardware, "software_hash": software_hash, "network_hash": network_hash}
    asset.last_seen = now
    if facts.device_id:
        asset.agent_device_id = facts.device_id
    if not asset.serial_number and facts.usable_serial:
        changes["serial_number"] = ["", facts.usable_serial]
        asset.serial_number = facts.usable_serial
    asset.save(update_fields=[*FACT_COLUMNS, "hardware", "last_seen", "agent_device_id", "serial_number"])
    # Most inventories repeat the last one: rewrite interfaces and software only when they changed.
    if network_hash != old_hashes[1]:
        AssetInterface.objects.filter(asset=asset).delete()
        AssetInterface.objects.bulk_create(
            AssetInterface(asset=asset, owner_id=asset.owner_id, name=i["name"], mac=i["mac"], ip_address=i["ip"])
            for i in facts.interfaces
        )
    if software_hash != old_hashes[0]:
        old_count = InstalledSoftware.objects.filter(asset=asset).delete()[0]
        products = product_by_reported_name()
        InstalledSoftware.objects.bulk_create(
            (
                InstalledSoftware(
                    product_id=products.get(s["name"].lower()),
                    asset=asset,
                    owner_id=asset.owner_id,
                    name=s["name"],
                    version=s["version"],
                    publisher=s["publisher"],
                )
                for s in facts.software
            ),
            batch_size=1000,
        )
        changes["software"] = [old_count, len(facts.software)]
    # A repeat inventory that changes nothing is recorded by its upload row, not in the audit trail.
    if changes or first_time or actor is not None:
        record_event(
            actor,
            role,
            AuditEventType.UPDATED,
            asset,
            changes=changes,
            extra={"action": "inventory", "upload": upload.pk if upload else None, "software": len(facts.software)},
        )
    return asset


def _digest(items: Any) -> str:
    return hashlib.sha256(json.dumps(items, ensure_ascii=False).encode()).hexdigest()


# --- receiving and processing ----------------------------------------------------------------


def find_agent_key(key: str) -> AgentKey | None:
    if not key or len(key) > 100:
        return None
    return AgentKey.objects.filter(key_hash=hash_key(key), active=True).first()


@transaction.atomic
def do_receive_inventory_upload(
    agent_key: AgentKey, raw: bytes, *, truncated: bool, content_type: str, remote_addr: str | None
) -> InventoryUpload:
    """Store a payload exactly as received, before anything else (the agent's record of receipt).

    Not audited one by one: the upload row is itself the record, and agents send thousands a day.
    """
    upload = InventoryUpload(
        owner_id=agent_key.owner_id,
        agent_key=agent_key,
        raw=raw,
        size=len(raw),
        truncated=truncated,
        content_type=content_type[:100],
        remote_addr=remote_addr or None,
    )
    upload.save(force_insert=True)
    # "Last used" to the minute: every agent of an owner shares the key, and rewriting its row on
    # each of a hundred uploads a second makes them queue on that row's lock.
    stale = Q(last_used__isnull=True) | Q(last_used__lt=upload.received_at - timedelta(minutes=1))
    AgentKey.objects.filter(stale, pk=agent_key.pk).update(last_used=upload.received_at)
    return upload


def _finish(upload: InventoryUpload, status: str, error: str = "", asset: Asset | None = None) -> None:
    upload.status = status
    upload.error = error
    upload.asset = asset
    upload.processed_at = timezone.now()
    upload.save(update_fields=["status", "error", "asset", "processed_at", "query", "device_id"])


def process_upload(upload: InventoryUpload) -> tuple[bytes, bool]:
    """Decode, parse and apply one stored upload; return the reply body and whether to compress it.

    Raises InventoryError for payloads we refuse (the upload is marked rejected and kept).
    """
    if upload.truncated:
        _finish(
            upload, UploadStatus.REJECTED, _("Larger than the limit of %(max)s bytes.") % {"max": max_upload_bytes()}
        )
        raise InventoryError(_("The request is larger than %(max)s bytes.") % {"max": max_upload_bytes()}, 413)
    try:
        xml, compressed = decode_payload(bytes(upload.raw))
        root = parse_request(xml)
        upload.query = _text(root, "QUERY")[:20]
        upload.device_id = _text(root, "DEVICEID")[:200]
        if upload.query == "PROLOG":
            _finish(upload, UploadStatus.PROLOG)
            freq = int(getattr(settings, "SAMDRIFT_INVENTORY_PROLOG_FREQ_HOURS", 24))
            return REPLY_SEND % freq, compressed
        if upload.query != "INVENTORY":
            raise InventoryError(
                _("Unsupported QUERY %(query)r (expected PROLOG or INVENTORY).") % {"query": upload.query}
            )
        if not upload.device_id:
            raise InventoryError(_("The request has no DEVICEID."))
        facts = extract_facts(root)
    except InventoryError as exc:
        _finish(upload, UploadStatus.REJECTED, str(exc))
        raise
    try:
        with transaction.atomic():
            asset = do_apply_inventory(upload, facts, actor=None)
    except Exception as exc:  # keep the upload for a retry whatever went wrong, and tell the agent
        log.exception("inventory upload %s failed", upload.pk)
        _finish(upload, UploadStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000])
        return REPLY_DONE, compressed
    _finish(upload, UploadStatus.MATCHED if asset else UploadStatus.TRIAGE, asset=asset)
    return REPLY_DONE, compressed


@transaction.atomic
def do_apply_inventory(upload: InventoryUpload, facts: Facts, *, actor: Any) -> Asset | None:
    """Update the matched asset, or put the device in triage (never a silent new asset)."""
    role = _role(actor, "triage", upload.owner_id) if actor is not None else SYSTEM_ROLE
    asset, _how = match_asset(upload.owner_id, facts)
    if asset is not None:
        return apply_facts(asset, facts, upload, actor=actor, role=role)
    now = timezone.now()
    values = {
        "hostname": facts.hostname,
        "serial_number": facts.usable_serial,
        "hardware_uuid": facts.usable_uuid,
        "macs": ", ".join(facts.macs)[:500],
        "manufacturer_name": facts.manufacturer,
        "model_name": facts.model,
        "last_seen": now,
        "last_upload": upload,
    }
    device, created = TriageDevice.objects.get_or_create(
        owner_id=upload.owner_id, device_id=facts.device_id, defaults={**values, "first_seen": now}
    )
    if created:
        record_event(actor, role, AuditEventType.CREATED, device, extra={"action": "triage", "upload": upload.pk})
    else:
        for k, v in values.items():
            setattr(device, k, v)
        device.save(update_fields=list(values))
    return None


def facts_of(upload: InventoryUpload) -> Facts:
    xml, _compressed = decode_payload(bytes(upload.raw))
    return extract_facts(parse_request(xml))


@transaction.atomic
def do_link_triage_device(device: TriageDevice, asset: Asset, *, actor: Any) -> Asset:
    """An unmatched device is this asset: link them and apply the last inventory to the asset."""
    role = _role(actor, "triage", device.owner_id)
    if asset.owner_id != device.owner_id:
        raise ValidationError({"asset": _("Must belong to the same owner.")})
    if device.resolved_asset_id is not None:
        raise ValidationError(_("This device has already been handled."))
    device.resolved_asset = asset
    device.save(update_fields=["resolved_asset"])
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        device,
        changes={"resolved_asset": [None, asset.pk]},
        extra={"action": "link"},
    )
    if device.last_upload is not None:
        apply_facts(asset, facts_of(device.last_upload), device.last_upload, actor=actor, role=role)
    return asset


@transaction.atomic
def do_create_asset_from_triage(device: TriageDevice, data: dict[str, Any], *, actor: Any) -> Asset:
    """Register an unmatched device as a new asset (in stock) with what its agent reported."""
    from samdrift.assets.actions import do_create_asset

    if device.resolved_asset_id is not None:
        raise ValidationError(_("This device has already been handled."))
    model = data.get("model")
    if not isinstance(model, AssetModel):
        raise ValidationError({"model": _("This field is required.")})
    asset = do_create_asset(
        {
            "status": "in_stock",
            "serial_number": device.serial_number,
            "hardware_uuid": device.hardware_uuid,
            **data,
            "owner": device.owner,
        },
        actor=actor,
    )
    return do_link_triage_device(device, asset, actor=actor)
