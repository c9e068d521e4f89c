"""The service desk through /api/v1/."""

from __future__ import annotations

from typing import Any

from samdrift.servicedesk.models import Status, Ticket
from tests.servicedesk.conftest import events_for


def test_agent_works_a_ticket_through_the_api(world: Any, api: Any) -> None:
    client = api(world.agent)
    response = client.post(
        "/api/v1/tickets/",
        {"requester": world.a.employee.pk, "subject": "VPN", "impact": 1, "urgency": 2, "status": "closed"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("SD-") and body["priority"] == 2 and body["status"] == "new"
    assert body["owner"] == world.a.owner.pk
    pk = body["id"]
    assert Ticket.objects.get(pk=pk).channel == "api"
    response = client.post(f"/api/v1/tickets/{pk}/status/", {"status": "closed"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    response = client.post(
        f"/api/v1/tickets/{pk}/assign/",
        {"group": world.extra["sd_group"].pk, "assignee": world.agent.pk},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "assigned"
    assert client.post(f"/api/v1/tickets/{pk}/comments/", {"body": "Hej"}, format="json").status_code == 201
    assert client.post(f"/api/v1/tickets/{pk}/time/", {"minutes": 15}, format="json").status_code == 201
    response = client.post(f"/api/v1/tickets/{pk}/status/", {"status": "resolved"}, format="json")
    assert response.json()["status"] == "resolved"
    response = client.post(f"/api/v1/tickets/{pk}/status/", {"status": "reopen"}, format="json")
    assert response.json()["status"] == Status.IN_PROGRESS
    response = client.patch(f"/api/v1/tickets/{pk}/", {"subject": "VPN nere", "urgency": 1}, format="json")
    assert response.status_code == 200 and response.json()["priority"] == 1
    actions = [e.extra.get("action") for e in events_for(Ticket.objects.get(pk=pk))]
    assert actions == [None, "assign", "first_response", "status", "reopen", "update"]


def test_lists_filter_by_queue_and_stay_scoped(world: Any, api: Any) -> None:
    response = api(world.agent).get("/api/v1/tickets/?queue=unassigned")
    numbers = {t["number"] for t in response.json()["results"]}
    assert world.b.extra["sd_ticket"].number in numbers
    response = api(world.a.end_user).get("/api/v1/tickets/")
    assert [t["id"] for t in response.json()["results"]] == [world.a.extra["sd_own_ticket"].pk]
    assert api(world.a.viewer).get(f"/api/v1/tickets/{world.b.extra['sd_ticket'].pk}/").status_code == 404
    kinds = {c["kind"] for c in api(world.a.viewer).get("/api/v1/ticket-comments/").json()["results"]}
    assert kinds == {"reply"}
    assert api(world.a.end_user).get("/api/v1/time-entries/").json()["results"] == []


def test_end_user_opens_answers_and_rates_through_the_api(world: Any, api: Any) -> None:
    client = api(world.a.end_user)
    response = client.post("/api/v1/tickets/", {"subject": "Skärmen", "assignee": world.agent.pk}, format="json")
    assert response.status_code == 201 and response.json()["assignee"] is None
    pk = response.json()["id"]
    assert client.post(f"/api/v1/tickets/{pk}/comments/", {"body": "Mer info"}, format="json").status_code == 201
    response = client.post(f"/api/v1/tickets/{pk}/comments/", {"body": "x", "kind": "note"}, format="json")
    assert response.status_code == 403
    assert client.post(f"/api/v1/tickets/{pk}/status/", {"status": "resolved"}, format="json").status_code == 403
    api(world.agent).post(f"/api/v1/tickets/{pk}/status/", {"status": "resolved"}, format="json")
    response = client.post(f"/api/v1/tickets/{pk}/rate/", {"score": 5, "comment": "Tack"}, format="json")
    assert response.status_code == 200 and response.json()["csat_score"] == 5


def test_bulk_merge_and_link(world: Any, api: Any) -> None:
    client = api(world.agent)
    ids = [
        client.post("/api/v1/tickets/", {"requester": world.a.employee.pk, "subject": f"D{i}"}, format="json").json()[
            "id"
        ]
        for i in range(3)
    ]
    response = client.post("/api/v1/tickets/bulk/", {"ids": ids, "status": "in_progress"}, format="json")
    assert response.json() == {"updated": 3}
    response = client.post(
        "/api/v1/tickets/bulk/", {"ids": [*ids, world.b.extra["sd_ticket"].pk + 10_000]}, format="json"
    )
    assert response.status_code == 400
    assert client.post(f"/api/v1/tickets/{ids[0]}/link/", {"ticket": ids[1]}, format="json").status_code == 201
    response = client.post(f"/api/v1/tickets/{ids[2]}/merge/", {"ticket": ids[1]}, format="json")
    assert response.json()["status"] == "closed" and response.json()["merged_into"] == ids[1]
    other = world.b.extra["sd_ticket"].pk
    assert client.post(f"/api/v1/tickets/{ids[0]}/merge/", {"ticket": other}, format="json").status_code == 400


def test_categories_and_sla_policies_are_administered(world: Any, api: Any) -> None:
    admin = api(world.admin)
    response = admin.post("/api/v1/ticket-categories/", {"owner": world.a.owner.pk, "name": "Telefoni"}, format="json")
    assert response.status_code == 201
    response = admin.post(
        "/api/v1/sla-policies/",
        {"owner": world.a.owner.pk, "priority": 1, "first_response_minutes": 15, "resolution_minutes": 120},
        format="json",
    )
    assert response.status_code == 201
    response = api(world.agent).post(
        "/api/v1/ticket-categories/", {"owner": world.a.owner.pk, "name": "x"}, format="json"
    )
    assert response.status_code == 403
    names = {c["name"] for c in api(world.a.end_user).get("/api/v1/ticket-categories/").json()["results"]}
    assert "Telefoni" in names and not any(world.b.marker in n for n in names)
