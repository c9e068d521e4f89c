"""SLA due times on the Swedish business calendar, pauses, reopening and the warning task."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from samdrift.core.outbox import send_due
from samdrift.servicedesk import actions
from samdrift.servicedesk.calendar import STOCKHOLM
from samdrift.servicedesk.models import Status, Ticket, TicketSecrecyGround
from samdrift.servicedesk.tasks import check_sla
from samdrift.tenancy.actions import do_update_user
from tests.servicedesk.conftest import events_for


def sthlm(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def open_ticket(world: Any, impact: int = 2, urgency: int = 2, **data: Any) -> Ticket:
    return actions.do_create_ticket(
        {"requester": world.a.employee, "subject": "Nätverket", "impact": impact, "urgency": urgency, **data},
        actor=world.agent,
    )


def test_friday_1630_on_midsommarafton_is_due_on_the_right_business_day(world: Any, clock: Any) -> None:
    # The example: 2026-06-19 is midsommarafton (a de facto holiday), 20 June midsommardagen.
    clock.set(2026, 6, 19, 16, 30)
    ticket = open_ticket(world)  # impact 2 × urgency 2 → P3; owner A's policy: 240 / 1620 business minutes
    assert ticket.priority == 3 and ticket.sla_policy == world.a.extra["sd_policy"]
    # The clock starts Monday 22 June 08:00: 4 h → 12:00; 27 h = three full days → Wednesday 17:00.
    assert ticket.first_response_due == sthlm(2026, 6, 22, 12, 0)
    assert ticket.resolution_due == sthlm(2026, 6, 24, 17, 0)
    # One week earlier, an ordinary Friday keeps its last half hour.
    clock.set(2026, 6, 12, 16, 30)
    ordinary = open_ticket(world)
    assert ordinary.first_response_due == sthlm(2026, 6, 15, 11, 30)
    assert ordinary.resolution_due == sthlm(2026, 6, 17, 16, 30)  # a day earlier than after midsommar


def test_default_targets_without_a_policy(world: Any, clock: Any) -> None:
    clock.set(2026, 6, 19, 16, 30)
    ticket = open_ticket(world, impact=1, urgency=1)  # P1, no policy for A: 30 / 240 minutes
    assert ticket.sla_policy is None
    assert ticket.first_response_due == sthlm(2026, 6, 22, 8, 30)
    assert ticket.resolution_due == sthlm(2026, 6, 22, 12, 0)


def test_waiting_pauses_the_clock_and_pushes_the_due_time(world: Any, clock: Any) -> None:
    clock.set(2026, 6, 1, 9, 0)  # Monday
    ticket = open_ticket(world)
    assert ticket.resolution_due == sthlm(2026, 6, 4, 9, 0)
    clock.set(2026, 6, 1, 10, 0)
    ticket = actions.do_change_ticket_status(ticket, Status.WAITING_REQUESTER, actor=world.agent)
    assert ticket.sla_paused_since == clock.now
    clock.set(2026, 6, 2, 10, 0)  # a full business day later
    ticket = actions.do_change_ticket_status(ticket, Status.IN_PROGRESS, actor=world.agent)
    assert ticket.sla_paused_seconds == 9 * 3600 and ticket.sla_paused_since is None
    assert ticket.resolution_due == sthlm(2026, 6, 5, 9, 0)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.resolution_due == ticket.resolution_due and stored.sla_paused_seconds == 9 * 3600


def test_resolved_time_does_not_count_after_a_reopening(world: Any, clock: Any) -> None:
    clock.set(2026, 6, 1, 9, 0)
    ticket = open_ticket(world)
    clock.set(2026, 6, 1, 12, 0)
    ticket = actions.do_change_ticket_status(ticket, Status.RESOLVED, actor=world.agent)
    assert ticket.resolved_at == clock.now and not ticket.resolution_breached
    clock.set(2026, 6, 8, 9, 0)  # a week later (6 June, national day, is a Saturday)
    ticket = actions.do_reopen_ticket(ticket, actor=world.agent)
    # Paused from Mon 12:00 to the next Mon 09:00: 5 h + 4 × 9 h + 1 h = 42 business hours.
    assert ticket.sla_paused_seconds == 42 * 3600
    # 3 of the 27 hours were used before resolving; 24 remain from Mon 09:00: 8 + 9 + 7 → Wed 15:00.
    assert ticket.resolution_due == sthlm(2026, 6, 10, 15, 0)


def test_a_new_priority_recomputes_the_due_times(world: Any, clock: Any) -> None:
    clock.set(2026, 6, 1, 9, 0)
    ticket = open_ticket(world)
    ticket = actions.do_update_ticket(ticket, {"impact": 1, "urgency": 1}, actor=world.agent)
    assert ticket.priority == 1 and ticket.resolution_due == sthlm(2026, 6, 1, 13, 0)
    event = events_for(ticket)[-1]
    assert event.extra["action"] == "update" and event.changes["priority"] == [3, 1]


def test_breaches_are_stamped_when_they_happen(world: Any, clock: Any) -> None:
    clock.set(2026, 6, 1, 9, 0)
    ticket = open_ticket(world, impact=1, urgency=1)  # P1: 30 / 240 minutes
    clock.set(2026, 6, 1, 10, 0)
    actions.do_add_comment(ticket, "Svar", actor=world.agent)
    clock.set(2026, 6, 1, 14, 0)
    ticket = actions.do_change_ticket_status(ticket, Status.RESOLVED, actor=world.agent)
    ticket.refresh_from_db()
    assert ticket.first_response_breached and ticket.resolution_breached


def test_the_periodic_check_warns_once_flags_breaches_and_skips_paused_tickets(
    world: Any, clock: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Ticket.objects.update(status=Status.CLOSED)  # the world's own tickets are not part of this
    do_update_user(world.agent, {"email": "agent@samdrift.example"}, actor=world.admin)
    clock.set(2026, 6, 1, 9, 0)
    group = world.extra["sd_group"]
    soon = open_ticket(world, impact=1, urgency=1, group=group, assignee=world.agent)  # due 13:00
    later = open_ticket(world)  # due Thursday
    waiting = open_ticket(world, impact=1, urgency=1)
    actions.do_change_ticket_status(waiting, Status.WAITING_SUPPLIER, actor=world.agent)
    send_due()
    mailoutbox.clear()  # the acknowledgements of the new tickets
    clock.set(2026, 6, 1, 12, 30)
    with django_capture_on_commit_callbacks(execute=True):
        result = check_sla()
    send_due()
    assert result == {"first_response_breached": 1, "resolution_breached": 0, "breaching_soon": 1}
    soon.refresh_from_db()
    assert soon.breaching_soon_at == clock.now and soon.first_response_breached
    assert Ticket.objects.get(pk=later.pk).breaching_soon_at is None
    assert Ticket.objects.get(pk=waiting.pk).breaching_soon_at is None
    assert events_for(soon)[-1].extra == {"action": "breaching_soon"}
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["agent@samdrift.example"] and soon.number in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        again = check_sla()
    send_due()
    assert again["breaching_soon"] == 0 and len(mailoutbox) == 1
    clock.set(2026, 6, 1, 13, 30)
    assert check_sla()["resolution_breached"] == 1
    # Every flag the check sets is an audit event on its ticket, one per ticket and flag.
    flags = [e.changes for e in events_for(soon) if e.extra.get("action") == "sla_breach"]
    assert flags == [{"first_response_breached": [False, True]}, {"resolution_breached": [False, True]}]
    assert check_sla()["resolution_breached"] == 0  # idempotent: nothing flagged twice


def test_confidential_tickets_send_no_mail(
    world: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(world, confidential=True, secrecy_ground=TicketSecrecyGround.SECURITY)
        actions.do_add_comment(ticket, "Hemligt svar", actor=world.agent)
    send_due()
    assert mailoutbox == []
