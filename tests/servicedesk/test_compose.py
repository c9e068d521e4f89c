"""The ticket page's one compose area (issue 15): a reply or note with status, assignment and time
in the same submit, all saved or none; what was typed comes back after an error; the ticket page
and the queue keep a constant number of queries however long the timeline or the list."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from samdrift.core.models import AuditEvent
from samdrift.servicedesk import actions
from samdrift.servicedesk.models import Comment, Status, Ticket, TimeEntry


def _compose(client: Any, ticket: Ticket, **data: Any) -> str:
    base = {"body": "", "kind": "reply", "status": ticket.status, "work_type": "support", "billable": "on"}
    response = client.post(reverse("sd_ticket_compose", args=[ticket.pk]), {**base, **data}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_reply_status_assignment_and_time_in_one_submit(world: Any, web: Any) -> None:
    client = web(world.agent)
    ticket = world.a.extra["sd_ticket"]
    world.agent.first_name, world.agent.last_name = "Sven", "Lind"
    world.agent.save(update_fields=["first_name", "last_name"])
    entries = TimeEntry.objects.filter(ticket=ticket).count()
    html = _compose(
        client,
        ticket,
        body="Vi har bytt toner, prova igen.",
        status=Status.RESOLVED,
        assignee=world.agent.pk,
        minutes="15",
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.assignee_id == world.agent.pk
    assert Comment.objects.filter(ticket=ticket, body="Vi har bytt toner, prova igen.", kind="reply").exists()
    assert TimeEntry.objects.filter(ticket=ticket).count() == entries + 1
    assert TimeEntry.objects.filter(ticket=ticket, minutes=15, user=world.agent).exists()
    # One message says everything that was done, in the polite live region and as the focus target.
    live = re.search(r'<div id="ticket-live" hx-swap-oob="innerHTML">([^<]+)</div>', html)
    assert live and live.group(1) == "Svaret har skickats. Tilldelat. Statusen har ändrats. Tiden har registrerats."
    assert "data-focus-after-swap" in html
    timeline = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('id="timeline"')[1].split("</ol>")[0]))
    assert "Sven Lind" in timeline and "Löst" in timeline and "resolved" not in timeline
    # After success the compose area is empty again.
    assert re.search(r'<textarea[^>]*id="id_body"[^>]*>\s*</textarea>', html)


def test_an_error_saves_nothing_and_keeps_what_was_typed(world: Any, web: Any) -> None:
    client = web(world.agent)
    ticket = world.a.extra["sd_ticket"]
    comments, events, entries = Comment.objects.count(), AuditEvent.objects.count(), TimeEntry.objects.count()
    # New → closed is not allowed: the reply typed with it must not be sent nor lost.
    html = _compose(client, ticket, body="Ett långt svar som tog tid att skriva.", status=Status.CLOSED, minutes="30")
    assert 'role="alert"' in html
    assert "Ett långt svar som tog tid att skriva." in html
    assert 'value="30"' in html
    assert re.search(r'<option value="closed" selected', html)
    assert Comment.objects.count() == comments and AuditEvent.objects.count() == events
    assert TimeEntry.objects.count() == entries
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status


def test_nothing_to_save_says_so(world: Any, web: Any) -> None:
    client = web(world.agent)
    ticket = world.a.extra["sd_ticket"]
    events = AuditEvent.objects.count()
    html = _compose(client, ticket)
    assert "Skriv ett svar eller en anteckning" in html and 'role="alert"' in html
    assert AuditEvent.objects.count() == events


def test_another_action_keeps_a_reply_being_typed(world: Any, web: Any) -> None:
    client = web(world.agent)
    ticket = world.a.extra["sd_ticket"]
    html = client.post(
        reverse("sd_ticket_devices", args=[ticket.pk]), {"add": "NO-SUCH-TAG"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    # htmx keeps the elements marked hx-preserve (by id) when it swaps in the new panel.
    assert re.search(r'<textarea[^>]*hx-preserve="true"[^>]*id="id_body"', html)
    assert re.search(r'<input[^>]*hx-preserve="true"[^>]*id="id_minutes"', html)


def test_owner_users_get_no_compose_area_and_cannot_post(world: Any, web: Any) -> None:
    ticket = world.a.extra["sd_ticket"]
    client = web(world.a.viewer)
    assert 'id="compose-form"' not in client.get(reverse("sd_ticket_detail", args=[ticket.pk])).content.decode()
    response = client.post(reverse("sd_ticket_compose", args=[ticket.pk]), {"body": "x", "kind": "reply"})
    assert response.status_code == 403


def test_ticket_page_query_count_does_not_grow_with_the_timeline(
    world: Any, web: Any, django_assert_max_num_queries: Any
) -> None:
    client = web(world.agent)
    ticket = world.a.extra["sd_ticket"]
    url = reverse("sd_ticket_detail", args=[ticket.pk])
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    for i in range(15):
        actions.do_add_comment(ticket, f"Svar {i}", actor=world.agent)
        actions.do_log_time(ticket, 5, actor=world.agent)
    actions.do_assign_ticket(ticket, group=None, assignee=world.agent, actor=world.agent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("Svar 1") >= 6
