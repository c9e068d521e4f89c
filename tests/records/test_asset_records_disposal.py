"""Disposal of the asset records in the information management plan: device history (who held which
device, seven years after the loan ended) and inventory data (agent payloads held for the owner,
one year after receipt). Neither is searched by an access request."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from samdrift.assets.models import Asset, AssetAssignment, InventoryUpload
from samdrift.records import actions
from samdrift.records.models import BatchStatus, RecordType
from samdrift.records.sources import SOURCES
from tests.records.test_register_disposal_gdpr import _chromebook


def _decided(code: str, officer: Any, **more: Any) -> RecordType:
    rule = RecordType.objects.get(code=code)
    return actions.do_update_record_type(rule, {"decision": "Dokumenthanteringsplan § 5", **more}, actor=officer)


def test_device_history_goes_seven_years_after_the_loan_ended(rw: Any) -> None:
    from samdrift.assets import actions as assets

    asset = _chromebook(rw)
    assets.do_check_in_asset(asset, actor=rw.admin)
    assets.do_check_out_asset(asset, rw.hoor.employee, actor=rw.admin)  # still on loan: kept
    # The history is a row per period (in stock, with the pupil, in stock again, with the employee).
    ended = set(AssetAssignment.objects.filter(asset=asset, ended_at__isnull=False).values_list("pk", flat=True))
    assert AssetAssignment.objects.filter(pk__in=ended, person=rw.hoor.pupil).exists()
    running = AssetAssignment.objects.get(asset=asset, ended_at__isnull=True)
    rule = _decided("device_history", rw.officer)
    assert rule.retention_years == 7 and rule.retention_event == "closed"
    now = timezone.now()
    assert actions.propose_disposal(rule, actor=rw.officer, now=now + timedelta(days=365 * 7 - 2)) is None
    batch = actions.propose_disposal(rule, actor=rw.officer, now=now + timedelta(days=365 * 7 + 3))
    assert batch is not None and set(batch.items.values_list("object_id", flat=True)) == ended
    actions.do_approve_batch(batch, "Dokumenthanteringsplan § 5", actor=rw.officer)
    batch = actions.do_execute_batch(batch, actor=rw.officer)
    assert batch.status == BatchStatus.EXECUTED and batch.disposed_count == len(ended)
    assert not AssetAssignment.objects.filter(pk__in=ended).exists()
    assert AssetAssignment.objects.filter(pk=running.pk).exists() and Asset.objects.filter(pk=asset.pk).exists()


def test_anonymising_device_history_keeps_the_loan_without_the_person(rw: Any) -> None:
    from samdrift.assets import actions as assets

    asset = _chromebook(rw)
    assets.do_check_in_asset(asset, actor=rw.admin)
    rule = _decided("device_history", rw.officer, disposal_method="anonymise")
    batch = actions.propose_disposal(rule, actor=rw.officer, now=timezone.now() + timedelta(days=365 * 8))
    assert batch is not None
    actions.do_approve_batch(batch, "Dokumenthanteringsplan § 5", actor=rw.officer)
    actions.do_execute_batch(batch, actor=rw.officer)
    periods = AssetAssignment.objects.filter(asset=asset)
    assert periods.filter(ended_at__isnull=False).count() >= 2, "the periods stay"
    assert not periods.filter(ended_at__isnull=False, person__isnull=False).exists(), "without the person"


def test_inventory_payloads_go_a_year_after_receipt_and_the_asset_keeps_its_facts(rw: Any, client: Any) -> None:
    from samdrift.assets import actions as assets

    _key, secret = assets.do_create_agent_key({"owner": rw.hoor.owner, "name": "Höör"}, actor=rw.admin)
    body = zlib.compress(b"<REQUEST><DEVICEID>cb-1</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>")
    assert (
        client.post(reverse("inventory_endpoint", args=[secret]), data=body, content_type="text/xml").status_code == 200
    )
    old = InventoryUpload.objects.get()
    InventoryUpload.objects.filter(pk=old.pk).update(received_at=datetime(2025, 1, 10, tzinfo=UTC))
    client.post(reverse("inventory_endpoint", args=[secret]), data=body, content_type="text/xml")
    new = InventoryUpload.objects.exclude(pk=old.pk).get()
    rule = _decided("inventory", rw.officer)
    assert (rule.retention_years, rule.retention_event, rule.ownership) == (1, "created", "owner_data")
    batch = actions.propose_disposal(rule, actor=rw.officer)
    assert batch is not None and list(batch.items.values_list("object_id", flat=True)) == [old.pk]
    actions.do_approve_batch(batch, "Dokumenthanteringsplan § 5", actor=rw.officer)
    actions.do_execute_batch(batch, actor=rw.officer)
    assert list(InventoryUpload.objects.values_list("pk", flat=True)) == [new.pk]


def test_an_access_request_search_does_not_walk_them(rw: Any) -> None:
    assert "assets.assetassignment" not in SOURCES and "assets.inventoryupload" not in SOURCES
