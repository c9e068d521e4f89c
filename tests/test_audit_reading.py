"""Issue 18: the audit trail never shows a confidential object's subject or changed fields to a
reader who may not read the object. The found case is the records officer (404 on a confidential
ticket) reading its subject through /api/v1/audit-events/; the rule is general (each object's own
scoped layer), so a confidential comment and a billing row are checked too."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from samdrift.core.audit_reading import mask_unreadable
from samdrift.core.models import AuditEvent
from samdrift.servicedesk import actions
from samdrift.servicedesk.models import TicketSecrecyGround

pytestmark = pytest.mark.django_db

SECRET = "Hemlig utredning om Kalle"


def _confidential_ticket(world: Any) -> Any:
    ticket = actions.do_create_ticket(
        {"requester": world.a.employee, "subject": SECRET, "description": "x", "impact": 2, "urgency": 2},
        actor=world.agent,
    )
    actions.do_update_ticket(
        ticket, {"confidential": True, "secrecy_ground": TicketSecrecyGround.PERSONNEL, "subject": SECRET + " II"},
        actor=world.agent,
    )  # fmt: skip
    return ticket


def test_records_officer_reads_no_subject_or_fields_of_a_confidential_ticket_over_the_api(world: Any, api: Any) -> None:
    ticket = _confidential_ticket(world)
    url = f"/api/v1/audit-events/?object_type=servicedesk.ticket&object_id={ticket.pk}"
    assert api(world.records).get(f"/api/v1/servicedesk/tickets/{ticket.pk}/").status_code == 404
    response = api(world.records).get(url)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) >= 2, "the events themselves stay visible: who, when, what kind"
    assert SECRET not in response.content.decode()
    assert all(row["masked"] and row["changes"] == {} and row["object_repr"] == "" for row in rows)
    detail = api(world.records).get(f"/api/v1/audit-events/{rows[0]['id']}/")
    assert detail.status_code == 200 and SECRET not in detail.content.decode() and detail.json()["masked"]
    # The admin, who may read the ticket, sees everything.
    admin = api(world.admin).get(url)
    assert SECRET in admin.content.decode()
    assert not any(row["masked"] for row in admin.json()["results"])


def test_records_officer_audit_page_hides_the_same(world: Any, web: Any) -> None:
    ticket = _confidential_ticket(world)
    query = {"object_type": "servicedesk.ticket", "object_id": ticket.pk}
    page = web(world.records).get(reverse("audit_search"), query)
    assert page.status_code == 200
    body = page.content.decode()
    assert SECRET not in body and "Visas inte" in body
    assert SECRET in web(world.admin).get(reverse("audit_search"), query).content.decode()


def test_the_rule_is_general_confidential_comment_and_readable_objects(world: Any) -> None:
    note, ticket = world.a.extra["sd_note"], world.a.extra["sd_ticket"]
    events = list(
        AuditEvent.objects.filter(object_type__in=["servicedesk.comment", "servicedesk.ticket"]).filter(
            object_id__in=[str(note.pk), str(ticket.pk)]
        )
    )
    by_kind = {(e.object_type, e.object_id): e for e in mask_unreadable(world.records, events)}
    assert by_kind[("servicedesk.comment", str(note.pk))].masked
    assert not by_kind[("servicedesk.ticket", str(ticket.pk))].masked, "a readable ticket keeps its fields"
    # Deleted or unknown objects: a reader who sees a whole table keeps them; nobody gets a 500 from odd ids.
    odd = AuditEvent(object_type="servicedesk.ticket", object_id="not-a-number", object_repr="x")
    gone = AuditEvent(object_type="no.such_model", object_id="1", object_repr="y")
    assert [e.masked for e in mask_unreadable(world.records, [odd, gone])] == [True, False]
    assert [e.masked for e in mask_unreadable(world.admin, [odd])] == [False]


def test_masking_costs_one_query_per_object_type_not_per_event(world: Any, django_assert_max_num_queries: Any) -> None:
    events = list(AuditEvent.objects.order_by("-id")[:300])
    types = {e.object_type for e in events if e.object_type}
    with django_assert_max_num_queries(len(types) + 1):
        mask_unreadable(world.records, events)
