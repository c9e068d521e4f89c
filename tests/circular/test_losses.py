"""Lost and stolen devices follow their own path: a loss report by staff or by the device's own
user, the device to lost or stolen, out of its take-back batch, an incident for the security
officer, an official record under the plan; and devices missing from a partner report after the
deadline are put in a new batch or reported lost."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from samdrift.assets import actions as asset_actions
from samdrift.assets.models import Asset, AssetStatus
from samdrift.circular import actions, reports
from samdrift.circular.losses import do_report_loss
from samdrift.circular.models import Batch, BatchItem, ItemState, LossReport, Problem, ReportLine, ReportState
from samdrift.core.audit import verify_chain
from samdrift.core.models import AuditEvent
from samdrift.records.models import RecordType
from samdrift.servicedesk.models import Ticket
from tests.circular.samples.make_samples import A, B
from tests.circular.test_takeback import _received_batch
from tests.worlds.circular import awaiting_erasure

STOLEN = {
    "kind": "stolen",
    "occurred_on": date(2026, 11, 20),
    "place": "Centralstationen",
    "police_report": "5000-K123",
}


def _packed(world: Any) -> tuple[Batch, Asset, Asset]:
    model, tech = world.extra["circular_model"], world.technician
    one = awaiting_erasure(world.a, model, "FÖR-1", "FORSN1")
    two = awaiting_erasure(world.a, model, "FÖR-2", "FORSN2")
    batch = actions.do_create_batch({"partner": world.extra["circular_partner"]}, actor=tech)
    actions.do_add_batch_items(batch, [one, two], actor=tech, box="K1", seal="S1")
    return batch, one, two


def test_a_stolen_device_leaves_its_batch_and_raises_an_incident(world: Any, web: Any) -> None:
    tech = world.technician
    batch, one, two = _packed(world)
    events = AuditEvent.objects.count()
    for bad, field in (
        ({**STOLEN, "police_report": ""}, "police_report"),
        ({**STOLEN, "place": " "}, "place"),
        ({**STOLEN, "occurred_on": timezone.localdate() + timedelta(days=1)}, "occurred_on"),
        ({**STOLEN, "kind": "broken"}, "kind"),
    ):
        with pytest.raises(ValidationError) as exc:
            do_report_loss(one, bad, actor=tech)
        assert field in exc.value.message_dict
    assert AuditEvent.objects.count() == events and Asset.objects.get(pk=one.pk).status == AssetStatus.AWAITING_ERASURE

    loss = do_report_loss(one, {**STOLEN, "encrypted": True, "description": "Ryggsäcken stulen"}, actor=tech)
    assert loss.number.startswith("FA-") and loss.kind == "stolen" and loss.status_before == "awaiting_erasure"
    assert Asset.objects.get(pk=one.pk).status == AssetStatus.STOLEN
    item = BatchItem.objects.get(asset=one)
    assert item.state == ItemState.LOST and loss.batch_item == item
    assert BatchItem.objects.get(asset=two).state == ItemState.PACKED
    ticket = Ticket.objects.get(number=loss.ticket_number)
    assert ticket.owner == world.a.owner and ticket.requester == world.a.employee and ticket.confidential
    assert ticket.type == "incident" and list(ticket.assets.all()) == [one] and "5000-K123" in ticket.description
    with pytest.raises(ValidationError):
        do_report_loss(Asset.objects.get(pk=one.pk), STOLEN, actor=tech)  # already reported
    # The pickup order leaves it out; the batch shows it left; the asset page shows the report.
    actions.do_order_pickup(batch, actor=tech)
    page = web(tech).get(reverse("circular_batch_detail", args=[batch.pk])).content.decode()
    assert "Förlorad eller stulen (lämnat omgången)" in page
    page = web(world.a.viewer).get(reverse("asset_detail", args=[one.pk])).content.decode()
    assert loss.number in page
    # An official record with its retention in the plan; the trail verifies.
    record_type = RecordType.objects.get(code="FORLUSTANMALAN")
    assert record_type.content_type.model == "lossreport" and record_type.retention_years == 10
    assert verify_chain().ok
    assert AuditEvent.objects.filter(verb="report_loss", object_id=str(loss.pk)).exists()
    assert AuditEvent.objects.filter(verb="left_batch_lost", object_id=str(item.pk)).exists()


def test_owner_staff_report_only_the_devices_they_hold(world: Any, web: Any) -> None:
    model = world.extra["circular_model"]
    end_user = world.a.end_user
    mine = asset_actions.do_create_asset(
        {"owner": world.a.owner, "asset_tag": "MIN-1", "model": model, "serial_number": "MINSN1"}, actor=None
    )
    holder = end_user.person
    asset_actions.do_check_out_asset(mine, holder, actor=None)
    other = asset_actions.do_create_asset(
        {"owner": world.a.owner, "asset_tag": "ANN-1", "model": model, "serial_number": "ANNSN1"}, actor=None
    )
    with pytest.raises(PermissionDenied):
        do_report_loss(other, {**STOLEN, "kind": "lost"}, actor=end_user)
    with pytest.raises(PermissionDenied):
        do_report_loss(mine, {**STOLEN, "kind": "lost"}, actor=world.a.viewer)  # sees it, does not hold it
    with pytest.raises(PermissionDenied):
        do_report_loss(mine, {**STOLEN, "kind": "lost"}, actor=world.b.end_user)
    response = web(end_user).post(
        reverse("circular_loss_create", args=[mine.pk]),
        {"kind": "lost", "occurred_on": "2026-11-25", "place": "Bussen", "remotely_wiped": "on"},
    )
    assert response.status_code == 302
    loss = LossReport.objects.get(asset=mine)
    assert loss.reporter_person_id == holder.pk and loss.remotely_wiped and not loss.encrypted
    assert Asset.objects.get(pk=mine.pk).status == AssetStatus.LOST
    assert Ticket.objects.filter(number=loss.ticket_number, owner=world.a.owner, confidential=True).exists()
    # They see their own report in the list; the owner's viewer sees the owner's; B's viewer none.
    listing = web(end_user).get(reverse("circular_loss_list")).content.decode()
    assert loss.number in listing
    viewer_csv = web(world.a.viewer).get(reverse("circular_loss_list") + "?export=csv").content.decode()
    assert loss.number in viewer_csv and "Bussen" in viewer_csv
    assert loss.number not in web(world.b.viewer).get(reverse("circular_loss_list")).content.decode()
    assert web(world.b.viewer).get(reverse("circular_loss_detail", args=[loss.pk])).status_code == 404


def test_the_api_lists_and_creates_loss_reports(world: Any, api: Any) -> None:
    asset = awaiting_erasure(world.a, world.extra["circular_model"], "API-FÖR", "APIFORSN")
    client = api(world.technician)
    bad = client.post("/api/v1/circular/losses/", {**STOLEN, "asset": asset.pk, "police_report": ""}, format="json")
    assert bad.status_code == 400 and "police_report" in bad.json()
    created = client.post(
        "/api/v1/circular/losses/", {**STOLEN, "occurred_on": "2026-11-20", "asset": asset.pk}, format="json"
    )
    assert created.status_code == 201 and created.json()["kind"] == "stolen"
    listing = api(world.a.viewer).get("/api/v1/circular/losses/").json()
    numbers = {row["number"] for row in listing["results"]}
    assert created.json()["number"] in numbers and world.b.extra["circular_loss"].number not in numbers
    other = awaiting_erasure(world.b, world.extra["circular_model"], "API-FÖR-B", "APIFORSNB")
    refused = api(world.a.end_user).post(
        "/api/v1/circular/losses/", {**STOLEN, "occurred_on": "2026-11-20", "asset": other.pk}, format="json"
    )
    assert refused.status_code == 400 and not LossReport.objects.filter(asset=other).exists()


def test_missing_devices_go_to_a_new_batch_or_are_reported_lost(world: Any) -> None:
    tech = world.technician
    batch, _a_assets, b_assets = _received_batch(world)
    only_a = "Serienummer;Metod;Resultat;Utfall\n" + "".join(f"{s};Purge;Raderad;Återbruk\n" for s in A)
    report = reports.do_upload_report(batch, "del1.csv", only_a.encode(), actor=tech)
    Batch.objects.filter(pk=batch.pk).update(received_at=timezone.now() - timedelta(days=31))
    report = reports.check_report(report, actor=tech)
    missing = list(ReportLine.objects.filter(report=report, problem=Problem.MISSING).order_by("serial_number"))
    assert len(missing) == 20 and {"new_batch", "lost"} <= {r for r, _label in missing[0].allowed_resolutions}
    for n, line in enumerate(missing):
        reports.do_resolve_line(line, "new_batch" if n < 15 else "lost", note="Saknas hos partnern", actor=tech)
    report = reports.do_apply_report(report, actor=tech)
    assert report.status == ReportState.APPLIED and report.counts["moved"] == 15 and report.counts["lost"] == 5
    again = Batch.objects.get(number=report.counts["new_batch"])
    assert again.status == "open" and again.partner_id == batch.partner_id
    assert set(again.items.values_list("serial_number", flat=True)) == {ln.serial_number for ln in missing[:15]}
    assert set(again.items.values_list("state", flat=True)) == {ItemState.PACKED}
    lost = LossReport.objects.filter(report_line__report=report)
    assert {x.asset.serial_number for x in lost} == {ln.serial_number for ln in missing[15:]}
    assert all(x.kind == "lost" and x.ticket_number and x.description == "Saknas hos partnern" for x in lost)
    assert set(Asset.objects.filter(serial_number__in=B[:0] + [x.asset.serial_number for x in lost])
               .values_list("status", flat=True)) == {AssetStatus.LOST}  # fmt: skip
    assert Batch.objects.get(pk=batch.pk).status == "reported"
    assert len(b_assets) == 20 and verify_chain().ok
