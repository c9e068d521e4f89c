"""The inventory endpoint: protocol, matching, triage, and refusing bad payloads clearly (4xx,
kept for inspection, never a 500)."""

from __future__ import annotations

import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from samdrift.assets import actions, inventory
from samdrift.assets.models import Asset, InstalledSoftware, InventoryUpload, TriageDevice, UploadStatus
from samdrift.assets.tasks import retry_inventory_uploads
from samdrift.core.models import AuditEvent, AuditEventType
from tests.worlds.assets import tiny_inventory

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).parent / "data" / "fusioninventory-local.xml"
OCS_SAMPLE = Path(__file__).parent / "data" / "ocsinventory-2.10.xml"
BOM = b"\xef\xbb\xbf"


def inventory_xml(
    device_id: str,
    *,
    mac: str = "3c:52:82:00:00:01",
    serial: str = "",
    memory: int = 8192,
    logdate: str = "",
    hostname: str = "h",
) -> bytes:
    """A small FusionInventory-style INVENTORY, compressed as agents send it."""
    log = f"<ACCESSLOG><LOGDATE>{logdate}</LOGDATE></ACCESSLOG>" if logdate else ""
    xml = f"""<?xml version="1.0" encoding="UTF-8" ?>
<REQUEST><CONTENT>{log}
  <BIOS><SSN>{serial}</SSN><SMANUFACTURER>Acme</SMANUFACTURER></BIOS>
  <HARDWARE><NAME>{hostname}</NAME><MEMORY>{memory}</MEMORY></HARDWARE>
  <NETWORKS><DESCRIPTION>eth0</DESCRIPTION><MACADDR>{mac}</MACADDR></NETWORKS>
  <OPERATINGSYSTEM><TIMEZONE><OFFSET>+0100</OFFSET></TIMEZONE></OPERATINGSYSTEM>
</CONTENT><DEVICEID>{device_id}</DEVICEID><QUERY>INVENTORY</QUERY></REQUEST>"""
    return zlib.compress(xml.encode())


def latest_upload() -> InventoryUpload:
    upload = InventoryUpload.objects.order_by("-id").first()
    assert upload is not None
    return upload


def post(client: Any, world: Any, body: bytes, owner: str = "a") -> Any:
    secret = getattr(world, owner).extra["agent_secret"]
    client.cookies["django_language"] = "en"  # the messages below are checked in English
    return client.post(
        reverse("inventory_endpoint", args=[secret]),
        data=body,
        content_type="application/x-compress-zlib",
        headers={"accept-language": "en"},
    )


def reply(response: Any) -> bytes:
    return zlib.decompress(response.content)


def test_prolog_is_answered_with_send_and_kept(world: Any, client: Any) -> None:
    body = zlib.compress(b"<?xml version='1.0'?><REQUEST><DEVICEID>d1</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>")
    response = post(client, world, body)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-compress-zlib"
    text = reply(response)
    assert b"<PROLOG_FREQ>24</PROLOG_FREQ>" in text and b"<RESPONSE>SEND</RESPONSE>" in text
    upload = InventoryUpload.objects.order_by("-id").first()
    assert upload is not None and (upload.status, upload.query, upload.device_id) == ("prolog", "PROLOG", "d1")
    assert bytes(upload.raw) == body


def test_sample_inventory_lands_in_triage_then_becomes_an_asset_with_its_facts(world: Any, client: Any) -> None:
    response = post(client, world, zlib.compress(SAMPLE.read_bytes()))
    assert response.status_code == 200 and b"NO_ACCOUNT_UPDATE" in reply(response)
    upload = InventoryUpload.objects.order_by("-id").first()
    assert upload is not None and upload.status == UploadStatus.TRIAGE
    device = TriageDevice.objects.get(owner=world.a.owner, device_id=upload.device_id)
    assert device.hostname == "vm" and device.serial_number == ""  # a VM has an empty BIOS serial
    event = AuditEvent.objects.filter(object_type="assets.triagedevice", object_id=str(device.pk)).get()
    assert event.event_type == AuditEventType.CREATED and event.actor_role == "system"

    # The same device again: still one triage row, no asset made behind anyone's back.
    assets = Asset.objects.count()
    post(client, world, zlib.compress(SAMPLE.read_bytes()))
    assert TriageDevice.objects.filter(device_id=upload.device_id).count() == 1
    assert Asset.objects.count() == assets

    asset = inventory.do_create_asset_from_triage(
        device, {"asset_tag": "VM-1", "model": world.a.extra["asset_model"]}, actor=world.technician
    )
    asset.refresh_from_db()
    assert asset.cpu == "AMD EPYC" and asset.memory_mb == 24105
    assert asset.os_name == "Debian GNU/Linux 12 (bookworm)" and asset.os_version == "12.11"
    assert asset.hardware["disks"][0]["total_mb"] == 258019
    assert InstalledSoftware.objects.filter(asset=asset).count() > 700
    assert asset.last_seen is not None
    link = AuditEvent.objects.filter(object_type="assets.triagedevice", extra__action="link").get()
    assert link.changes == {"resolved_asset": [None, asset.pk]}

    # Next time the agent reports, it is matched (by MAC) and updates the asset.
    post(client, world, zlib.compress(SAMPLE.read_bytes()))
    latest = InventoryUpload.objects.order_by("-id").first()
    assert latest is not None and latest.status == UploadStatus.MATCHED and latest.asset_id == asset.pk
    # Nothing changed since the last report: the upload row records it, the audit trail does not.
    assert AuditEvent.objects.filter(object_id=str(asset.pk), extra__action="inventory").count() == 1


@pytest.mark.parametrize("how", ["serial", "device_id", "uuid", "mac"])
def test_matching_by_serial_then_device_id_then_uuid_then_mac(world: Any, client: Any, how: str) -> None:
    asset = world.a.extra["asset"]
    if how == "device_id":
        Asset.objects.filter(pk=asset.pk).update(agent_device_id="x1")
        body = tiny_inventory("x1", "h1", "02:aa:00:00:00:01")
    elif how == "serial":
        body = tiny_inventory("x1", "h1", "02:aa:00:00:00:01", serial=asset.serial_number)
    elif how == "uuid":
        Asset.objects.filter(pk=asset.pk).update(hardware_uuid="4C4C4544-0042-3510-8048-B4C04F4B4E31")
        xml = zlib.decompress(tiny_inventory("x1", "h1", "02:aa:00:00:00:01")).replace(
            b"<MEMORY>", b"<UUID>4c4c4544-0042-3510-8048-b4c04f4b4e31</UUID><MEMORY>"
        )
        body = zlib.compress(xml)
    else:
        # The asset's agent reported a maker-assigned MAC; another agent on it (reinstalled, with a
        # new device id) reports no serial and that MAC.
        device = TriageDevice.objects.get(owner=world.a.owner, device_id=f"dev-{world.a.marker}")
        inventory.do_link_triage_device(device, asset, actor=world.technician)
        assert post(client, world, tiny_inventory(device.device_id, "h0", "3c:52:82:aa:bb:01")).status_code == 200
        body = tiny_inventory("x1", "h1", "3c:52:82:aa:bb:01")
    assert post(client, world, body).status_code == 200
    upload = InventoryUpload.objects.order_by("-id").first()
    assert upload is not None and upload.status == UploadStatus.MATCHED and upload.asset_id == asset.pk
    asset.refresh_from_db()
    assert asset.hostname == "h1" and asset.memory_mb == 8192
    event = AuditEvent.objects.filter(object_id=str(asset.pk), extra__action="inventory").order_by("-id").first()
    assert event is not None and event.changes["hostname"][1] == "h1"


def test_devices_of_another_owner_are_never_matched(world: Any, client: Any) -> None:
    b_asset = world.b.extra["asset"]
    post(client, world, tiny_inventory("x2", "h2", "02:bb:00:00:00:01", serial=b_asset.serial_number))
    upload = InventoryUpload.objects.order_by("-id").first()
    assert upload is not None and upload.status == UploadStatus.TRIAGE and upload.owner_id == world.a.owner.pk


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 400, "empty"),
        (b"\x00\x01garbage bytes", 400, "neither XML nor zlib"),
        (zlib.compress(b"<REQUEST><QUERY>INVENTORY</QUERY>" * 50)[:-20], 400, "truncated"),
        (b"<REQUEST><QUERY>INVENTORY</QUERY><CONTENT>", 400, "not well-formed"),
        (b"<HELLO/>", 400, "Expected a <REQUEST>"),
        (b"<REQUEST><QUERY>SNMPQUERY</QUERY></REQUEST>", 400, "Unsupported QUERY"),
        (b"<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>d</DEVICEID></REQUEST>", 400, "CONTENT"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b"<REQUEST><QUERY>PROLOG</QUERY><DEVICEID>&b;</DEVICEID></REQUEST>",
            200,
            "",
        ),
    ],
)
def test_bad_payloads_get_a_clear_4xx_and_are_kept(
    world: Any, client: Any, body: bytes, status: int, message: str
) -> None:
    response = post(client, world, body)
    assert response.status_code == status
    upload = InventoryUpload.objects.order_by("-id").first()
    assert upload is not None and bytes(upload.raw) == body
    if status == 400:
        assert message in response.content.decode()
        assert upload.status == UploadStatus.REJECTED and message in upload.error
    else:
        assert upload.device_id == ""  # entities are not expanded


def test_oversized_uploads_are_cut_kept_and_refused(world: Any, client: Any, settings: Any) -> None:
    settings.SAMDRIFT_INVENTORY_MAX_BYTES = 1000
    response = post(client, world, b"<REQUEST>" + b"x" * 5000)
    assert response.status_code == 413
    upload = InventoryUpload.objects.order_by("-id").first()
    assert upload is not None and upload.truncated and upload.size == 1000 and upload.status == "rejected"


def test_decompression_bombs_are_refused(world: Any, client: Any, settings: Any) -> None:
    settings.SAMDRIFT_INVENTORY_MAX_XML_BYTES = 10_000
    response = post(client, world, zlib.compress(b"<REQUEST>" + b" " * 1_000_000 + b"</REQUEST>"))
    assert response.status_code == 413


def test_unknown_key_and_wrong_method(world: Any, client: Any, web: Any) -> None:
    uploads = InventoryUpload.objects.count()
    assert (
        client.post(reverse("inventory_endpoint", args=["nope"]), data=b"x", content_type="text/xml").status_code == 403
    )
    key = world.a.extra["agent_key"]
    actions.do_set_agent_key_active(key, False, actor=world.admin)
    assert post(client, world, tiny_inventory("d", "h", "02:00:00:00:00:09")).status_code == 403
    assert InventoryUpload.objects.count() == uploads
    # A logged-in user of another owner gets nothing either, by any method.
    b_url = reverse("inventory_endpoint", args=[world.b.extra["agent_secret"]])
    user_client = web(world.a.viewer)
    assert user_client.get(b_url).status_code == 405
    assert user_client.post(b_url, {"name": "x"}).status_code == 400
    assert world.b.marker not in user_client.post(b_url, {"name": "x"}).content.decode()


def test_a_processing_failure_is_kept_for_retry_and_never_a_500(world: Any, client: Any, monkeypatch: Any) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(inventory, "do_apply_inventory", boom)
    response = post(client, world, tiny_inventory("f1", "h", "02:cc:00:00:00:01"))
    assert response.status_code == 200
    upload = InventoryUpload.objects.order_by("-id").first()
    assert upload is not None and upload.status == UploadStatus.FAILED and "RuntimeError: bug" in upload.error
    monkeypatch.undo()
    InventoryUpload.objects.filter(pk=upload.pk).update(received_at=timezone.now() - timedelta(hours=1))
    result = retry_inventory_uploads.call()
    assert result == {"processed": 1}
    upload.refresh_from_db()
    assert upload.status == UploadStatus.TRIAGE


def test_plain_xml_gets_a_plain_reply(world: Any, client: Any) -> None:
    response = post(client, world, b"<REQUEST><DEVICEID>p</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>")
    assert response.status_code == 200 and response.content.startswith(b"<?xml")


@pytest.mark.parametrize("prefix", [BOM, BOM + b"\r\n", b"\n  "])
def test_plain_xml_with_a_byte_order_mark_or_leading_blanks_is_accepted(world: Any, client: Any, prefix: bytes) -> None:
    prolog = b'<?xml version="1.0" encoding="UTF-8"?>\n<REQUEST><DEVICEID>bom</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>'
    response = post(client, world, prefix + prolog)
    assert response.status_code == 200, response.content
    assert b"<RESPONSE>SEND</RESPONSE>" in response.content
    xml = zlib.decompress(inventory_xml("bom", serial=world.a.extra["asset"].serial_number, memory=4096))
    response = post(client, world, prefix + xml)
    assert response.status_code == 200, response.content
    assert latest_upload().status == UploadStatus.MATCHED and bytes(latest_upload().raw) == prefix + xml
    # Inside the compressed body too.
    assert post(client, world, zlib.compress(BOM + xml)).status_code == 200
    assert latest_upload().status == UploadStatus.MATCHED


def test_the_key_records_when_it_was_last_used_to_the_minute(world: Any, client: Any) -> None:
    from samdrift.assets.models import AgentKey

    prolog = b"<REQUEST><DEVICEID>k</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>"
    key = AgentKey.objects.filter(owner=world.a.owner).get()
    AgentKey.objects.filter(pk=key.pk).update(last_used=None)
    post(client, world, prolog)
    first = AgentKey.objects.get(pk=key.pk).last_used
    assert first is not None
    post(client, world, prolog)  # within the minute: the key's row is not rewritten
    assert AgentKey.objects.get(pk=key.pk).last_used == first
    AgentKey.objects.filter(pk=key.pk).update(last_used=first - timedelta(minutes=5))
    post(client, world, prolog)
    assert AgentKey.objects.get(pk=key.pk).last_used > first


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_runs_the_inventory_retry_on_the_worker(world: Any) -> None:
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    call_command("scheduler", "--once")
    call_command("db_worker", "--batch", "--no-startup-delay")
    result = DBTaskResult.objects.get(task_path="samdrift.assets.tasks.retry_inventory_uploads")
    assert result.status == "SUCCESSFUL", result.traceback
    assert result.return_value == {"processed": 0}


# --- inventory in the agent's order ----------------------------------------------------------


def test_an_older_inventory_never_overwrites_a_newer_one(world: Any, client: Any) -> None:
    """The agent's own time (ACCESSLOG/LOGDATE) orders inventories of a device, not their arrival."""
    asset = world.a.extra["asset"]
    now = timezone.localtime(timezone.now(), timezone.get_fixed_timezone(60))
    newer = (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    older = (now - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
    post(client, world, inventory_xml("d-1", serial=asset.serial_number, memory=32768, logdate=newer))
    applied = latest_upload()
    assert applied.status == UploadStatus.MATCHED and applied.agent_time is not None
    assert abs(applied.agent_time - (now - timedelta(hours=1))) < timedelta(seconds=1)
    events = AuditEvent.objects.filter(object_id=str(asset.pk), extra__action="inventory").count()

    asset.refresh_from_db()
    seen = asset.last_seen
    response = post(client, world, inventory_xml("d-1", serial=asset.serial_number, memory=16384, logdate=older))
    assert response.status_code == 200 and b"NO_ACCOUNT_UPDATE" in reply(response)  # the agent is answered
    stale = latest_upload()
    assert stale.status == UploadStatus.STALE and stale.asset_id == asset.pk and stale.agent_time is not None
    asset.refresh_from_db()
    assert asset.memory_mb == 32768 and asset.inventory_upload_id == applied.pk
    assert asset.last_seen == seen  # stale data does not make the device look newly seen
    assert AuditEvent.objects.filter(object_id=str(asset.pk), extra__action="inventory").count() == events

    # A clock far off (a flat BIOS battery, 2099) is not an order: the arrival order decides.
    post(client, world, inventory_xml("d-1", serial=asset.serial_number, memory=65536, logdate="2099-01-01 00:00:00"))
    wrong_clock = latest_upload()
    assert wrong_clock.agent_time is None and wrong_clock.status == UploadStatus.MATCHED
    asset.refresh_from_db()
    assert asset.memory_mb == 65536 and asset.last_seen > seen


def test_an_interrupted_upload_processed_late_does_not_roll_the_device_back(world: Any, client: Any) -> None:
    """A web worker killed after storing an upload: the retry task processes it minutes later, after
    a newer upload of the same device. Without agent times the order received decides."""
    asset = world.a.extra["asset"]
    key = world.a.extra["agent_key"]
    kept = inventory.do_receive_inventory_upload(
        key,
        inventory_xml("d-2", serial=asset.serial_number, memory=16384),
        truncated=False,
        content_type="",
        remote_addr=None,
    )  # stored, then the worker died: never processed
    assert kept.status == UploadStatus.RECEIVED
    post(client, world, inventory_xml("d-2", serial=asset.serial_number, memory=32768))
    newer = latest_upload()
    assert newer.status == UploadStatus.MATCHED
    asset.refresh_from_db()
    seen = asset.last_seen
    assert seen == newer.received_at

    InventoryUpload.objects.filter(pk=kept.pk).update(received_at=timezone.now() - timedelta(minutes=6))
    assert retry_inventory_uploads.call() == {"processed": 1}
    kept.refresh_from_db()
    assert kept.status == UploadStatus.STALE and kept.processed_at is not None
    asset.refresh_from_db()
    assert asset.memory_mb == 32768 and asset.last_seen == seen and asset.inventory_upload_id == newer.pk

    # The same holds for a device still in triage: its row keeps the newest report.
    other = inventory.do_receive_inventory_upload(
        key,
        inventory_xml("d-3", mac="3c:52:82:00:00:33", hostname="old-name"),
        truncated=False,
        content_type="",
        remote_addr=None,
    )
    post(client, world, inventory_xml("d-3", mac="3c:52:82:00:00:33", hostname="new-name"))
    InventoryUpload.objects.filter(pk=other.pk).update(received_at=timezone.now() - timedelta(minutes=6))
    retry_inventory_uploads.call()
    other.refresh_from_db()
    assert other.status == UploadStatus.STALE
    device = TriageDevice.objects.get(owner=world.a.owner, device_id="d-3")
    assert device.hostname == "new-name" and device.last_upload_id == latest_upload().pk


# --- matching that does not merge machines ---------------------------------------------------


def test_two_virtual_machines_sharing_02_fc_00_00_00_01_stay_two_assets(world: Any, client: Any, web: Any) -> None:
    """The case of issue 13: every VM of one kind reports 02:fc:00:00:00:01 and no serial. The OCS
    agent's inventory of one is an asset; FusionInventory's of another must not overwrite it."""
    post(client, world, zlib.compress(OCS_SAMPLE.read_bytes()))
    first = latest_upload()
    assert first.status == UploadStatus.TRIAGE
    device = TriageDevice.objects.get(owner=world.a.owner, device_id=first.device_id)
    assert "02:fc:00:00:00:01" in device.macs
    asset = inventory.do_create_asset_from_triage(
        device, {"asset_tag": "VM-OCS", "model": world.a.extra["asset_model"]}, actor=world.technician
    )
    assert InstalledSoftware.objects.filter(asset=asset).count() == 916
    page = web(world.technician).get(asset.get_absolute_url()).content.decode()
    assert "Intel(R) Xeon(R) Processor @ 2.80GHz (2 kärnor, 2 trådar)" in page and "x86_64" in page

    post(client, world, zlib.compress(SAMPLE.read_bytes()))  # another VM, another agent, the same MAC
    second = latest_upload()
    assert second.status == UploadStatus.TRIAGE and second.asset_id is None
    assert InstalledSoftware.objects.filter(asset=asset).count() == 916
    assert TriageDevice.objects.filter(owner=world.a.owner, device_id=second.device_id).exists()

    post(client, world, zlib.compress(OCS_SAMPLE.read_bytes()))  # the first VM again: its device id
    assert latest_upload().status == UploadStatus.MATCHED and latest_upload().asset_id == asset.pk


def test_a_mac_seen_on_another_machine_does_not_match(world: Any, client: Any) -> None:
    asset = world.a.extra["asset"]
    dock = "3c:52:82:dd:00:01"  # a maker-assigned MAC, say of a dock at a hot desk
    post(client, world, inventory_xml("own", serial=asset.serial_number, mac=dock))
    assert latest_upload().status == UploadStatus.MATCHED
    # Another laptop in the same dock: its serial differs from the asset's, so the MAC does not count.
    post(client, world, inventory_xml("other", serial="SN-OTHER-1", mac=dock))
    assert latest_upload().status == UploadStatus.TRIAGE
    # A third without a serial: the MAC is now on two devices (the asset and the unmatched laptop).
    post(client, world, inventory_xml("third", mac=dock))
    assert latest_upload().status == UploadStatus.TRIAGE
    asset.refresh_from_db()
    assert asset.agent_device_id == "own"
    # A device id copied with a cloned disk does not carry a machine with another serial along.
    post(client, world, inventory_xml("own", serial="SN-CLONE-2", mac="3c:52:82:dd:00:02"))
    assert latest_upload().status == UploadStatus.TRIAGE


@pytest.mark.parametrize(
    ("mac", "unique"),
    [
        ("3c:52:82:11:22:33", True),
        ("02:fc:00:00:00:01", False),  # locally administered: VMs, containers, random Wi-Fi addresses
        ("f6:ee:66:09:51:ad", False),  # locally administered too (0xf6 has the 0x02 bit)
        ("01:00:5e:00:00:01", False),  # a group address
        ("00:50:56:aa:bb:cc", False),  # VMware
        ("08:00:27:aa:bb:cc", False),  # VirtualBox
        ("00:15:5d:aa:bb:cc", False),  # Hyper-V
        ("00:e0:4c:68:00:01", False),  # Realtek USB Ethernet of docks
        ("a4:bb:6d:00:00:01", False),  # the installation's own dock range (setting)
    ],
)
def test_which_macs_may_identify_a_machine_alone(settings: Any, mac: str, unique: bool) -> None:
    settings.SAMDRIFT_INVENTORY_UNTRUSTED_MAC_PREFIXES = ["A4-BB-6D"]
    assert inventory.is_unique_mac(mac) is unique


# --- the OCS Inventory agent -----------------------------------------------------------------


def test_the_ocs_agents_inventory_is_mapped_in_full() -> None:
    """Debian's OCS agent 2.10 names the CPU CPUS/TYPE (with CORES, THREADS, LOGICAL_CPUS, CPUARCH)
    and the OS in HARDWARE; the facts come out as FusionInventory's do."""
    facts = inventory.extract_facts(inventory.parse_request(OCS_SAMPLE.read_bytes()))
    assert facts.cpu == "Intel(R) Xeon(R) Processor @ 2.80GHz"
    cpu = facts.hardware["cpus"][0]
    assert (cpu["cores"], cpu["threads"], cpu["logical"], cpu["arch"], cpu["speed"]) == (
        "2",
        "2",
        "2",
        "x86_64",
        "2800",
    )
    assert cpu["manufacturer"] == "Intel"
    assert facts.hardware["os"] == {
        "name": "Debian GNU/Linux 12",
        "full_name": "Debian GNU/Linux 12",
        "version": "12",
        "kernel": "",  # OCS 2.10 sends none when it recognises the distribution
        "arch": "x86_64",
    }
    assert (facts.hostname, facts.memory_mb, facts.os_name, facts.os_version) == (
        "vm",
        24105,
        "Debian GNU/Linux 12",
        "12",
    )
    assert facts.hardware["disks"][0] == {
        "volume": "/dev/vda",
        "mount": "/",
        "filesystem": "ext4",
        "total_mb": 258019,
        "free_mb": 79113,
    }
    assert facts.hardware["storages"][0]["name"] == "vda" and facts.hardware["vm"] == "Physical"
    assert "02:fc:00:00:00:01" in facts.macs and len(facts.software) == 916
    assert facts.software[0] == {"name": "adduser", "version": "3.134", "publisher": ""}

    # On a Linux it does not recognise, OSVERSION holds the kernel release; elsewhere the OS version.
    unknown = OCS_SAMPLE.read_bytes().replace(b"<OSNAME>Debian GNU/Linux 12</OSNAME>", b"<OSNAME>Linux</OSNAME>")
    unknown = unknown.replace(b"<OSVERSION>12</OSVERSION>", b"<OSVERSION>6.1.0-28-amd64</OSVERSION>")
    assert inventory.extract_facts(inventory.parse_request(unknown)).hardware["os"]["kernel"] == "6.1.0-28-amd64"
    # FusionInventory's own names still win.
    fusion = inventory.extract_facts(inventory.parse_request(SAMPLE.read_bytes()))
    assert fusion.cpu == "AMD EPYC" and fusion.hardware["os"]["kernel"] == "6.1.0-28-amd64"
    assert fusion.hardware["os"]["arch"] == "x86_64" and fusion.hardware["cpus"][0]["cores"] == "2"


# --- a database that is away -----------------------------------------------------------------


def _database_away(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    from django.db import OperationalError

    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")


@pytest.mark.django_db(transaction=True)
def test_while_the_database_is_away_agents_get_503_with_retry_after(world: Any, client: Any) -> None:
    from django.db import connection

    uploads = InventoryUpload.objects.count()
    body = inventory_xml("away", serial=world.a.extra["asset"].serial_number, memory=2048)
    with connection.execute_wrapper(_database_away):
        response = post(client, world, body)
    assert response.status_code == 503 and response["Retry-After"] == "300"
    assert response["Content-Type"].startswith("text/plain") and "database" in response.content.decode()
    assert InventoryUpload.objects.count() == uploads  # nothing acknowledged, so nothing to lose

    # The database goes away after the upload is stored (committed), while it is processed: kept,
    # and processed by the retry task.
    def away_after_storing(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        processing = "assets_asset" in sql or "assets_triagedevice" in sql or sql.startswith("UPDATE")
        if processing and "assets_agentkey" not in sql:
            return _database_away(execute, sql, params, many, context)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(away_after_storing):
        response = post(client, world, body)
    assert response.status_code == 503 and response["Retry-After"] == "300"
    kept = latest_upload()
    assert kept.status == UploadStatus.RECEIVED and bytes(kept.raw) == body
    InventoryUpload.objects.filter(pk=kept.pk).update(received_at=timezone.now() - timedelta(minutes=6))
    assert retry_inventory_uploads.call() == {"processed": 1}
    kept.refresh_from_db()
    assert kept.status == UploadStatus.MATCHED
    assert Asset.objects.get(pk=world.a.extra["asset"].pk).memory_mb == 2048


@pytest.mark.django_db(transaction=True)
def test_a_real_postgresql_outage_gets_503_and_the_agent_is_served_when_it_is_back(world: Any, client: Any) -> None:
    """PostgreSQL only: the server drops our connection and refuses new ones (as during a restart);
    the agent gets 503 with Retry-After each time, and a normal answer once the database is back."""
    import psycopg
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a real outage needs PostgreSQL; the SQLite run covers the same path by execute_wrapper")
    params = connection.get_connection_params()
    name = connection.settings_dict["NAME"]
    admin = psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True)
    body = inventory_xml("outage", serial=world.a.extra["asset"].serial_number, memory=1024)
    uploads = InventoryUpload.objects.count()
    try:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
        for _attempt in range(2):  # a dropped connection, then a refused one
            response = post(client, world, body)
            assert response.status_code == 503 and response["Retry-After"] == "300", response.content
    finally:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        admin.close()
    connection.close()
    assert InventoryUpload.objects.count() == uploads
    response = post(client, world, body)
    assert response.status_code == 200 and latest_upload().status == UploadStatus.MATCHED
    assert Asset.objects.get(pk=world.a.extra["asset"].pk).memory_mb == 1024
