"""Licences: reported names normalise to products (aliases editable), seats are assigned within
their count, and the compliance view shows an over-installed product."""

from __future__ import annotations

import zlib
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from samdrift.assets import inventory, licences
from samdrift.assets.models import InstalledSoftware, LicenceEntitlement, SoftwareProduct
from samdrift.core.access import access_object
from samdrift.core.models import AuditEvent, AuditEventType
from tests.worlds.assets import tiny_inventory

pytestmark = pytest.mark.django_db


def install(world: Any, client: Any, device: str, mac: str, name: str) -> None:
    xml = zlib.decompress(tiny_inventory(device, device, mac)).replace(b"firefox-esr", name.encode())
    secret = world.a.extra["agent_secret"]
    response = client.post(reverse("inventory_endpoint", args=[secret]), data=zlib.compress(xml), content_type="x")
    assert response.status_code == 200


def register(world: Any, device: str) -> None:
    triage = inventory.TriageDevice.objects.get(owner=world.a.owner, device_id=device)
    inventory.do_create_asset_from_triage(
        triage, {"asset_tag": f"L-{device}", "model": world.a.extra["asset_model"]}, actor=world.technician
    )


def test_compliance_shows_an_over_installed_product(world: Any, client: Any, web: Any) -> None:
    product = licences.do_create_software_product(
        {"name": "Office", "aliases": "Microsoft Office 365\nOFFICE-PRO"}, actor=world.admin
    )
    assert AuditEvent.objects.order_by("-id").first().object_id == str(product.pk)  # type: ignore[union-attr]
    licences.do_create_licence_entitlement(
        {
            "owner": world.a.owner,
            "product": product,
            "kind": "per_device",
            "seats": 1,
            "valid_from": date(2026, 1, 1),
            "valid_until": timezone.localdate() + timedelta(days=30),
        },
        actor=world.technician,
    )
    for i, name in enumerate(["Microsoft Office 365", "office-pro", "Office"]):
        install(world, client, f"pc{i}", f"02:dd:00:00:00:0{i}", name)
        register(world, f"pc{i}")
    assert InstalledSoftware.objects.filter(product=product).count() == 3

    rows = {
        (r.product, r.owner_id): r for r in licences.get_licence_compliance(world.a.viewer, today=timezone.localdate())
    }
    office = rows[("Office", world.a.owner.pk)]
    assert (office.entitled, office.assigned, office.installed, office.over_use, office.expiring) == (1, 0, 3, 2, 1)
    mine = rows[(f"Program {world.a.marker}", world.a.owner.pk)]
    assert (mine.entitled, mine.assigned, mine.under_use) == (2, 1, 1)
    assert not any(r.owner_id == world.b.owner.pk for r in rows.values())

    page = web(world.a.viewer).get(reverse("licence_compliance")).content.decode()
    assert "Office" in page and "table-danger" in page and world.b.marker not in page


def test_editing_aliases_renormalises_installations(world: Any, client: Any) -> None:
    install(world, client, "pcx", "02:ee:00:00:00:01", "LibreOffice 7")
    register(world, "pcx")
    product = licences.do_create_software_product({"name": "LibreOffice"}, actor=world.admin)
    assert not InstalledSoftware.objects.filter(product=product).exists()
    licences.do_update_software_product(product, {"aliases": "libreoffice 7"}, actor=world.admin)
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and event.event_type == AuditEventType.UPDATED and "aliases" in event.changes
    assert InstalledSoftware.objects.filter(product=product).count() == 1


def test_seats_are_assigned_within_their_count_and_owner(world: Any) -> None:
    ent = world.a.extra["entitlement"]
    licences.do_assign_licence(ent, person=world.a.employee, actor=world.technician)
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and event.extra["action"] == "assign_licence"
    with pytest.raises(ValidationError):
        licences.do_assign_licence(ent, person=world.a.pupil, actor=world.technician)  # both seats taken
    with pytest.raises(ValidationError):
        licences.do_assign_licence(world.b.extra["entitlement"], person=world.a.employee, actor=world.technician)
    with pytest.raises(PermissionDenied):
        licences.do_assign_licence(ent, person=world.a.employee, actor=world.a.orderer)


@pytest.mark.parametrize(("model", "key"), [(LicenceEntitlement, "entitlement"), (SoftwareProduct, "product")])
def test_licence_rows_of_another_owner_are_not_found(world: Any, model: Any, key: str) -> None:
    for user in (world.a.viewer, world.a.approver, world.a.end_user):
        with pytest.raises(Http404):
            access_object(model, user, world.b.extra[key].pk)


def test_licence_api_assign_and_compliance(world: Any, api: Any) -> None:
    ent = world.a.extra["entitlement"]
    client = api(world.technician)
    response = client.post(f"/api/v1/licences/{ent.pk}/assign/", {"person": world.a.employee.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert (
        client.post(f"/api/v1/licences/{ent.pk}/assign/", {"person": world.a.pupil.pk}, format="json").status_code
        == 400
    )
    rows = api(world.a.viewer).get("/api/v1/licences/compliance/").json()
    assert {r["owner_id"] for r in rows} == {world.a.owner.pk}
    assert rows[0]["entitled"] == 2 and rows[0]["assigned"] == 2
    assert (
        api(world.a.viewer).post(f"/api/v1/licences/{ent.pk}/assign/", {"person": world.a.employee.pk}).status_code
        == 403
    )


def test_licence_page_assigns_a_seat_only_for_staff_and_says_what_is_missing(world: Any, web: Any) -> None:
    ent = world.a.extra["entitlement"]
    url = reverse("licenceentitlement_assign", args=[ent.pk])
    before = ent.assignments.count()
    assert web(world.a.viewer).post(url, {"person": world.a.employee.pk}).status_code == 403
    response = web(world.technician).post(url, {"person": "not a number"})
    assert response.status_code == 302 and response["Location"] == ent.get_absolute_url()
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Välj en person eller ange ett inventarienummer."]
    assert ent.assignments.count() == before
