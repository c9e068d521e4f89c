"""Support groups: administrators create them, name their members (service-desk staff only) and
deactivate them, in the UI and the API; every change is audited; owner users see no groups."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samdrift.servicedesk.models import SupportGroup
from tests.servicedesk.conftest import events_for

pytestmark = pytest.mark.django_db


def test_an_administrator_creates_a_group_with_members_and_changes_it(world: Any, web: Any) -> None:
    client = web(world.admin)
    response = client.post(
        reverse("sd_supportgroup_create"),
        {"name": "Nätverk", "email": "natverk@samdrift.example", "members": [world.agent.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    group = SupportGroup.objects.get(name="Nätverk")
    assert list(group.members.all()) == [world.agent]
    page = client.get(group.get_absolute_url()).content.decode()
    assert world.agent.username in page and "natverk@samdrift.example" in page

    form = client.get(reverse("sd_supportgroup_edit", args=[group.pk])).content.decode()
    assert f'value="{world.agent.pk}"' in form and "checked" in form
    client.post(
        reverse("sd_supportgroup_edit", args=[group.pk]), {"name": "Nätverk och server", "email": "", "members": []}
    )
    group.refresh_from_db()
    assert group.name == "Nätverk och server" and not group.members.exists()
    client.post(reverse("sd_supportgroup_active", args=[group.pk]), {"active": "0"})
    group.refresh_from_db()
    assert not group.active
    events = events_for(group)
    assert events[0].event_type == "created" and events[0].changes["name"] == [None, "Nätverk"]
    assert [e.changes["members"] for e in events if "members" in e.changes] == [
        [[], [world.agent.pk]],
        [[world.agent.pk], []],
    ]
    assert any(e.changes.get("name") == ["Nätverk", "Nätverk och server"] for e in events)
    assert len(events) == 5, [(e.event_type, e.changes) for e in events]


def test_only_desk_staff_can_be_members_and_only_administrators_write(world: Any, web: Any) -> None:
    before = SupportGroup.objects.count()
    client = web(world.admin)
    response = client.post(reverse("sd_supportgroup_create"), {"name": "Fel", "members": [world.a.viewer.pk]})
    assert response.status_code == 200 and SupportGroup.objects.count() == before
    for user in (world.agent, world.a.viewer):
        response = web(user).post(reverse("sd_supportgroup_create"), {"name": "Obehörig"})
        assert response.status_code in {403, 404}
    assert SupportGroup.objects.count() == before
    # Agents see the groups (to assign tickets); owner users see none.
    assert web(world.agent).get(reverse("sd_supportgroup_list")).status_code == 200
    listing = web(world.a.viewer).get(reverse("sd_supportgroup_list"))
    assert listing.status_code in {200, 403}
    assert world.extra["sd_group"].get_absolute_url() not in listing.content.decode()


def test_the_api_creates_and_lists_groups_with_a_constant_query_count(world: Any, api: Any) -> None:
    client = api(world.admin)
    created = client.post("/api/v1/support-groups/", {"name": "Klient", "members": [world.agent.pk]}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["members"] == [world.agent.pk]
    refused = client.post(
        "/api/v1/support-groups/", {"name": "Elever", "members": [world.a.end_user.pk]}, format="json"
    )
    assert refused.status_code == 400 and "members" in refused.json()

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/support-groups/").status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for n in range(5):
        client.post("/api/v1/support-groups/", {"name": f"Grupp {n}", "members": [world.agent.pk]}, format="json")
    assert queries() == few
    assert api(world.a.viewer).get("/api/v1/support-groups/").json()["results"] == []
