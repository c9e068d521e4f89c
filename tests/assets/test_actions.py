"""Asset actions: lifecycle, check-out with receipt, moves with complete history, bulk changes,
roles and owner isolation. Every action test asserts its audit event."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from samdrift.assets import actions
from samdrift.assets.models import (
    AgentKey,
    Asset,
    AssetAssignment,
    AssetModel,
    AssetStatus,
    InventoryUpload,
    Manufacturer,
    Site,
    TriageDevice,
)
from samdrift.core.access import access_object
from samdrift.core.models import AuditEvent, AuditEventType

pytestmark = pytest.mark.django_db


def last_event() -> AuditEvent:
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    return event


def new_asset(world: Any, tag: str = "N-1", **extra: Any) -> Asset:
    return actions.do_create_asset(
        {"owner": world.a.owner, "asset_tag": tag, "model": world.a.extra["asset_model"], **extra},
        actor=world.technician,
    )


# --- catalogue -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "kg"),
    [("laptop", Decimal("307")), ("chromebook", Decimal("307")), ("phone", Decimal("70")), ("switch", None)],
)
def test_model_takes_its_co2e_factor_and_source_from_the_reference_file(world: Any, category: str, kg: Any) -> None:
    maker = world.a.extra["manufacturer"]
    model = actions.do_create_asset_model(
        {"manufacturer": maker, "name": f"X {category}", "category": category}, actor=world.admin
    )
    assert model.co2e_kg == kg
    assert ("Boavizta" in model.co2e_source) is (kg is not None)
    event = last_event()
    assert (event.event_type, event.object_id, event.actor_role) == (AuditEventType.CREATED, str(model.pk), "admin")


def test_only_operator_staff_keep_the_catalogue(world: Any) -> None:
    for user in (world.a.viewer, world.a.orderer, world.finance, world.agent):
        with pytest.raises(PermissionDenied):
            actions.do_create_manufacturer({"name": "Nope"}, actor=user)
    maker = actions.do_create_manufacturer({"name": "Lenovo"}, actor=world.technician)
    assert last_event().object_id == str(maker.pk)


# --- register --------------------------------------------------------------------------------


def test_new_asset_opens_its_first_assignment_and_is_audited(world: Any) -> None:
    asset = new_asset(world, cost_centre=world.a.cost_centre, price=Decimal("8999.50"))
    assert asset.manufacturer_id == world.a.extra["manufacturer"].pk
    event = AuditEvent.objects.filter(object_type="assets.asset", object_id=str(asset.pk)).get()
    assert event.event_type == AuditEventType.CREATED and event.changes["price"] == [None, "8999.50"]
    (open_row,) = AssetAssignment.objects.filter(asset=asset)
    assert open_row.ended_at is None and open_row.cost_centre == world.a.cost_centre and open_row.person is None


def test_serial_number_is_unique_per_manufacturer(world: Any) -> None:
    new_asset(world, "N-1", serial_number="ABC")
    with pytest.raises(ValidationError):
        new_asset(world, "N-2", serial_number="ABC")
    other_maker = actions.do_create_manufacturer({"name": "Other"}, actor=world.admin)
    other_model = actions.do_create_asset_model(
        {"manufacturer": other_maker, "name": "M", "category": "desktop"}, actor=world.admin
    )
    actions.do_create_asset(
        {"owner": world.a.owner, "asset_tag": "N-3", "model": other_model, "serial_number": "ABC"}, actor=world.admin
    )


def test_asset_cannot_point_at_another_owners_rows(world: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        new_asset(world, cost_centre=world.b.cost_centre, site=world.b.extra["site"])
    assert set(exc.value.error_dict) == {"cost_centre", "site"}


def test_a_new_asset_is_not_created_deployed(world: Any) -> None:
    with pytest.raises(ValidationError):
        new_asset(world, status=AssetStatus.DEPLOYED)


def test_owner_users_cannot_write_assets(world: Any) -> None:
    asset = world.a.extra["asset"]
    for user in (world.a.viewer, world.a.orderer, world.a.approver, world.a.end_user, world.finance):
        with pytest.raises(PermissionDenied):
            actions.do_change_asset_status(asset, AssetStatus.IN_REPAIR, actor=user)
        with pytest.raises(PermissionDenied):
            new_asset_for = {"owner": world.a.owner, "asset_tag": "Z", "model": world.a.extra["asset_model"]}
            actions.do_create_asset(new_asset_for, actor=user)


# --- lifecycle -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (["in_repair", "in_stock", "returned", "awaiting_erasure", "erased"], "in_stock"),
        (["lost", "in_stock", "stolen"], "erased"),
        # Closing an erased device needs its erasure certificate (take-back, tests/circular).
        (["awaiting_erasure", "erased"], "reused"),
    ],
)
def test_lifecycle_follows_the_allowed_transitions(world: Any, path: list[str], refused: str) -> None:
    asset = new_asset(world)
    for status in path:
        actions.do_change_asset_status(asset, status, actor=world.technician)
        event = last_event()
        assert event.extra == {"action": "change_status"} and event.changes["status"][1] == status
    with pytest.raises(ValidationError):
        actions.do_change_asset_status(asset, refused, actor=world.technician)
    assert Asset.objects.get(pk=asset.pk).status == path[-1]


def test_status_cannot_jump_to_deployed_without_a_person(world: Any) -> None:
    with pytest.raises(ValidationError):
        actions.do_change_asset_status(new_asset(world), AssetStatus.DEPLOYED, actor=world.technician)


def test_check_out_to_a_pupil_shows_in_the_pupils_history_and_check_in_closes_it(world: Any) -> None:
    asset = new_asset(world)
    pupil = world.a.pupil
    assignment = actions.do_check_out_asset(asset, pupil, actor=world.technician)
    event = last_event()
    assert event.extra["action"] == "check_out" and event.extra["person"] == pupil.pk
    assert event.changes["status"] == ["in_stock", "deployed"]
    asset.refresh_from_db()
    assert (asset.status, asset.assigned_to_id, asset.org_unit_id) == ("deployed", pupil.pk, world.a.school.pk)
    assert assignment.person == pupil and assignment.accepted_at is None

    actions.do_check_in_asset(asset, actor=world.technician)
    assert last_event().extra == {"action": "check_in", "person": pupil.pk}
    history = list(AssetAssignment.objects.filter(person=pupil).order_by("started_at"))
    assert [h.asset_id for h in history] == [asset.pk]
    assert history[0].ended_at is not None
    assert AssetAssignment.objects.filter(asset=asset, ended_at__isnull=True).get().person is None


def test_check_out_refuses_another_owners_person_and_a_device_not_in_stock(world: Any) -> None:
    asset = new_asset(world)
    with pytest.raises(ValidationError):
        actions.do_check_out_asset(asset, world.b.employee, actor=world.technician)
    actions.do_change_asset_status(asset, AssetStatus.IN_REPAIR, actor=world.technician)
    with pytest.raises(ValidationError):
        actions.do_check_out_asset(asset, world.a.employee, actor=world.technician)


def test_only_the_person_accepts_the_receipt(world: Any) -> None:
    assignment = world.a.extra["assignment"]
    for user in (world.a.viewer, world.admin, world.b.end_user):
        with pytest.raises(PermissionDenied):
            actions.do_accept_asset_assignment(assignment, actor=user)
    actions.do_accept_asset_assignment(assignment, actor=world.a.end_user)
    event = last_event()
    assert (event.actor_role, event.extra["action"], event.object_id) == ("self", "accept", str(assignment.pk))
    assert AssetAssignment.objects.get(pk=assignment.pk).accepted_at is not None


def test_returning_a_device_ends_the_persons_loan(world: Any) -> None:
    asset = world.a.extra["asset"]
    actions.do_change_asset_status(asset, AssetStatus.RETURNED, actor=world.technician)
    assert last_event().changes["assigned_to"] == [world.a.end_user.person_id, None]
    assert not AssetAssignment.objects.filter(asset=asset, ended_at__isnull=True, person__isnull=False).exists()


def test_move_to_another_owner_keeps_the_complete_history(world: Any) -> None:
    asset = world.a.extra["asset"]
    actions.do_move_asset(asset, owner=world.b.owner, cost_centre=world.b.cost_centre, actor=world.admin)
    event = last_event()
    assert event.extra == {"action": "move"}
    assert event.changes["owner"] == [world.a.owner.pk, world.b.owner.pk]
    assert event.changes["status"] == ["deployed", "in_stock"]  # the person stayed with owner A
    rows = list(AssetAssignment.objects.filter(asset=asset).order_by("started_at", "id"))
    assert [r.owner_id for r in rows] == [world.a.owner.pk, world.a.owner.pk, world.b.owner.pk]
    assert all(r.ended_at for r in rows[:-1]) and rows[-1].ended_at is None
    assert rows[-1].cost_centre == world.b.cost_centre and rows[-1].person is None


def test_move_refuses_rows_of_a_third_owner_and_writes_nothing(world: Any) -> None:
    asset = world.a.extra["asset"]
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        actions.do_move_asset(asset, cost_centre=world.b.cost_centre, actor=world.admin)
    assert AuditEvent.objects.count() == events


def test_bulk_status_is_all_or_nothing_and_audits_each_device(world: Any) -> None:
    one, two = new_asset(world, "B-1"), new_asset(world, "B-2")
    deployed = world.a.extra["asset"]
    with pytest.raises(ValidationError):
        actions.do_bulk_change_asset_status(
            [one, two, Asset.objects.get(pk=deployed.pk)], AssetStatus.AWAITING_ERASURE, actor=world.technician
        )
    assert set(Asset.objects.filter(pk__in=[one.pk, two.pk]).values_list("status", flat=True)) == {"in_stock"}
    before = AuditEvent.objects.count()
    count = actions.do_bulk_change_asset_status(
        [one, two, Asset.objects.get(pk=deployed.pk)], AssetStatus.RETURNED, actor=world.technician
    )
    assert count == 3
    assert AuditEvent.objects.count() == before + 3
    assert set(AuditEvent.objects.filter(id__gt=0).order_by("-id")[:3].values_list("extra__action", flat=True)) == {
        "bulk_status"
    }
    assert set(Asset.objects.filter(pk__in=[one.pk, two.pk, deployed.pk]).values_list("status", flat=True)) == {
        "returned"
    }
    assert AssetAssignment.objects.filter(asset=deployed, ended_at__isnull=True).get().person is None


# --- isolation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "key"),
    [
        (Asset, "asset"),
        (Site, "site"),
        (AssetAssignment, "assignment"),
        (AgentKey, "agent_key"),
        (InventoryUpload, "upload"),
        (TriageDevice, "triage"),
        (Manufacturer, "manufacturer"),
        (AssetModel, "asset_model"),
    ],
)
def test_access_answers_404_for_another_owners_rows(world: Any, model: Any, key: str) -> None:
    target = world.b.extra[key]
    for user in (world.a.viewer, world.a.orderer, world.a.approver, world.a.end_user, world.nobody):
        with pytest.raises(Http404):
            access_object(model, user, target.pk)
    assert access_object(model, world.technician, target.pk) == target


def test_owner_viewer_sees_own_assets_and_end_user_only_their_own(world: Any) -> None:
    a_asset = world.a.extra["asset"]
    assert access_object(Asset, world.a.viewer, a_asset.pk) == a_asset
    assert access_object(Asset, world.a.end_user, a_asset.pk) == a_asset  # checked out to them
    spare = new_asset(world, "SPARE")
    with pytest.raises(Http404):
        access_object(Asset, world.a.end_user, spare.pk)
    with pytest.raises(Http404):
        access_object(AgentKey, world.a.viewer, world.a.extra["agent_key"].pk)  # keys are operator business
