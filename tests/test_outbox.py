"""The outbox against a real SMTP server (aiosmtpd, in this process) that goes down and comes back.

Messages queued while the server is down are recorded as failed with the reason, tried again after
their backoff and delivered exactly once when it is back; an agent's reply saved during the outage
answers as usual; order approvals and purchase orders (with their file) arrive through it; the
outbox page lists, filters and retries with an audited action; a send cut off by a dead worker is
never repeated by the machine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from samdrift.core.actions import do_retry_outgoing_message
from samdrift.core.models import AuditEvent, OutboxStatus, OutgoingMessage
from samdrift.core.outbox import claim_due, outbox_summary, queue_message, send_due
from samdrift.ordering import actions as ordering_actions
from samdrift.ordering import purchasing
from samdrift.ordering.models import Order, PurchaseOrder
from samdrift.servicedesk import actions as sd_actions
from samdrift.servicedesk.models import Comment
from tests.smtpserver import SmtpServer

pytestmark = pytest.mark.django_db

PORTS = range(8320, 8400)  # this branch's port range


@pytest.fixture
def smtp(settings: Any) -> Any:
    server = SmtpServer(PORTS)
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
        }
    }
    yield server
    server.close()


def later(minutes: float) -> Any:
    return timezone.now() + timedelta(minutes=minutes)


def new_ticket(world: Any, subject: str) -> Any:
    return sd_actions.do_create_ticket(
        {"requester": world.a.employee, "subject": subject, "impact": 2, "urgency": 2}, actor=world.agent
    )


def test_mail_queued_while_the_server_is_down_goes_out_once_when_it_is_back(world: Any, smtp: Any, web: Any) -> None:
    smtp.stop()
    tickets = [new_ticket(world, f"Skrivaren {n} skriver inte") for n in range(3)]
    rows = OutgoingMessage.objects.filter(object_type="servicedesk.ticket", object_id__in=[t.pk for t in tickets])
    queued = rows.all()
    assert queued.count() == 3 and {m.status for m in queued} == {OutboxStatus.QUEUED}

    assert send_due() == {"sent": 0, "failed": 3, "interrupted": 0}
    queued = rows.all()
    for message in queued:
        assert message.status == OutboxStatus.FAILED and message.attempts == 1
        assert "Connection refused" in message.last_error or "ConnectionRefused" in message.last_error
        assert message.will_retry and message.next_attempt_at > timezone.now()
    summary = outbox_summary()
    assert summary["counts"]["failed"] == 3 and summary["last_failure"] is not None
    assert summary["oldest_waiting"]["id"] == min(m.pk for m in queued)
    # The operations page says so, with the failure and a way to the message.
    page = web(world.admin).get(reverse("operations")).content.decode()
    assert 'id="ops-outbox"' in page and reverse("outbox_detail", args=[summary["last_failure"]["id"]]) in page

    # Still down at the first retry: the backoff doubles.
    first_retry = max(m.next_attempt_at for m in queued)
    assert send_due(now=first_retry + timedelta(seconds=1))["failed"] == 3
    queued = rows.all()
    assert all(m.attempts == 2 and m.next_attempt_at - m.failed_at >= timedelta(minutes=2) for m in queued)

    smtp.start()
    assert send_due()["sent"] == 0, "not due yet: the backoff is kept"
    assert send_due(now=later(10)) == {"sent": 3, "failed": 0, "interrupted": 0}
    assert send_due(now=later(600))["sent"] == 0
    assert len(smtp.received) == 3
    ids = [m["Message-ID"] for m in smtp.received]
    assert len(set(ids)) == 3 and set(ids) == {m.message_id for m in queued}
    queued = rows.all()
    assert sorted(m["To"] for m in smtp.received) == [world.a.employee.email] * 3
    assert all(t.number in " ".join(m["Subject"] for m in smtp.received) for t in tickets)
    assert {m.status for m in queued} == {OutboxStatus.SENT} and all(m.attempts == 3 for m in queued)


def test_an_agents_reply_during_an_outage_is_saved_and_its_failure_recorded(
    world: Any, smtp: Any, web: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = new_ticket(world, "VPN kopplar ner")
    send_due()
    smtp.received.clear()
    smtp.stop()
    # Even a task backend that runs the sender at once, on commit, does not make the request fail.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    client = web(world.agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("sd_ticket_comment", args=[ticket.pk]), {"body": "Starta om klienten.", "kind": "reply"}
        )
    assert response.status_code in {200, 302}
    assert Comment.objects.filter(ticket=ticket, body="Starta om klienten.").exists()
    (reply,) = OutgoingMessage.objects.filter(kind="servicedesk.reply", object_id=str(ticket.pk))
    assert reply.status == OutboxStatus.FAILED and reply.attempts == 1 and reply.last_error and reply.will_retry

    # The ticket page shows the failure to the desk.
    page = client.get(reverse("sd_ticket_detail", args=[ticket.pk])).content.decode()
    assert reply.subject in page and reply.get_status_display() in page

    smtp.start()
    send_due(now=later(5))
    (received,) = smtp.received
    assert "Starta om klienten." in received.get_body(("plain",)).get_content()
    reply.refresh_from_db()
    assert reply.status == OutboxStatus.SENT


def test_the_database_task_backend_gets_one_send_task_per_transaction(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    before = DBTaskResult.objects.filter(task_path="samdrift.core.tasks.send_outbox").count()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for n in range(3):
            queue_message(kind="test", to=[f"p{n}@example.org"], subject=f"Meddelande {n}", body="x")
    assert DBTaskResult.objects.filter(task_path="samdrift.core.tasks.send_outbox").count() == before + 1


def test_order_approval_and_purchase_order_arrive_through_smtp(
    world: Any, smtp: Any, django_capture_on_commit_callbacks: Any
) -> None:
    a, cat = world.a, world.extra["ordering"]
    order = ordering_actions.do_create_order(
        {"cost_centre": a.cost_centre, "delivery_address": "Storgatan 1"},
        [ordering_actions.OrderItem(recipients=[a.employee], package=cat["package"])],
        actor=a.orderer,
    )
    send_due()
    (approval,) = [m for m in smtp.received if m["To"] == a.approver.email]
    assert order.number in approval["Subject"]
    assert reverse("order_detail", args=[order.pk]) in approval.get_body(("plain",)).get_content()

    ordering_actions.do_approve_order(order, actor=a.approver)
    smtp.stop()
    purchasing.bulk_create_purchase_orders(Order.objects.filter(pk=order.pk), actor=world.technician, send=True)
    po = PurchaseOrder.objects.get(order=order)
    send_due()
    po.refresh_from_db()
    assert po.sent_at is None, "not sent while the mail server is down"
    (message,) = OutgoingMessage.objects.filter(object_type="ordering.purchaseorder", object_id=str(po.pk))
    assert message.status == OutboxStatus.FAILED and message.attachments.count() == 1

    smtp.start()
    send_due(now=later(5))
    (sent,) = [m for m in smtp.received if "order@leverantor.example" in m["To"]]
    (attachment,) = list(sent.iter_attachments())
    assert attachment.get_filename() == f"{po.number}.csv"
    assert "LAP-14" in attachment.get_content()
    po.refresh_from_db()
    assert po.sent_at is not None
    decided = [m for m in smtp.received if m["To"] == a.orderer.email]
    assert len(decided) == 1 and order.number in decided[0]["Subject"]


def test_a_refusal_is_not_retried_and_an_interrupted_send_is_never_repeated(world: Any, smtp: Any) -> None:
    with transaction.atomic():
        refused = queue_message(kind="test", to=["nobody@"], subject="Ogiltig", body="x")
        cut = queue_message(kind="test", to=["a@example.org"], subject="Avbruten", body="x")
    assert refused is not None and cut is not None
    # A worker claims `cut` and dies before it could say whether the server took it.
    OutgoingMessage.objects.filter(pk=cut.pk).update(next_attempt_at=later(-1))
    assert claim_due(timezone.now(), limit=1) == [cut.pk]
    assert claim_due(timezone.now(), limit=10) == [refused.pk], "a claimed message is not claimed again"
    OutgoingMessage.objects.filter(pk=refused.pk).update(status=OutboxStatus.QUEUED, next_attempt_at=timezone.now())
    result = send_due(now=later(11))
    assert result["interrupted"] == 1
    cut.refresh_from_db()
    refused.refresh_from_db()
    assert cut.status == OutboxStatus.FAILED and cut.gave_up and cut.last_error, "not sent again by the machine"
    assert refused.status == OutboxStatus.FAILED and refused.gave_up, refused.last_error
    assert smtp.received == []


def test_outbox_page_filters_shows_the_error_and_retries_with_an_audited_action(
    world: Any, smtp: Any, web: Any, django_capture_on_commit_callbacks: Any
) -> None:
    smtp.stop()
    ticket = new_ticket(world, "Lösenordet har gått ut")
    send_due()
    (message,) = OutgoingMessage.objects.filter(object_id=str(ticket.pk), object_type="servicedesk.ticket")
    OutgoingMessage.objects.filter(pk=message.pk).update(next_attempt_at=None)  # gave up
    admin = web(world.admin)
    listing = admin.get(reverse("outbox_list"), {"status": "failed"}).content.decode()
    assert message.subject in listing and "Connection refused" in listing
    assert message.subject not in admin.get(reverse("outbox_list"), {"status": "sent"}).content.decode()
    assert message.subject in admin.get(reverse("outbox_list"), {"status": "gave_up"}).content.decode()
    detail = admin.get(reverse("outbox_detail", args=[message.pk])).content.decode()
    assert "Connection refused" in detail and ticket.number in detail

    for user in (world.agent, world.a.orderer):
        assert web(user).get(reverse("outbox_list")).status_code == 403
        assert web(user).post(reverse("outbox_retry", args=[message.pk])).status_code in {403, 404}
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED

    smtp.start()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(reverse("outbox_retry", args=[message.pk])).status_code == 302
    event = AuditEvent.objects.filter(object_type="core.outgoingmessage", object_id=str(message.pk)).get()
    assert event.event_type == "mail_retried" and event.actor_id == world.admin.pk
    assert event.changes["status"] == ["failed", "queued"] and event.owner_id == world.a.owner.pk
    send_due()
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and len(smtp.received) == 1
    with pytest.raises(ValidationError):
        do_retry_outgoing_message(message, actor=world.admin)


def test_the_api_lists_and_retries_for_administrators_only(world: Any, smtp: Any, api: Any) -> None:
    smtp.stop()
    ticket = new_ticket(world, "Wi-Fi i aulan")
    send_due()
    (message,) = OutgoingMessage.objects.filter(object_id=str(ticket.pk), object_type="servicedesk.ticket")
    rows = api(world.admin).get("/api/v1/outbox/", {"status": "failed"}).json()["results"]
    assert [r["id"] for r in rows] == [message.pk] and "Connection refused" in rows[0]["last_error"]
    for user in (world.agent, world.a.orderer, world.a.viewer):
        assert api(user).get("/api/v1/outbox/").json()["results"] == []
        assert api(user).post(f"/api/v1/outbox/{message.pk}/retry/").status_code == 404
    smtp.start()
    response = api(world.admin).post(f"/api/v1/outbox/{message.pk}/retry/")
    assert response.status_code == 200 and response.json()["status"] == "queued"
    assert api(world.admin).post(f"/api/v1/outbox/{message.pk}/retry/").status_code == 400


def test_no_second_send_task_while_one_waits_to_start(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    # A waiting task claims the due messages when it starts, after these commits: it sends them too.
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            queue_message(kind="test", to=[f"q{n}@example.org"], subject=f"Meddelande {n}", body="x")
        waiting = DBTaskResult.objects.ready().filter(task_path="samdrift.core.tasks.send_outbox").count()
        assert waiting == 1
    # Once the waiting one has started (or finished), the next transaction kicks a new one.
    DBTaskResult.objects.filter(task_path="samdrift.core.tasks.send_outbox").update(status="RUNNING")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue_message(kind="test", to=["r@example.org"], subject="Meddelande", body="x")
    assert DBTaskResult.objects.ready().filter(task_path="samdrift.core.tasks.send_outbox").count() == 1


@pytest.mark.django_db
def test_the_kicks_waiting_check_agrees_with_the_task_librarys_ready() -> None:
    """`_send_waiting` is the library's `ready()` for the send task, written as SQL once: the same
    answer for every status, for a run-after that is unset, due, or still ahead, and only for the
    send task of this queue and backend."""
    from django_tasks_db.models import get_date_max

    from samdrift.core.outbox import _send_waiting
    from samdrift.core.tasks import send_outbox

    backend = send_outbox.get_backend()
    now = timezone.now()
    kinds = {
        "other task": {"task_path": "samdrift.core.tasks.something_else"},
        "other queue": {"queue_name": "elsewhere"},
        "other backend": {"backend_name": "other"},
        "same": {},
    }
    run_afters = {"unset": get_date_max(), "due": now - timedelta(seconds=5), "ahead": now + timedelta(hours=1)}
    compared = 0
    for status in ("READY", "RUNNING", "SUCCESSFUL", "FAILED"):
        for run_label, run_after in run_afters.items():
            for kind, overrides in kinds.items():
                DBTaskResult.objects.all().delete()
                row = {
                    "task_path": send_outbox.module_path,
                    "queue_name": send_outbox.queue_name,
                    "backend_name": backend.alias,
                    "status": status,
                    "run_after": run_after,
                    "args_kwargs": {"args": [], "kwargs": {}},
                    "priority": 0,
                    "exception_class_path": "",
                    "traceback": "",
                    **overrides,
                }
                DBTaskResult.objects.create(**row)
                expected = (
                    DBTaskResult.objects.ready()
                    .filter(task_path=send_outbox.module_path, queue_name=send_outbox.queue_name)
                    .filter(backend_name=backend.alias)
                    .exists()
                )
                assert _send_waiting(send_outbox) is expected, (status, run_label, kind)
                compared += 1
    assert compared == 48
    # Both answers occur: the comparison is not trivially all-false.
    DBTaskResult.objects.all().delete()
    assert _send_waiting(send_outbox) is False


def test_a_stopped_server_refuses_mail_and_keeps_its_port_from_other_tests(smtp: Any) -> None:
    """The outage the tests above play is a real one: nobody else can answer on the port meanwhile."""
    import smtplib
    import socket

    from tests.smtpserver import free_port

    smtp.stop()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", smtp.port), timeout=5):
        pass
    assert free_port(range(smtp.port, smtp.port + 1000)) != smtp.port
    smtp.start()
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=5) as client:
        client.sendmail("a@example.se", ["b@example.se"], b"Subject: tillbaka\r\n\r\nHej")
    assert smtp.subjects == ["tillbaka"]
