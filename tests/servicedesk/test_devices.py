"""Tickets name the devices they are about: by asset tag or serial number on the agent's form and
the ticket page, by checkbox among one's own devices in the portal, by id in the API. A device of
another owner, or someone else's device for a requester, is refused and nothing changes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from samdrift.servicedesk import actions
from samdrift.servicedesk.models import Ticket
from tests.servicedesk.conftest import events_for

pytestmark = pytest.mark.django_db


def test_the_agent_names_devices_by_tag_or_serial_and_the_asset_page_lists_the_ticket(world: Any, web: Any) -> None:
    a = world.a
    asset = a.extra["asset"]
    client = web(world.agent)
    response = client.post(
        reverse("sd_ticket_create"),
        {
            "requester": a.employee.pk,
            "subject": "Skärmen flimrar",
            "channel": "phone",
            "type": "incident",
            "impact": 3,
            "urgency": 3,
            "assets": asset.serial_number.lower(),
        },
    )
    assert response.status_code == 302, re.findall(
        r"invalid-feedback[^<]*<[^<]*|alert-danger[^<]*<[^<]*", response.content.decode()
    )
    ticket = Ticket.objects.get(subject="Skärmen flimrar")
    assert list(ticket.assets.all()) == [asset]
    (created,) = events_for(ticket)
    assert created.changes["assets"] == [None, [asset.asset_tag]]

    page = client.get(reverse("asset_detail", args=[asset.pk])).content.decode()
    assert ticket.number in page
    detail = client.get(reverse("sd_ticket_detail", args=[ticket.pk])).content.decode()
    assert asset.asset_tag in detail and reverse("asset_detail", args=[asset.pk]) in detail


def test_unknown_and_other_owners_devices_are_refused_on_the_form_and_nothing_is_created(world: Any, web: Any) -> None:
    before = Ticket.objects.count()
    client = web(world.agent)
    for named in ("NO-SUCH-TAG", world.b.extra["asset"].asset_tag, f"{world.a.extra['asset'].asset_tag}, X-9"):
        response = client.post(
            reverse("sd_ticket_create"),
            {
                "requester": world.a.employee.pk,
                "subject": "Fel enhet",
                "channel": "phone",
                "type": "incident",
                "impact": 3,
                "urgency": 3,
                "assets": named,
            },
        )
        assert response.status_code == 200
        errors = re.findall(r'id="id_assets_error">(.*?)</div>', response.content.decode(), re.S)
        assert errors and named.split(",")[-1].strip() in errors[0], "the form names the device it cannot find"
    assert Ticket.objects.count() == before


def test_devices_are_added_and_removed_on_the_ticket_page_with_an_audit_trail(world: Any, web: Any) -> None:
    ticket = world.a.extra["sd_ticket"]
    asset = world.a.extra["asset"]
    client = web(world.agent)
    url = reverse("sd_ticket_devices", args=[ticket.pk])
    panel = client.post(url, {"add": asset.asset_tag}, headers={"HX-Request": "true"}).content.decode()
    assert asset.serial_number in panel
    assert list(ticket.assets.all()) == [asset]
    client.post(url, {"add": world.b.extra["asset"].asset_tag})
    assert list(ticket.assets.all()) == [asset], "owner B's device is not found for owner A's ticket"
    client.post(url, {"remove": asset.pk})
    assert not ticket.assets.exists()
    changes = [e.changes["assets"] for e in events_for(ticket) if "assets" in e.changes]
    assert changes == [[[], [asset.asset_tag]], [[asset.asset_tag], []]]

    # Only the desk changes devices; the requester's own web session may not.
    events = len(events_for(ticket))
    response = web(world.a.viewer).post(url, {"add": asset.asset_tag})
    assert response.status_code in {403, 404}
    assert len(events_for(ticket)) == events and not ticket.assets.exists()


def test_in_the_portal_a_user_picks_among_their_own_devices(world: Any, web: Any) -> None:
    a = world.a
    mine = a.extra["asset"]
    client = web(a.end_user)
    form = client.get(reverse("sd_portal_new")).content.decode()
    assert mine.asset_tag in form and world.b.extra["asset"].asset_tag not in form
    response = client.post(
        reverse("sd_portal_new"),
        {
            "type": "incident",
            "subject": "Min dator är långsam",
            "description": "Det tar tio minuter.",
            "assets": mine.pk,
        },
    )
    assert response.status_code == 302
    assert list(Ticket.objects.get(subject="Min dator är långsam").assets.all()) == [mine]

    before = Ticket.objects.count()
    response = client.post(
        reverse("sd_portal_new"),
        {"type": "incident", "subject": "Någon annans", "description": "x", "assets": world.b.extra["asset"].pk},
    )
    assert response.status_code == 400 and Ticket.objects.count() == before


def test_a_requester_names_only_devices_lent_to_them(world: Any) -> None:
    from django.core.exceptions import ValidationError

    from samdrift.assets.models import Asset

    other = Asset.objects.filter(owner=world.a.owner).exclude(assigned_to=world.a.end_user.person).first()
    if other is None:
        other = world.a.extra["asset"]
        Asset.objects.filter(pk=other.pk).update(assigned_to=None)
        other.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        actions.do_create_ticket({"subject": "Lånar", "assets": [other]}, actor=world.a.end_user)
    assert "assets" in excinfo.value.message_dict


def test_the_api_takes_device_ids_and_refuses_another_owners(world: Any, web: Any) -> None:
    client = web(world.agent)
    a_asset, b_asset = world.a.extra["asset"], world.b.extra["asset"]
    base = {"requester": world.a.employee.pk, "subject": "Via API", "type": "incident", "impact": 3, "urgency": 3}
    refused = client.post(reverse("ticket-list"), {**base, "assets": [b_asset.pk]}, content_type="application/json")
    assert refused.status_code == 400 and "assets" in refused.json()
    created = client.post(reverse("ticket-list"), {**base, "assets": [a_asset.pk]}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["assets"] == [a_asset.pk]
    url = reverse("ticket-detail", args=[created.json()["id"]])
    cleared = client.patch(url, {"assets": []}, content_type="application/json")
    assert cleared.status_code == 200 and cleared.json()["assets"] == []
