"""Email in and out against a real IMAP server (dovecot, see dovecot.py) and real, messy messages."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from samdrift.core.models import AuditEvent
from samdrift.core.outbox import send_due
from samdrift.servicedesk import actions, intake
from samdrift.servicedesk.models import (
    Attachment,
    Comment,
    CommentKind,
    InboundMessage,
    InboundStatus,
    Mailbox,
    Status,
    Ticket,
    UnknownSenders,
)
from samdrift.tenancy.models import Person

SAMPLES = Path(__file__).parent / "mail"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def mailbox(world: Any, imap_server: Any) -> Mailbox:
    user, password = imap_server.add_user()
    box = intake.do_create_mailbox(
        {
            "owner": world.a.owner,
            "name": f"Support {user}",
            "address": "support@samdrift.example",
            "host": imap_server.host,
            "port": imap_server.port,
            "security": "none",
            "username": user,
            "password": password,
            "default_group": world.extra["sd_group"],
            "unknown_senders": UnknownSenders.STUB,
        },
        actor=world.admin,
    )
    box.imap = imap_server  # type: ignore[attr-defined]
    return box


def deliver(mailbox: Mailbox, raw: bytes) -> int:
    server = mailbox.imap  # type: ignore[attr-defined]
    return server.deliver(mailbox.username, mailbox.password, raw)


def poll(mailbox: Mailbox, capture: Any) -> dict[str, int]:
    with capture(execute=True):
        result = intake.poll_mailbox(Mailbox.objects.get(pk=mailbox.pk))
    send_due()  # the replies it queued, sent as the worker would
    return result


def message(sender: str, subject: str, body: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@samdrift.example"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="kommun.example")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def test_a_mail_becomes_a_ticket_the_reply_reaches_the_sender_and_the_answer_threads(
    world: Any, mailbox: Mailbox, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    employee = world.a.employee
    deliver(mailbox, message(f"Anställd <{employee.email}>", "Wifi fungerar inte", "Inget nät i aulan."))
    result = poll(mailbox, django_capture_on_commit_callbacks)
    assert result == {"stored": 1, "processed": 1, "error": 0}
    received = InboundMessage.objects.get(mailbox=mailbox)
    assert received.status == InboundStatus.PROCESSED and received.raw.size == received.size
    ticket = received.ticket
    assert ticket is not None and ticket.requester == employee and ticket.channel == "email"
    assert ticket.group == world.extra["sd_group"] and "Inget nät i aulan." in ticket.description
    # The acknowledgement carries the token and thread headers, and says it is automatic.
    ack = mailoutbox[-1]
    assert ticket.number in ack.subject and ack.to == [employee.email]
    assert ack.from_email == "support@samdrift.example"
    assert ack.extra_headers["Auto-Submitted"] == "auto-generated"
    assert f"<{received.message_id}>" in ack.extra_headers["References"]

    with django_capture_on_commit_callbacks(execute=True):
        actions.do_add_comment(ticket, "Starta om routern i aulan.", actor=world.agent)
        actions.do_change_ticket_status(ticket, Status.WAITING_REQUESTER, actor=world.agent)
    send_due()
    reply = next(m for m in mailoutbox if "Starta om routern" in m.body)
    assert reply.to == [employee.email] and ticket.number in reply.subject
    assert "Auto-Submitted" not in reply.extra_headers

    # The sender answers the agent's mail: no token in the subject, only In-Reply-To.
    answer = message(
        employee.email,
        "Re: ditt ärende",
        "Det hjälpte, tack!",
        In_Reply_To=reply.extra_headers["Message-ID"],
        References=reply.extra_headers["References"] + " " + reply.extra_headers["Message-ID"],
    )
    deliver(mailbox, answer)
    assert poll(mailbox, django_capture_on_commit_callbacks)["processed"] == 1
    comment = Comment.objects.filter(ticket=ticket, author_person=employee).get()
    assert comment.body == "Det hjälpte, tack!" and comment.kind == CommentKind.REPLY
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS  # the requester answered a ticket waiting on them
    assert Ticket.objects.filter(channel="email", requester=employee, subject="Wifi fungerar inte").count() == 1
    # A reply with the token in the subject threads too.
    deliver(mailbox, message(employee.email, f"SV: [{ticket.number}] Wifi", "En sak till."))
    poll(mailbox, django_capture_on_commit_callbacks)
    assert Comment.objects.filter(ticket=ticket, author_person=employee).count() == 2

    # Nothing is stored or processed twice: polling again finds nothing new, even from UID 0.
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)
    assert poll(mailbox, django_capture_on_commit_callbacks) == {"stored": 0, "processed": 0, "error": 0}
    assert InboundMessage.objects.filter(mailbox=mailbox).count() == 3


def test_messy_real_messages_are_processed_or_queued_with_a_reason(
    world: Any, mailbox: Mailbox, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    names = sorted(p.name for p in SAMPLES.glob("*.eml"))
    for name in names:
        deliver(mailbox, sample(name))
    result = poll(mailbox, django_capture_on_commit_callbacks)
    assert result["stored"] == len(names) == InboundMessage.objects.filter(mailbox=mailbox).count()
    by_subject = {m.subject: m for m in InboundMessage.objects.filter(mailbox=mailbox)}
    status = {subject: (m.status, m.reason) for subject, m in by_subject.items()}

    outlook = by_subject["Skrivaren på plan 3 skriver inte ut"]
    assert outlook.status == InboundStatus.PROCESSED, outlook.reason
    assert outlook.ticket.requester.email == "gunnel.akesson@kommun.example"  # a stub person
    assert outlook.ticket.requester.kind == "external"
    assert "papperskvadd" in outlook.ticket.description
    for bad in ("<script", "javascript:", "onload", "tracker.example", "<style"):
        assert bad not in outlook.html
    assert "<b>" in outlook.html

    shot = by_subject["Skärmen flimrar – se bild"]
    assert shot.status == InboundStatus.PROCESSED, shot.reason
    kept = {a.filename: a for a in Attachment.objects.filter(ticket=shot.ticket)}
    assert set(kept) == {"skarm.png", "felrapport.pdf"}
    assert kept["skarm.png"].inline and kept["skarm.png"].file.read().startswith(b"\x89PNG")
    assert f"/servicedesk/attachments/{kept['skarm.png'].pk}/" in shot.html and "cid:" not in shot.html
    assert "fix.exe" in shot.warnings
    assert Comment.objects.filter(ticket=shot.ticket, kind=CommentKind.NOTE, body__contains="fix.exe").exists()

    assert by_subject["Привет"].status == InboundStatus.PROCESSED
    assert "не работает почта" in by_subject["Привет"].ticket.description

    for subject, why in [
        ("Automatiskt svar: [SD-2026-000001] Vi har tagit emot ditt ärende", "Auto-Submitted"),
        ("Undelivered Mail Returned to Sender", "bounce"),
        ("Nyhetsbrev november", "Precedence"),
    ]:
        assert status[subject][0] == InboundStatus.IGNORED and why in status[subject][1], status[subject]
    for subject, why in [
        ("Trasig MIME", "Broken MIME structure"),
        ("Konstig teckenkodning", "Unknown character set “x-mac-sami”"),
        ("Ingen avsandare", "no sender address"),
    ]:
        assert status[subject][0] == InboundStatus.FAILED and why in status[subject][1], status[subject]
    # Only the three people whose messages became tickets were answered.
    answered = sorted(to for m in mailoutbox for to in m.to)
    assert answered == ["gunnel.akesson@kommun.example", "ivan@kommun.example", "lars.borjesson@kommun.example"]

    # Failures are retried from the error queue, accepting the defects.
    broken = by_subject["Trasig MIME"]
    with pytest.raises(Exception, match="Only a failed"):
        intake.do_retry_inbound_message(outlook, actor=world.agent)
    broken = intake.do_retry_inbound_message(broken, actor=world.agent, accept_defects=True)
    assert broken.status == InboundStatus.PROCESSED and broken.attempts == 2
    assert "Texten finns men gränsen stämmer inte." in broken.ticket.description
    assert "Broken MIME" in broken.warnings
    charset = intake.do_retry_inbound_message(by_subject["Konstig teckenkodning"], actor=world.agent)
    assert charset.status == InboundStatus.FAILED and charset.attempts == 2
    charset = intake.do_retry_inbound_message(charset, actor=world.agent, accept_defects=True)
    assert charset.status == InboundStatus.PROCESSED and "Latin-1" in charset.warnings
    nobody = intake.do_retry_inbound_message(by_subject["Ingen avsandare"], actor=world.agent, accept_defects=True)
    assert nobody.status == InboundStatus.FAILED
    with nobody.raw.open("rb") as fh:
        assert fh.read().startswith(b"To: support@")
    events = AuditEvent.objects.filter(object_type="servicedesk.inboundmessage", object_id=str(broken.pk))
    assert [e.extra.get("action") for e in events.order_by("id")] == [None, "process", "process"]


def test_a_20_mb_attachment_is_refused_but_nothing_is_lost(
    world: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    msg = EmailMessage()
    msg["From"] = world.a.employee.email
    msg["To"] = mailbox.address
    msg["Subject"] = "Loggfiler från servern"
    msg["Message-ID"] = make_msgid(domain="kommun.example")
    msg.set_content("Här är loggarna.")
    msg.add_attachment(b"L" * (20 * 1024 * 1024), maintype="application", subtype="zip", filename="loggar.zip")
    msg.add_attachment(b"ok", maintype="text", subtype="plain", filename="notering.txt")
    raw = msg.as_bytes()
    deliver(mailbox, raw)
    poll(mailbox, django_capture_on_commit_callbacks)
    received = InboundMessage.objects.get(mailbox=mailbox)
    assert received.status == InboundStatus.PROCESSED
    assert "loggar.zip" in received.warnings and "over the limit of 10.0 MB" in received.warnings
    assert [a.filename for a in Attachment.objects.filter(ticket=received.ticket)] == ["notering.txt"]
    # The intake's warning is an internal note on the ticket, written by an action with its event.
    (note,) = Comment.objects.filter(ticket=received.ticket, kind=CommentKind.NOTE)
    assert "loggar.zip" in note.body
    assert AuditEvent.objects.filter(object_type="servicedesk.comment", object_id=str(note.pk), actor_role="system")
    assert received.size == len(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    with received.raw.open("rb") as fh:
        assert base64.b64encode(b"L" * 57) in fh.read()  # the attachment is in the stored message


def test_unknown_senders_are_rejected_then_retried_once_known(
    world: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(unknown_senders=UnknownSenders.REJECT)
    deliver(mailbox, message("okand@annanstans.example", "Hjälp", "Vem är jag?"))
    poll(mailbox, django_capture_on_commit_callbacks)
    received = InboundMessage.objects.get(mailbox=mailbox)
    assert received.status == InboundStatus.FAILED and "Unknown sender okand@annanstans.example" in received.reason
    assert not Person.objects.filter(email="okand@annanstans.example").exists()
    from samdrift.tenancy.actions import do_update_person

    do_update_person(world.a.pupil, {"email": "okand@annanstans.example"}, actor=world.admin)
    received = intake.do_retry_inbound_message(received, actor=world.agent)
    assert received.status == InboundStatus.PROCESSED and received.ticket.requester == world.a.pupil


def test_someone_else_cannot_reply_into_a_ticket(
    world: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = world.a.extra["sd_ticket"]
    deliver(mailbox, message("intrang@annanstans.example", f"Re: [{ticket.number}]", "Jag vill se ärendet."))
    poll(mailbox, django_capture_on_commit_callbacks)
    received = InboundMessage.objects.get(mailbox=mailbox)
    assert received.status == InboundStatus.FAILED and "not the requester" in received.reason
    assert not Comment.objects.filter(ticket=ticket, body__contains="Jag vill se").exists()
    received = intake.do_retry_inbound_message(received, actor=world.agent, as_new_ticket=True)
    assert received.status == InboundStatus.PROCESSED and received.ticket != ticket


def test_loops_duplicates_and_a_flood_from_one_sender_are_never_answered(
    world: Any, mailbox: Mailbox, mailoutbox: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SERVICEDESK_MAIL_SENDER_LIMIT = 3  # the world already holds one message from this sender
    twice = message(world.a.employee.email, "Samma brev", "Skickat två gånger.")
    deliver(mailbox, twice)
    deliver(mailbox, twice)
    deliver(mailbox, message(world.a.employee.email, "Tredje", "Ett till."))
    deliver(mailbox, message(mailbox.address, "Från oss själva", "Loop."))
    poll(mailbox, django_capture_on_commit_callbacks)
    rows = list(InboundMessage.objects.filter(mailbox=mailbox).order_by("uid"))
    assert [r.status for r in rows] == ["processed", "ignored", "ignored", "ignored"]
    assert "Duplicate of received message" in rows[1].reason
    assert "within an hour" in rows[2].reason
    assert "own address" in rows[3].reason
    assert len(mailoutbox) == 1


def test_a_server_that_refuses_the_login_is_reported_on_the_mailbox(
    world: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    intake.do_update_mailbox(mailbox, {"password": "wrong"}, actor=world.admin)
    result = poll(mailbox, django_capture_on_commit_callbacks)
    mailbox.refresh_from_db()
    assert result["error"] == 1 and "AUTHENTICATIONFAILED" in mailbox.last_error.upper().replace(" ", "")
    assert mailbox.last_polled_at is not None
    # The audit trail of the password change shows no password.
    event = (
        AuditEvent.objects.filter(object_type="servicedesk.mailbox", object_id=str(mailbox.pk)).order_by("id").last()
    )
    assert event is not None and event.changes == {"password": ["***", "***"]}
