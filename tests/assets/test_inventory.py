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


@pytest.mark.parametrize("how", ["serial", "uuid", "mac"])
def test_matching_by_serial_then_uuid_then_mac(world: Any, client: Any, how: str) -> None:
    asset = world.a.extra["asset"]
    if how == "serial":
        body = tiny_inventory("x1", "h1", "02:aa:00:00:00:01", serial=asset.serial_number)
    elif how == "uuid":
        Asset.objects.filter(pk=asset.pk).update(hardware_uuid="4C4C4544-0042-3510-8048-B4C04F4B4E31")
        xml = zlib.decompress(tiny_inventory("x1", "h1", "02:aa:00:00:00:01")).replace(
            b"<MEMORY>", b"<UUID>4c4c4544-0042-3510-8048-b4c04f4b4e31</UUID><MEMORY>"
        )
        body = zlib.compress(xml)
    else:
        body = tiny_inventory("x1", "h1", "02:00:00:00:00:01")  # the MAC the world's agent reported
        actions_link = TriageDevice.objects.get(owner=world.a.owner, device_id=f"dev-{world.a.marker}")
        inventory.do_link_triage_device(actions_link, asset, actor=world.technician)
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
