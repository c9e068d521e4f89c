"""Agent queue and ticket page (HTMX), and the end users' portal."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from samdrift.servicedesk import actions
from samdrift.servicedesk.models import Comment, Status, Ticket


def many(world: Any, n: int) -> None:
    group = world.extra["sd_group"]
    for i in range(n):
        actions.do_create_ticket(
            {"requester": world.b.employee, "subject": f"Ärende {i}", "group": group, "assignee": world.agent},
            actor=world.agent,
        )


def test_the_queue_has_a_constant_query_count(world: Any, web: Any, django_assert_max_num_queries: Any) -> None:
    client = web(world.agent)
    url = reverse("sd_ticket_list")
    many(world, 3)
    with django_assert_max_num_queries(20) as few:
        assert client.get(url + "?queue=mine").status_code == 200
    many(world, 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url + "?queue=mine")
    assert response.content.decode().count("Ärende ") >= 30


def test_queues_select_the_right_tickets(world: Any, web: Any) -> None:
    client = web(world.agent)
    ticket = world.a.extra["sd_ticket"]
    page = client.get(reverse("sd_ticket_list") + "?queue=unassigned").content.decode()
    assert ticket.number in page
    actions.do_assign_ticket(ticket, group=None, assignee=world.agent, actor=world.agent)
    actions.do_change_ticket_status(ticket, Status.WAITING_REQUESTER, actor=world.agent)
    assert ticket.number not in client.get(reverse("sd_ticket_list") + "?queue=unassigned").content.decode()
    assert ticket.number in client.get(reverse("sd_ticket_list") + "?queue=mine").content.decode()
    waiting = client.get(reverse("sd_ticket_list") + "?queue=waiting").content.decode()
    assert ticket.number in waiting and world.b.extra["sd_ticket"].number not in waiting


def test_ticket_page_replies_and_changes_status_in_place(world: Any, web: Any) -> None:
    client = web(world.agent)
    ticket = world.a.extra["sd_ticket"]
    page = client.get(reverse("sd_ticket_detail", args=[ticket.pk])).content.decode()
    assert ticket.number in page and "Hemlig anteckning" in page and 'id="timeline"' in page
    response = client.post(
        reverse("sd_ticket_comment", args=[ticket.pk]),
        {"body": "Starta om skrivaren", "kind": "reply"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Starta om skrivaren" in html and "<html" not in html
    response = client.post(reverse("sd_ticket_status", args=[ticket.pk]), {"status": "closed"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
    response = client.post(
        reverse("sd_ticket_status", args=[ticket.pk]), {"status": "in_progress"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS
    response = client.post(reverse("sd_ticket_time", args=[ticket.pk]), {"minutes": "20", "work_type": "support"})
    assert response.status_code == 302


def test_owner_users_see_no_internal_notes_and_cannot_act(world: Any, web: Any) -> None:
    client = web(world.a.viewer)
    ticket = world.a.extra["sd_ticket"]
    page = client.get(reverse("sd_ticket_detail", args=[ticket.pk])).content.decode()
    assert "Vi tittar på det" in page and "Hemlig anteckning" not in page
    assert 'action="/servicedesk/tickets/' not in page
    response = client.post(reverse("sd_ticket_comment", args=[ticket.pk]), {"body": "x", "kind": "reply"})
    assert response.status_code == 403


def test_bulk_from_the_queue(world: Any, web: Any) -> None:
    client = web(world.agent)
    ids = [world.a.extra["sd_ticket"].pk, world.b.extra["sd_ticket"].pk]
    response = client.post(reverse("sd_ticket_bulk"), {"ids": ids, "status": "in_progress"})
    assert response.status_code == 302
    assert set(Ticket.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"in_progress"}


def test_portal_report_follow_answer_and_rate(world: Any, web: Any) -> None:
    a = world.a
    client = web(a.end_user)
    form = client.get(reverse("sd_portal_new")).content.decode()
    assert a.extra["sd_category"].name in form and world.b.marker not in form
    response = client.post(
        reverse("sd_portal_new"),
        {"type": "incident", "category": a.extra["sd_category"].pk, "subject": "Ingen ljud", "description": "Hjälp"},
    )
    assert response.status_code == 302, response.content.decode()
    ticket = Ticket.objects.get(subject="Ingen ljud")
    assert ticket.requester_id == a.end_user.person_id and ticket.channel == "portal"
    actions.do_add_comment(ticket, "Intern sak", actor=world.agent, kind="note")
    actions.do_add_comment(ticket, "Har du provat att starta om?", actor=world.agent)
    page = client.get(reverse("sd_portal_ticket", args=[ticket.pk])).content.decode()
    assert "Har du provat" in page and "Intern sak" not in page
    client.post(reverse("sd_portal_ticket", args=[ticket.pk]), {"do": "reply", "body": "Ja, det hjälpte inte"})
    assert Comment.objects.filter(ticket=ticket, author=a.end_user).exists()
    actions.do_change_ticket_status(ticket, Status.RESOLVED, actor=world.agent)
    client.post(reverse("sd_portal_ticket", args=[ticket.pk]), {"do": "rate", "score": "5"})
    assert Ticket.objects.get(pk=ticket.pk).csat_score == 5
    listing = client.get(reverse("sd_portal")).content.decode()
    assert ticket.number in listing and a.extra["sd_ticket"].number not in listing
    # Someone else's ticket, even of the same owner, is not in the portal.
    assert client.get(reverse("sd_portal_ticket", args=[a.extra["sd_ticket"].pk])).status_code == 404
    assert web(a.viewer).get(reverse("sd_portal_ticket", args=[ticket.pk])).status_code == 404
    assert web(a.viewer).get(reverse("sd_portal_new")).status_code == 403


def test_reference_pages(world: Any, web: Any) -> None:
    client = web(world.admin)
    assert client.get(reverse("sd_category_list")).status_code == 200
    assert client.get(reverse("sd_slapolicy_detail", args=[world.a.extra["sd_policy"].pk])).status_code == 200
    response = client.post(reverse("sd_category_create"), {"owner": world.a.owner.pk, "name": "Ny kategori"})
    assert response.status_code == 302
    assert web(world.agent).get(reverse("sd_category_create")).status_code == 403
