"""Inventory agents: the FusionInventory / OCS protocol, matching and applying what agents report.

An agent POSTs zlib-compressed XML: first `QUERY=PROLOG`, answered with `PROLOG_FREQ` and
`RESPONSE=SEND`, then `QUERY=INVENTORY` with the facts. Every payload is stored as received
(InventoryUpload) before it is looked at, so that garbage can be inspected and a failure retried.
A device is matched within the key's owner by serial number, then the agent's device id (or an
earlier triage decision for it), then hardware UUID, then a MAC address that identifies one machine;
what matches nothing goes to triage. An inventory older than the one an asset shows (by the agent's
own time where the format has one, else by the order received) is kept but never applied.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any
from zoneinfo import ZoneInfo

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
# Address ranges that many machines share: virtual machines' network cards and the USB network
# chips of docks and adapters (a dock at a hot desk reports its own address from every laptop
# docked to it). Kept as facts, never used alone to say which machine reported.
# SAMDRIFT_INVENTORY_UNTRUSTED_MAC_PREFIXES adds an installation's own ranges.
UNTRUSTED_MAC_PREFIXES = (
    "00:05:69",  # VMware
    "00:0c:29",  # VMware
    "00:1c:14",  # VMware
    "00:50:56",  # VMware
    "08:00:27",  # VirtualBox
    "00:15:5d",  # Hyper-V
    "00:16:3e",  # Xen
    "00:1c:42",  # Parallels
    "00:03:ff",  # Microsoft Virtual PC
    "00:e0:4c",  # Realtek USB Ethernet of docks and adapters
)
REPLY_SEND = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<REPLY><PROLOG_FREQ>%d</PROLOG_FREQ><RESPONSE>SEND</RESPONSE></REPLY>\n'
)
REPLY_DONE = b'<?xml version="1.0" encoding="UTF-8"?>\n<REPLY><RESPONSE>NO_ACCOUNT_UPDATE</RESPONSE></REPLY>\n'
# Columns of Asset that inventory sets; a change of any is audited.
FACT_COLUMNS = ("hostname", "hardware_uuid", "os_name", "os_version", "cpu", "memory_mb", "last_user")


def max_upload_bytes() -> int:
    return int(settings.SAMDRIFT_INVENTORY_MAX_BYTES)


def max_xml_bytes() -> int:
    return int(settings.SAMDRIFT_INVENTORY_MAX_XML_BYTES)


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
    # Plain XML, also with a UTF-8 byte-order mark (Windows tools write one) or leading blank lines,
    # which XML parsers refuse before an <?xml ...?> declaration.
    plain = raw.removeprefix(codecs.BOM_UTF8).lstrip()
    if plain[:1] == b"<":
        return plain, False
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
    cpus = [_cpu(_fields(c)) for c in content.findall("CPUS")]
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
    cpu = (cpus[0]["name"] if cpus else "") or _text(hw, "PROCESSORT")
    if len(cpus) > 1:
        cpu = f"{len(cpus)} × {cpu}"
    os_name = _text(os_node, "FULL_NAME") or _text(hw, "OSNAME")
    os_version = _text(os_node, "VERSION") or _text(hw, "OSVERSION")
    return Facts(
        device_id=_text(root, "DEVICEID")[:200],
        serial=bios_facts["ssn"][:100],
        uuid=_text(hw, "UUID")[:64],
        hostname=_text(hw, "NAME")[:200],
        manufacturer=(bios_facts["smanufacturer"] or bios_facts["mmanufacturer"])[:200],
        model=(bios_facts["smodel"] or bios_facts["mmodel"])[:200],
        os_name=os_name[:200],
        os_version=os_version[:100],
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
                "name": _text(os_node, "NAME") or _text(hw, "OSNAME"),
                "full_name": os_name,
                "version": os_version,
                "kernel": _text(os_node, "KERNEL_VERSION") or _ocs_kernel(hw),
                "arch": _text(os_node, "ARCH") or (cpus[0]["arch"] if cpus else "") or _ocs_arch(hw),
            },
            "network": interfaces,
            "vm": _text(hw, "VMSYSTEM"),
            "agent": _text(content, "VERSIONCLIENT"),
        },
    )


def _cpu(f: dict[str, str]) -> dict[str, str]:
    """One processor. FusionInventory names it NAME with CORE and THREAD; the OCS agent names it
    TYPE with CORES, THREADS and LOGICAL_CPUS (and CPUARCH, CURRENT_SPEED)."""
    return {
        "name": f.get("NAME") or f.get("TYPE", ""),
        "manufacturer": f.get("MANUFACTURER", ""),
        "cores": f.get("CORE") or f.get("CORES", ""),
        "threads": f.get("THREAD") or f.get("THREADS", ""),
        "logical": f.get("LOGICAL_CPUS", ""),
        "speed": f.get("SPEED") or f.get("CURRENT_SPEED", ""),
        "arch": f.get("ARCH") or f.get("CPUARCH", ""),
    }


_KERNEL_RELEASE = re.compile(r"^\d+\.\d+\.\d+[-+]")  # 6.1.0-28-amd64, not an OS version such as 15.6.0
_OCS_DESCRIPTION = re.compile(r"^([A-Za-z0-9_]+)/")


def _ocs_kernel(hw: Any) -> str:
    """The OCS agent reports no kernel field: on a Linux it has not recognised the distribution of,
    HARDWARE/OSVERSION holds the kernel release (`uname -r`); elsewhere it holds the OS version."""
    version = _text(hw, "OSVERSION")
    return version if "linux" in _text(hw, "OSNAME").lower() and _KERNEL_RELEASE.match(version) else ""


def _ocs_arch(hw: Any) -> str:
    """The OCS agent's HARDWARE/DESCRIPTION is `<machine>/<uptime>` on Unix (x86_64/00-00-00 00:07:35)."""
    found = _OCS_DESCRIPTION.match(_text(hw, "DESCRIPTION"))
    return found.group(1) if found else ""


# The agent's own time of an inventory (FusionInventory and OCS: ACCESSLOG/LOGDATE, its local time;
# FusionInventory adds the offset under OPERATINGSYSTEM/TIMEZONE). Times beyond these bounds from
# the moment we received it are a wrong clock, not an order, and the upload order is used instead:
# one inventory from a clock in 2099 must not freeze a device's facts for good.
AGENT_TIME_FUTURE = timedelta(days=1)
AGENT_TIME_PAST = timedelta(days=366)
_OFFSET = re.compile(r"^([+-])(\d\d):?(\d\d)$")


def agent_time(root: Any, received_at: datetime) -> datetime | None:
    content = root.find("CONTENT")
    stamp = _text(content, "ACCESSLOG/LOGDATE")
    try:
        naive = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    offset = _OFFSET.match(_text(content, "OPERATINGSYSTEM/TIMEZONE/OFFSET"))
    if offset:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes)) * (-1 if sign == "-" else 1)
        when = naive.replace(tzinfo=dt_timezone(delta))
    else:
        when = naive.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    if not received_at - AGENT_TIME_PAST <= when <= received_at + AGENT_TIME_FUTURE:
        return None
    return when


def is_older(upload: InventoryUpload, last_upload_id: int | None, last_agent_time: datetime | None) -> bool:
    """Whether this upload is older than the inventory already applied: by the agent's own time when
    both have one, else by the order received (the upload's id)."""
    if last_upload_id is None:
        return False
    if upload.agent_time is not None and last_agent_time is not None and upload.agent_time != last_agent_time:
        return upload.agent_time < last_agent_time
    return upload.pk < last_upload_id


# --- matching --------------------------------------------------------------------------------


def match_asset(owner_id: int, facts: Facts) -> tuple[Asset | None, str]:
    """The owner's asset these facts describe, and by what; (None, "") when not exactly one.

    Serial number first, then the agent's own device id, then the hardware UUID, and a MAC address
    only when it names one machine. Anything weaker than the serial is refused when the asset and
    the report carry different serial numbers or UUIDs: two machines are never merged into one.
    """
    assets = Asset.objects.filter(owner_id=owner_id)
    if facts.usable_serial:
        found = list(assets.filter(serial_number=facts.usable_serial).select_related("manufacturer")[:5])
        if len(found) > 1 and facts.manufacturer:
            maker = facts.manufacturer.lower()
            found = [a for a in found if a.manufacturer.name.lower() in maker or maker in a.manufacturer.name.lower()]
        if len(found) == 1:
            return found[0], "serial"
    if facts.device_id:
        found = list(assets.filter(agent_device_id=facts.device_id)[:2])
        if len(found) == 1 and not _conflicts(found[0], facts):
            return found[0], "device_id"
        # A technician's decision in triage for this agent stands, whatever the agent reports.
        linked = (
            TriageDevice.objects.filter(owner_id=owner_id, device_id=facts.device_id, resolved_asset__isnull=False)
            .values_list("resolved_asset_id", flat=True)
            .first()
        )
        if linked is not None:
            asset = assets.filter(pk=linked).first()
            if asset is not None:
                return asset, "triage"
    if facts.usable_uuid:
        found = list(assets.filter(hardware_uuid__iexact=facts.usable_uuid)[:2])
        if len(found) == 1 and not _conflicts(found[0], facts):
            return found[0], "uuid"
    asset_id = asset_by_mac(owner_id, facts)
    if asset_id is not None:
        asset = assets.get(pk=asset_id)
        if not _conflicts(asset, facts):
            return asset, "mac"
    return None, ""


def _conflicts(asset: Asset, facts: Facts) -> bool:
    """The asset is known by another serial number or UUID than the report gives: another machine
    (a cloned disk carries the agent's device id along, a dock its MAC address)."""
    serial, uuid = facts.usable_serial, facts.usable_uuid
    return bool(
        (serial and asset.serial_number and asset.serial_number.lower() != serial.lower())
        or (uuid and asset.hardware_uuid and asset.hardware_uuid.lower() != uuid.lower())
    )


def untrusted_mac_prefixes() -> tuple[str, ...]:
    extra = settings.SAMDRIFT_INVENTORY_UNTRUSTED_MAC_PREFIXES
    return UNTRUSTED_MAC_PREFIXES + tuple(_normal_mac(p) for p in extra)


def is_unique_mac(mac: str) -> bool:
    """A MAC address its maker gave one network card: not locally administered (the 0x02 bit of the
    first octet, which virtual machines, containers and randomised Wi-Fi addresses set), not a
    group address (0x01), and not in a range that many machines share."""
    try:
        first = int(mac[:2], 16)
    except ValueError:
        return False
    return len(mac) == 17 and not first & 0x03 and not mac.startswith(untrusted_mac_prefixes())


def asset_by_mac(owner_id: int, facts: Facts) -> int | None:
    """The one asset that the reported MAC addresses identify on their own, if any: addresses unique
    by make (see is_unique_mac) and not seen on another device of the owner (on two assets, or on an
    unmatched device of another agent)."""
    macs = [m for m in facts.macs if is_unique_mac(m)]
    if not macs:
        return None
    on_assets: dict[str, set[int]] = {}
    for mac, asset_id in AssetInterface.objects.filter(owner_id=owner_id, mac__in=macs).values_list("mac", "asset_id"):
        on_assets.setdefault(mac, set()).add(asset_id)
    candidates = {mac: ids for mac, ids in on_assets.items() if len(ids) == 1}
    if not candidates:
        return None
    in_triage = Q()
    for mac in candidates:
        in_triage |= Q(macs__contains=mac)
    for listed in (
        TriageDevice.objects.filter(in_triage, owner_id=owner_id, resolved_asset__isnull=True)
        .exclude(device_id=facts.device_id)
        .values_list("macs", flat=True)
    ):
        candidates = {mac: ids for mac, ids in candidates.items() if mac not in listed}
    found = set().union(*candidates.values()) if candidates else set()
    return found.pop() if len(found) == 1 else None


def apply_facts(
    asset: Asset, facts: Facts, upload: InventoryUpload | None, *, actor: Any, role: str
) -> tuple[Asset, bool]:
    """Write what the agent reported to the asset; replace its interfaces and software.

    Returns the asset and whether the facts were applied: an upload older than the inventory the
    asset shows (an interrupted upload processed late, an agent's spooled report) changes nothing,
    not even `last_seen`. The caller holds the asset's row lock, so two uploads of one device
    cannot both pass this check.
    """
    if upload is not None and is_older(upload, asset.inventory_upload_id, asset.inventory_agent_time):
        return asset, False
    seen = upload.received_at if upload is not None else timezone.now()
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
    asset.last_seen = seen if asset.last_seen is None else max(asset.last_seen, seen)
    if upload is not None:
        asset.inventory_upload_id = upload.pk
        asset.inventory_agent_time = upload.agent_time
    if facts.device_id:
        asset.agent_device_id = facts.device_id
    if not asset.serial_number and facts.usable_serial:
        changes["serial_number"] = ["", facts.usable_serial]
        asset.serial_number = facts.usable_serial
    asset.save(
        update_fields=[
            *FACT_COLUMNS,
            "hardware",
            "last_seen",
            "agent_device_id",
            "serial_number",
            "inventory_upload_id",
            "inventory_agent_time",
        ]
    )
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
    return asset, True


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
    upload.save(update_fields=["status", "error", "asset", "processed_at", "query", "device_id", "agent_time"])


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
            freq = int(settings.SAMDRIFT_INVENTORY_PROLOG_FREQ_HOURS)
            return REPLY_SEND % freq, compressed
        if upload.query != "INVENTORY":
            raise InventoryError(
                _("Unsupported QUERY %(query)r (expected PROLOG or INVENTORY).") % {"query": upload.query}
            )
        if not upload.device_id:
            raise InventoryError(_("The request has no DEVICEID."))
        facts = extract_facts(root)
        upload.agent_time = agent_time(root, upload.received_at)
    except InventoryError as exc:
        _finish(upload, UploadStatus.REJECTED, str(exc))
        raise
    try:
        with transaction.atomic():
            asset, applied = do_apply_inventory(upload, facts, actor=None)
    except Exception as exc:  # keep the upload for a retry whatever went wrong, and tell the agent
        log.exception("inventory upload %s failed", upload.pk)
        _finish(upload, UploadStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000])
        return REPLY_DONE, compressed
    if not applied:
        _finish(upload, UploadStatus.STALE, _("A newer inventory of this device was applied before."), asset=asset)
    else:
        _finish(upload, UploadStatus.MATCHED if asset else UploadStatus.TRIAGE, asset=asset)
    return REPLY_DONE, compressed


@transaction.atomic
def do_apply_inventory(upload: InventoryUpload, facts: Facts, *, actor: Any) -> tuple[Asset | None, bool]:
    """Update the matched asset, or put the device in triage (never a silent new asset).

    Returns the asset (None: in triage) and whether the upload was applied (False: it is older
    than what the asset or the unmatched device already shows).
    """
    role = _role(actor, "triage", upload.owner_id) if actor is not None else SYSTEM_ROLE
    asset, _how = match_asset(upload.owner_id, facts)
    if asset is not None:
        # Lock the row, then compare orders on what is committed: a concurrent upload of the same
        # device waits here and sees this one's result.
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        return apply_facts(asset, facts, upload, actor=actor, role=role)
    values = {
        "hostname": facts.hostname,
        "serial_number": facts.usable_serial,
        "hardware_uuid": facts.usable_uuid,
        "macs": ", ".join(facts.macs)[:500],
        "manufacturer_name": facts.manufacturer,
        "model_name": facts.model,
        "last_seen": upload.received_at,
        "last_upload": upload,
        "last_agent_time": upload.agent_time,
    }
    device, created = TriageDevice.objects.select_for_update().get_or_create(
        owner_id=upload.owner_id, device_id=facts.device_id, defaults={**values, "first_seen": upload.received_at}
    )
    if created:
        record_event(actor, role, AuditEventType.CREATED, device, extra={"action": "triage", "upload": upload.pk})
        return None, True
    if is_older(upload, device.last_upload_id, device.last_agent_time):
        return None, False
    values["last_seen"] = max(device.last_seen, upload.received_at)
    for k, v in values.items():
        setattr(device, k, v)
    device.save(update_fields=list(values))
    return None, True


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
        locked = Asset.objects.select_for_update().get(pk=asset.pk)
        return apply_facts(locked, facts_of(device.last_upload), device.last_upload, actor=actor, role=role)[0]
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
