"""Ticket actions: creation, lifecycle, assignment, replies, time, merge, link, bulk, rating."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from samdrift.core.models import AuditEvent
from samdrift.core.outbox import send_due
from samdrift.servicedesk import actions
from samdrift.servicedesk.models import Comment, CommentKind, Status, Ticket, TicketSecrecyGround, TimeEntry
from tests.servicedesk.conftest import events_for


def new_ticket(world: Any, ow: Any = None, actor: Any = None, **data: Any) -> Ticket:
    ow = ow or world.a
    return actions.do_create_ticket(
        {"requester": ow.employee, "subject": "Datorn startar inte", "impact": 2, "urgency": 2, **data},
        actor=actor or world.agent,
    )


def test_create_numbers_prioritises_audits_and_mails_the_requester(
    world: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = new_ticket(world, impact=1, urgency=1)
    send_due()  # what the worker does after the commit
    assert re.fullmatch(rf"SD-{timezone.localdate().year}-\d{{6}}", ticket.number)
    assert ticket.priority == 1 and ticket.status == Status.NEW
    assert ticket.cost_centre_id == world.a.employee.cost_centre_id
    assert ticket.first_response_due and ticket.resolution_due and ticket.resolution_due > ticket.first_response_due
    (event,) = events_for(ticket)
    assert event.event_type == "created" and event.changes["number"] == [None, ticket.number]
    assert event.owner_id == world.a.owner.pk
    assert len(mailoutbox) == 1 and ticket.number in mailoutbox[0].subject
    assert mailoutbox[0].to == [world.a.employee.email]
    other = new_ticket(world)
    assert int(other.number[-6:]) == int(ticket.number[-6:]) + 1


def test_priority_matrix_is_configurable(world: Any) -> None:
    assert new_ticket(world, impact=3, urgency=3).priority == 4
    cell = actions.do_set_priority_cell(3, 3, 2, actor=world.admin)
    assert events_for(cell)[-1].event_type == "created"
    assert new_ticket(world, impact=3, urgency=3).priority == 2
    with pytest.raises(PermissionDenied):
        actions.do_set_priority_cell(3, 3, 1, actor=world.agent)


def test_end_user_reports_only_for_themselves_and_cannot_mark_confidential(world: Any) -> None:
    a = world.a
    ticket = actions.do_create_ticket(
        {"subject": "Hjälp", "confidential": True, "secrecy_ground": TicketSecrecyGround.PERSONNEL, "impact": 1},
        actor=a.end_user,
    )
    assert ticket.requester_id == a.end_user.person_id
    assert not ticket.confidential and ticket.impact == 3
    assert events_for(ticket)[0].actor_role == "end_user"
    with pytest.raises(PermissionDenied):
        actions.do_create_ticket({"subject": "x", "requester": a.employee}, actor=a.end_user)


def test_nobody_opens_tickets_for_another_owners_people(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_create_ticket({"subject": "x", "requester": world.b.employee}, actor=world.a.orderer)
    with pytest.raises(ValidationError):
        actions.do_create_ticket(
            {"subject": "x", "requester": world.a.employee, "category": world.b.extra["sd_category"]},
            actor=world.agent,
        )


def test_lifecycle_transitions_are_audited_and_invalid_ones_refused(world: Any) -> None:
    ticket = new_ticket(world)
    with pytest.raises(ValidationError, match="cannot go from"):
        actions.do_change_ticket_status(ticket, Status.CLOSED, actor=world.agent)
    with pytest.raises(ValidationError, match="group or an agent"):
        actions.do_change_ticket_status(ticket, Status.ASSIGNED, actor=world.agent)
    for status in (Status.IN_PROGRESS, Status.WAITING_SUPPLIER, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED):
        ticket = actions.do_change_ticket_status(ticket, status, actor=world.agent)
        assert events_for(ticket)[-1].extra["action"] == "status"
        assert events_for(ticket)[-1].changes["status"][1] == status
    assert ticket.resolved_at and ticket.closed_at
    with pytest.raises(ValidationError):
        actions.do_change_ticket_status(ticket, Status.IN_PROGRESS, actor=world.agent)
    with pytest.raises(ValidationError):
        actions.do_reopen_ticket(ticket, actor=world.agent)
    with pytest.raises(PermissionDenied):
        actions.do_change_ticket_status(new_ticket(world), Status.IN_PROGRESS, actor=world.a.viewer)


def test_reopen_only_within_the_window(world: Any, settings: Any) -> None:
    settings.SERVICEDESK_REOPEN_DAYS = 5
    ticket = new_ticket(world)
    ticket = actions.do_change_ticket_status(ticket, Status.RESOLVED, actor=world.agent)
    ticket = actions.do_reopen_ticket(ticket, actor=world.agent, reason="kvarstår")
    assert ticket.status == Status.IN_PROGRESS and ticket.resolved_at is None
    assert events_for(ticket)[-1].extra == {"action": "reopen", "reason": "kvarstår"}
    ticket = actions.do_change_ticket_status(ticket, Status.RESOLVED, actor=world.agent)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=6))
    ticket.refresh_from_db()
    with pytest.raises(ValidationError, match="5 days"):
        actions.do_reopen_ticket(ticket, actor=world.agent)


def test_requester_reopens_and_rates_their_own_ticket(world: Any) -> None:
    a = world.a
    ticket = world.a.extra["sd_own_ticket"]
    with pytest.raises(ValidationError):
        actions.do_rate_ticket(ticket, 5, actor=a.end_user)
    ticket = actions.do_change_ticket_status(ticket, Status.RESOLVED, actor=world.agent)
    with pytest.raises(ValidationError):
        actions.do_rate_ticket(ticket, 6, actor=a.end_user)
    with pytest.raises(PermissionDenied):
        actions.do_rate_ticket(ticket, 4, actor=world.agent)
    ticket = actions.do_rate_ticket(ticket, 4, "Snabbt", actor=a.end_user)
    assert ticket.csat_score == 4
    assert events_for(ticket)[-1].extra["action"] == "rate" and events_for(ticket)[-1].actor_role == "requester"
    ticket = actions.do_reopen_ticket(ticket, actor=a.end_user)
    assert ticket.status == Status.IN_PROGRESS
    with pytest.raises(PermissionDenied):
        actions.do_reopen_ticket(world.a.extra["sd_ticket"], actor=a.end_user)


def test_assign_checks_group_membership_and_staff(world: Any) -> None:
    group = world.extra["sd_group"]
    ticket = new_ticket(world)
    with pytest.raises(ValidationError, match="service-desk staff"):
        actions.do_assign_ticket(ticket, group=None, assignee=world.finance, actor=world.agent)
    with pytest.raises(ValidationError, match="not a member"):
        actions.do_assign_ticket(ticket, group=group, assignee=world.technician, actor=world.agent)
    ticket = actions.do_assign_ticket(ticket, group=group, assignee=world.agent, actor=world.agent)
    assert ticket.status == Status.ASSIGNED and ticket.assignee_id == world.agent.pk
    event = events_for(ticket)[-1]
    assert event.extra["action"] == "assign" and event.changes["status"] == ["new", "assigned"]


def test_first_public_reply_stops_the_first_response_clock(
    world: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = new_ticket(world)
    send_due()
    mailoutbox.clear()  # the acknowledgement of the new ticket
    actions.do_add_comment(ticket, "Intern", actor=world.agent, kind=CommentKind.NOTE)
    assert Ticket.objects.get(pk=ticket.pk).first_responded_at is None
    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.do_add_comment(ticket, "Vi kollar", actor=world.agent)
    send_due()
    ticket.refresh_from_db()
    assert ticket.first_responded_at == reply.created and not ticket.first_response_breached
    assert events_for(reply)[0].event_type == "created" and events_for(reply)[0].extra == {"ticket": ticket.pk}
    assert any(e.extra.get("action") == "first_response" for e in events_for(ticket))
    assert [m.to for m in mailoutbox] == [[world.a.employee.email]]
    with pytest.raises(ValidationError):
        actions.do_add_comment(ticket, "   ", actor=world.agent)


def test_requester_reply_puts_a_waiting_ticket_back_in_progress(world: Any) -> None:
    ticket = world.a.extra["sd_own_ticket"]
    actions.do_change_ticket_status(ticket, Status.WAITING_REQUESTER, actor=world.agent)
    comment = actions.do_add_comment(ticket, "Här är svaret", actor=world.a.end_user)
    assert events_for(comment)[0].actor_role == "requester"
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.first_responded_at is None
    with pytest.raises(PermissionDenied):
        actions.do_add_comment(ticket, "x", actor=world.a.end_user, kind=CommentKind.NOTE)
    with pytest.raises(PermissionDenied):
        actions.do_add_comment(world.a.extra["sd_ticket"], "x", actor=world.a.end_user)


def test_confidential_comments_need_a_ground_and_the_right_role(world: Any) -> None:
    ticket = new_ticket(world)
    with pytest.raises(ValidationError):
        actions.do_add_comment(ticket, "Lösenord", actor=world.agent, confidential=True)
    with pytest.raises(PermissionDenied):
        actions.do_add_comment(
            ticket, "x", actor=world.technician, confidential=True, secrecy_ground=TicketSecrecyGround.SECURITY
        )


def test_a_reply_costs_the_same_few_statements_and_keeps_its_checks(world: Any, django_assert_num_queries: Any) -> None:
    """A reply: the ticket locked, the comment, its audit event, the notification queued. full_clean
    no longer asks the database again for the ticket, owner and author the action already holds
    (17 statements before, 11 now), and the secrecy rule is still the action's."""
    ticket = new_ticket(world)
    actions.do_add_comment(ticket, "Vi tittar på det.", actor=world.agent)  # the first reply also stops a clock
    with django_assert_num_queries(11):  # with the owner's mailbox as the reply's sender
        comment = actions.do_add_comment(ticket, "Skrivaren fungerar nu.", actor=world.agent)
    assert comment.owner_id == ticket.owner_id and comment.author_id == world.agent.pk
    for confidential, ground in ((True, ""), (False, TicketSecrecyGround.SECURITY)):
        with pytest.raises(ValidationError) as refused:
            actions.do_add_comment(ticket, "x", actor=world.agent, confidential=confidential, secrecy_ground=ground)
        assert "secrecy_ground" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        actions.do_add_comment(ticket, "   ", actor=world.agent)
    assert "body" in refused.value.message_dict
    assert Comment.objects.filter(ticket=ticket).count() == 2


def test_visibility_of_confidential_tickets_and_comments(world: Any) -> None:
    a = world.a
    secret = new_ticket(world, confidential=True, secrecy_ground=TicketSecrecyGround.PERSONNEL, requester=a.employee)
    note = a.extra["sd_note"]
    reply = a.extra["sd_reply"]
    assert Ticket.objects.for_user(world.agent).filter(pk=secret.pk).exists()
    assert not Ticket.objects.for_user(world.technician).filter(pk=secret.pk).exists()
    assert not Ticket.objects.for_user(a.viewer).filter(pk=secret.pk).exists()
    assert Comment.objects.for_user(world.agent).filter(pk=note.pk).exists()
    for user in (world.technician, a.viewer, a.orderer):
        visible = set(Comment.objects.for_user(user).values_list("pk", flat=True))
        assert note.pk not in visible and reply.pk in visible
    # End users see their own tickets only, and only public replies on them.
    assert list(Ticket.objects.for_user(a.end_user)) == [a.extra["sd_own_ticket"]]
    assert not Comment.objects.for_user(a.end_user).filter(ticket=a.extra["sd_ticket"]).exists()
    assert not Ticket.objects.for_user(world.b.viewer).filter(owner=a.owner).exists()


def test_time_entries_are_validated_audited_and_scoped(world: Any) -> None:
    ticket = new_ticket(world)
    entry = actions.do_log_time(ticket, 45, actor=world.technician, billable=False, work_type="on_site")
    assert events_for(entry)[0].changes["minutes"] == [None, 45]
    with pytest.raises(ValidationError):
        actions.do_log_time(ticket, 0, actor=world.agent)
    with pytest.raises(PermissionDenied):
        actions.do_log_time(ticket, 5, actor=world.a.orderer)
    assert TimeEntry.objects.for_user(world.a.viewer).filter(pk=entry.pk).exists()
    assert not TimeEntry.objects.for_user(world.b.viewer).filter(pk=entry.pk).exists()
    assert not TimeEntry.objects.for_user(world.a.end_user).exists()


def test_merge_closes_the_duplicate_and_links_it(world: Any) -> None:
    keep, dup = new_ticket(world), new_ticket(world)
    dup = actions.do_merge_tickets(dup, keep, actor=world.agent)
    assert dup.status == Status.CLOSED and dup.merged_into_id == keep.pk
    assert dup.links_out.get().kind == "duplicate"
    assert events_for(dup)[-1].extra["action"] == "merge"
    assert events_for(keep)[-1].extra == {"action": "merged_from", "duplicate": dup.pk}
    with pytest.raises(ValidationError):
        actions.do_merge_tickets(new_ticket(world), world.b.extra["sd_ticket"], actor=world.agent)
    with pytest.raises(ValidationError):
        actions.do_merge_tickets(keep, keep, actor=world.agent)


def test_link_related_tickets(world: Any) -> None:
    one, two = new_ticket(world), new_ticket(world)
    link = actions.do_link_tickets(one, two, actor=world.agent)
    assert events_for(link)[0].extra == {"action": "link"}
    # The audit log names the link by the tickets' numbers, not their row ids.
    assert events_for(link)[0].object_repr == f"{one.number} → {two.number}"
    with pytest.raises(ValidationError, match="already linked"):
        actions.do_link_tickets(two, one, actor=world.agent)
    with pytest.raises(ValidationError, match="same owner"):
        actions.do_link_tickets(one, world.b.extra["sd_ticket"], actor=world.agent)


def test_bulk_update_is_all_or_nothing(world: Any) -> None:
    tickets = [new_ticket(world) for _ in range(3)]
    group = world.extra["sd_group"]
    before = AuditEvent.objects.count()
    assert actions.do_bulk_update_tickets(tickets, {"group": group, "assignee": world.agent}, actor=world.agent) == 3
    assert AuditEvent.objects.count() == before + 3
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("status", "group")) == {
        ("assigned", group.pk)
    }
    actions.do_change_ticket_status(tickets[0], Status.IN_PROGRESS, actor=world.agent)
    actions.do_change_ticket_status(tickets[0], Status.RESOLVED, actor=world.agent)
    fresh = list(Ticket.objects.filter(pk__in=[t.pk for t in tickets]))
    with pytest.raises(ValidationError, match=tickets[0].number):
        actions.do_bulk_update_tickets(fresh, {"status": Status.WAITING_SUPPLIER}, actor=world.agent)
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets[1:]], status="assigned").count() == 2
    with pytest.raises(PermissionDenied):
        actions.do_bulk_update_tickets(fresh[1:], {"status": Status.IN_PROGRESS}, actor=world.a.viewer)


def test_category_tree_and_copy(world: Any) -> None:
    a, b = world.a, world.b
    root = a.extra["sd_category"]
    child = actions.do_create_category({"owner": a.owner, "parent": root, "name": "Skrivare"}, actor=world.admin)
    with pytest.raises(ValidationError):
        actions.do_update_category(root, {"parent": child}, actor=world.admin)
    with pytest.raises(ValidationError):
        actions.do_create_category({"owner": b.owner, "parent": root, "name": "x"}, actor=world.admin)
    with pytest.raises(PermissionDenied):
        actions.do_create_category({"owner": a.owner, "name": "x"}, actor=a.viewer)
    assert actions.do_copy_categories(a.owner, b.owner, actor=world.admin) == 2
    assert actions.do_copy_categories(a.owner, b.owner, actor=world.admin) == 0
    copied = b.owner.pk
    from samdrift.servicedesk.models import Category

    assert Category.objects.get(owner_id=copied, name="Skrivare").parent.name == root.name
    assert events_for(child)[0].event_type == "created"


def test_bad_input_is_refused_clearly(world: Any) -> None:
    ticket = new_ticket(world)
    with pytest.raises(ValidationError, match="Unknown status"):
        actions.do_bulk_update_tickets([ticket], {"status": "bogus"}, actor=world.agent)
    with pytest.raises(ValidationError, match="weekday"):
        actions.do_create_sla_policy(
            {
                "owner": world.a.owner,
                "priority": 1,
                "first_response_minutes": 10,
                "resolution_minutes": 20,
                "weekdays": "0x",
            },
            actor=world.admin,
        )
