"""Saved views of the ticket queue through the API: your own and the desk's shared ones, created
through the same action as in the UI (filters cleaned, audited), deleted only by their owner."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from samdrift.core.models import AuditEvent
from samdrift.servicedesk import saved_views
from samdrift.servicedesk.models import SavedView

URL = "/api/v1/saved-views/"


def test_an_agent_saves_lists_and_deletes_views(world: Any, api: Any) -> None:
    agent = api(world.agent)
    response = agent.post(
        URL, {"name": "Mina P1", "query": "queue=mine&priority=1&cursor=abc&export=csv", "shared": True}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["query"] == "queue=mine&priority=1", "paging and exports are not part of a view"
    assert body["url"] == "/servicedesk/tickets/?queue=mine&priority=1" and body["shared"] is True
    view = SavedView.objects.get(pk=body["id"])
    assert view.user_id == world.agent.pk
    assert AuditEvent.objects.filter(object_type="servicedesk.savedview", object_id=str(view.pk)).exists()

    again = agent.post(URL, {"name": "mina p1", "query": ""}, format="json")
    assert again.status_code == 400 and "name" in again.json()
    assert agent.post(URL, {"name": "", "query": "queue=mine"}, format="json").status_code == 400
    assert SavedView.objects.filter(user=world.agent).count() == 2  # this one and the world's

    # Another desk user sees the shared view, not the agent's own ones, and cannot delete it.
    other = api(world.technician)
    names = [v["name"] for v in other.get(URL).json()["results"]]
    assert "Mina P1" in names and not any(world.b.marker in n for n in names)
    assert other.delete(f"{URL}{view.pk}/").status_code == 403
    assert SavedView.objects.filter(pk=view.pk).exists()

    assert agent.delete(f"{URL}{view.pk}/").status_code == 204
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_owner_users_have_no_saved_views(world: Any, api: Any) -> None:
    viewer = api(world.a.viewer)
    assert viewer.get(URL).json()["results"] == []
    assert viewer.post(URL, {"name": "Min vy", "query": "queue=mine"}, format="json").status_code == 403
    view = world.b.extra["sd_saved_view"]
    assert viewer.get(f"{URL}{view.pk}/").status_code == 404
    assert viewer.delete(f"{URL}{view.pk}/").status_code == 404
    assert not SavedView.objects.filter(name="Min vy").exists()


def test_the_list_costs_the_same_queries_for_one_view_or_twenty(world: Any, api: Any) -> None:
    client = api(world.agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    client.get(URL)  # the user's scope is cached by a first request
    few = queries()
    for i in range(20):
        saved_views.do_save_view(
            {"name": f"Vy {i}", "query": f"priority={i % 4 + 1}", "shared": True}, actor=world.agent
        )
    assert queries() == few
