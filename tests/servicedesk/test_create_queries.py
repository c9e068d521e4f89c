"""Creating a ticket costs a fixed number of queries through the API and the agent's form (issue
19), and the API's related fields, built once per serializer class, stay narrowed to each user."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samdrift.core.models import OutgoingMessage
from samdrift.servicedesk import sla
from samdrift.servicedesk.models import DEFAULT_MATRIX, PriorityCell, SlaPolicy, Ticket, priority_for

# The session with its user and roles (one query, tenancy/sessions.py), the requester, priority with SLA policy and the acknowledgement's sender
# mailbox, number, ticket, last audit hash, audit event, outbox message; on PostgreSQL the audit chain's advisory lock is taken in
# the same round trip as the read of the last hash (core/audit.py, _lock_chain). The
# transaction's savepoint and release are counted too (the test runs inside a transaction). The
# sender's kick runs after commit (one more read, or a task row when no send is waiting).
CREATE_QUERIES = 10


def expected() -> int:
    return CREATE_QUERIES


def count(post: Any) -> tuple[Any, list[str]]:
    post()  # the first request of a process builds the serializer's fields and caches
    with CaptureQueriesContext(connection) as ctx:
        response = post()
    return response, [q["sql"] for q in ctx.captured_queries]


def test_creating_through_the_api_costs_a_fixed_number_of_queries(world: Any, web: Any) -> None:
    client = web(world.agent)
    body = {"requester": world.a.employee.pk, "subject": "Skrivaren", "description": "Skriver inte ut"}

    def post() -> Any:
        return client.post("/api/v1/tickets/", json.dumps(body), content_type="application/json")

    response, queries = count(post)
    assert response.status_code == 201, response.content
    assert len(queries) == expected(), "\n".join(queries)
    assert response.json()["assets"] == [] and response.json()["priority"] == priority_for(3, 3)


def test_the_answer_lists_the_devices_of_the_new_ticket(world: Any, api: Any) -> None:
    a = world.a
    response = api(world.agent).post(
        "/api/v1/tickets/",
        {"requester": a.end_user.person.pk, "subject": "Datorn", "assets": [a.extra["asset"].pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert response.json()["assets"] == [a.extra["asset"].pk] == [x.pk for x in ticket.assets.all()]


def test_creating_through_the_agents_form_costs_a_fixed_number_of_queries(world: Any, web: Any) -> None:
    client = web(world.agent)
    data = {
        "requester": world.a.employee.pk,
        "subject": "Skrivaren",
        "description": "Skriver inte ut",
        "channel": "phone",
        "type": "incident",
        "impact": 3,
        "urgency": 3,
    }
    response, queries = count(lambda: client.post(reverse("sd_ticket_create"), data))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(queries) == expected(), "\n".join(queries)
    # The acknowledgement went to the outbox in the requester's language, from the ticket itself.
    ticket = Ticket.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))
    assert OutgoingMessage.objects.filter(object_id=str(ticket.pk), kind="servicedesk.ticket_created").exists()


@pytest.mark.parametrize("field", ["requester", "category", "assets", "cost_centre"])
def test_an_owner_user_cannot_point_a_new_ticket_at_another_owners_rows(world: Any, api: Any, field: Any) -> None:
    a, b = world.a, world.b
    # The operator's agent (who sees every owner) creates first: the fields built and cached for
    # the class then must not carry the agent's view to the owner's orderer.
    assert (
        api(world.agent)
        .post("/api/v1/tickets/", {"requester": b.employee.pk, "subject": "Först"}, format="json")
        .status_code
        == 201
    )
    others = {
        "requester": b.employee.pk,
        "category": b.extra["sd_category"].pk,
        "assets": [b.extra["asset"].pk],
        "cost_centre": b.cost_centre.pk,
    }
    body: dict[str, Any] = {"requester": a.employee.pk, "subject": "Fel ägare", field: others[field]}
    before = Ticket.objects.count()
    response = api(a.orderer).post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert Ticket.objects.count() == before


@pytest.mark.parametrize(("impact", "urgency"), [(1, 1), (2, 3), (3, 3)])
def test_priority_and_policy_in_one_query_answer_as_the_two_lookups(world: Any, impact: int, urgency: int) -> None:
    owner_id = world.a.owner.pk
    for configured in (False, True):
        if configured:
            PriorityCell.objects.update_or_create(impact=impact, urgency=urgency, defaults={"priority": 3})
        priority, policy = sla.priority_and_policy(owner_id, impact, urgency)
        assert priority == priority_for(impact, urgency)
        assert policy == sla.policy_for(owner_id, priority)
    assert DEFAULT_MATRIX[(impact, urgency)] >= 1
    SlaPolicy.objects.filter(owner_id=owner_id).update(active=False)
    assert sla.priority_and_policy(owner_id, impact, urgency) == (3, None)


def test_the_acknowledgement_comes_from_the_owners_first_active_mailbox(world: Any, api: Any, settings: Any) -> None:
    """The sender is read in the priority's query now: the same address the lookup gave, the
    owner's first active mailbox, another owner's never, and the default without one."""
    from samdrift.servicedesk.models import Mailbox

    def acknowledgement_sender() -> str:
        body = {"requester": world.a.employee.pk, "subject": "Skrivaren", "description": "Skriver inte ut"}
        response = api(world.agent).post("/api/v1/tickets/", body, format="json")
        assert response.status_code == 201, response.content
        message = OutgoingMessage.objects.get(object_id=str(response.json()["id"]), kind="servicedesk.ticket_created")
        return message.from_email

    common = {"host": "imap.example", "username": "u", "security": "none"}
    Mailbox.objects.update(active=False)  # the world's own mailboxes hold received mail
    Mailbox.objects.create(owner=world.b.owner, name="B", address="support@b.example", **common)
    assert acknowledgement_sender() == settings.DEFAULT_FROM_EMAIL
    Mailbox.objects.create(owner=world.a.owner, name="A gammal", address="old@a.example", active=False, **common)
    Mailbox.objects.create(owner=world.a.owner, name="A", address="support@a.example", **common)
    Mailbox.objects.create(owner=world.a.owner, name="A2", address="second@a.example", **common)
    assert acknowledgement_sender() == "support@a.example"
