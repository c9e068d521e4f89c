"""The asset page: its tickets and licences, at a query count that does not grow with them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from samdrift.assets import licences
from samdrift.servicedesk.panels import tickets_for_asset

pytestmark = pytest.mark.django_db


def test_asset_page_shows_the_licences_of_the_device_and_its_holder(
    world: Any, web: Any, django_assert_max_num_queries: Any
) -> None:
    a = world.a
    asset = a.extra["asset"]  # checked out to a.end_user's person, who holds a seat of a.extra["entitlement"]
    client = web(world.technician)
    url = reverse("asset_detail", args=[asset.pk])
    with django_assert_max_num_queries(40) as few:
        page = client.get(url).content.decode()
    assert f"Avtal {a.marker}" in page
    product = licences.do_create_software_product({"name": "Ritprogram", "aliases": "rit"}, actor=None)
    for n in range(3):
        entitlement = licences.do_create_licence_entitlement(
            {
                "owner": a.owner,
                "product": product,
                "kind": "per_device",
                "seats": 5,
                "valid_from": date(2026, 1, 1),
                "reference": f"Rit-{n}",
            },
            actor=None,
        )
        licences.do_assign_licence(entitlement, asset=asset, actor=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "Rit-2" in page
    # Owner B's viewer does not reach the page at all.
    assert web(world.b.viewer).get(url).status_code == 404


def test_tickets_about_the_device_are_those_the_user_may_see(world: Any, web: Any) -> None:
    """The service desk's panel on the device page (core/panels.py): the tickets about the device
    that the user may see, and no ticket of another owner's."""
    from samdrift.servicedesk.models import Ticket

    asset = world.a.extra["asset"]
    ticket = Ticket.objects.filter(owner=world.a.owner).first()
    assert ticket is not None
    assert ticket not in tickets_for_asset(world.technician, asset)
    ticket.assets.add(asset)
    assert ticket in tickets_for_asset(world.technician, asset)
    assert tickets_for_asset(world.b.viewer, asset) == []
    page = web(world.technician).get(reverse("asset_detail", args=[asset.pk])).content.decode()
    assert 'id="h-tickets"' in page
    assert ticket.get_absolute_url() in page
