"""Email in: mailboxes, reading them over IMAP, and turning received messages into tickets and
comments. Also attachments, which email and the ticket page share.

Every received message is stored raw (`do_store_inbound_message`, its own transaction) before it
is processed; processing (`do_process_inbound_message`) runs in a savepoint, so a failure keeps the
message with its reason in the error queue and changes nothing else; `do_retry_inbound_message`
runs it again. (mailbox, UIDVALIDITY, UID) is unique and a Message-ID already processed in the
same mailbox is not processed again, so nothing is lost and nothing is done twice.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from samdrift.core.access import require_role, scope_for
from samdrift.core.actions import set_active_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import SYSTEM_ROLE, Role
from samdrift.core.secrets import undecryptable
from samdrift.servicedesk import actions, notify
from samdrift.servicedesk.mail import OUR_MESSAGE_ID_RE, MailError, MailPart, ParsedMessage, parse_message, peek_headers
from samdrift.servicedesk.models import (
    Attachment,
    Comment,
    CommentKind,
    InboundMessage,
    InboundStatus,
    LinkKind,
    Mailbox,
    MailSecurity,
    Status,
    Ticket,
    UnknownSenders,
)
from samdrift.tenancy.models import Person, PersonKind

log = logging.getLogger(__name__)

MAILBOX_ROLES = frozenset({Role.ADMIN})
INTAKE_ROLES = frozenset({Role.ADMIN, Role.AGENT})
BLOCKED_EXTENSIONS = frozenset(
    {".exe", ".bat", ".cmd", ".com", ".scr", ".pif", ".js", ".jse", ".vbs", ".vbe", ".msi", ".ps1", ".jar", ".dll"}
)
BLOCKED_TYPES = frozenset({"application/x-msdownload", "application/x-dosexec", "application/x-msdos-program"})


def max_attachment_bytes() -> int:
    """SERVICEDESK_ATTACHMENT_MAX_BYTES, default 10 MiB per file."""
    return int(settings.SERVICEDESK_ATTACHMENT_MAX_BYTES)


def sender_rate_limit() -> int:
    """SERVICEDESK_MAIL_SENDER_LIMIT: messages per sender and hour above which a loop is assumed."""
    return int(settings.SERVICEDESK_MAIL_SENDER_LIMIT)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# --- mailboxes (administrators) ----------------------------------------------------------------


def _check_mailbox(data: dict[str, Any]) -> None:
    group = data.get("default_group")
    if group is not None and not group.active:
        raise ValidationError({"default_group": _("Choose an active group.")})


@transaction.atomic
def do_create_mailbox(data: dict[str, Any], *, actor: Any) -> Mailbox:
    owner = data.get("owner")
    role = require_role(actor, owner_id=getattr(owner, "pk", owner), operator_roles=MAILBOX_ROLES)
    _check_mailbox(data)
    mailbox = Mailbox(**data)
    mailbox.full_clean()
    mailbox.save(force_insert=True)
    shown = {k: v for k, v in data.items() if k != "password"}
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        mailbox,
        changes={
            **{k: [None, v] for k, v in shown.items()},
            **({"password": [None, "***"]} if data.get("password") else {}),
        },
    )
    return mailbox


@transaction.atomic
def do_update_mailbox(mailbox: Mailbox, data: dict[str, Any], *, actor: Any) -> Mailbox:
    """Change a mailbox; an empty password keeps the one saved. The audit never holds a password."""
    role = require_role(actor, owner_id=mailbox.owner_id, operator_roles=MAILBOX_ROLES)
    data = dict(data)
    password = data.pop("password", "")
    _check_mailbox(data)
    mailbox = update_audited(mailbox, data, actor=actor, role=role, immutable=("owner",))
    if password and password != mailbox.password:
        mailbox.password = password
        mailbox.full_clean()
        mailbox.save(update_fields=["password"])
        record_event(actor, role, AuditEventType.UPDATED, mailbox, changes={"password": ["***", "***"]})
    return mailbox


@transaction.atomic
def do_set_mailbox_active(mailbox: Mailbox, active: bool, *, actor: Any) -> Mailbox:
    role = require_role(actor, owner_id=mailbox.owner_id, operator_roles=MAILBOX_ROLES)
    return set_active_audited(mailbox, active, actor=actor, role=role)


# --- attachments -------------------------------------------------------------------------------


def check_attachment(filename: str, content_type: str, size: int) -> str | None:
    """Why a file may not be kept, or None."""
    if size > max_attachment_bytes():
        return _("“%(name)s” (%(size)s) is over the limit of %(limit)s.") % {
            "name": filename,
            "size": _megabytes(size),
            "limit": _megabytes(max_attachment_bytes()),
        }
    ext = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if ext in BLOCKED_EXTENSIONS or content_type.lower() in BLOCKED_TYPES:
        return _("“%(name)s” is a program or script; such files are not kept.") % {"name": filename}
    if size == 0:
        return _("“%(name)s” is empty.") % {"name": filename}
    return None


def _store_attachment(ticket: Ticket, comment: Comment | None, part: MailPart, *, actor: Any, role: str) -> Attachment:
    attachment = Attachment(
        owner_id=ticket.owner_id,
        ticket=ticket,
        comment=comment,
        filename=part.filename,
        content_type=part.content_type or "application/octet-stream",
        size=len(part.data),
        inline=part.inline,
        content_id=part.content_id,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    # Files are not transactional: a rolled-back action leaves an unreferenced file, never a row
    # without its file.
    attachment.file.save(f"{uuid.uuid4().hex}.bin", ContentFile(part.data), save=False)
    attachment.save(force_insert=True)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        attachment,
        changes={"filename": [None, attachment.filename], "size": [None, attachment.size]},
        extra={"ticket": ticket.pk, "comment": getattr(comment, "pk", None)},
    )
    return attachment


@transaction.atomic
def do_add_attachment(ticket: Ticket, upload: Any, *, actor: Any, comment: Comment | None = None) -> Attachment:
    """Attach an uploaded file to a ticket (desk staff, or the ticket's requester)."""
    role = actions.requester_or_desk(actor, ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("The ticket is closed; open a new ticket instead."))
    if comment is not None and comment.ticket_id != ticket.pk:
        raise ValidationError({"comment": _("The comment belongs to another ticket.")})
    filename = re.sub(r"[\\/\x00-\x1f]", "_", getattr(upload, "name", "") or "file").strip(" .")[:200] or "file"
    content_type = (
        getattr(upload, "content_type", "") or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    )[:100]
    size = int(getattr(upload, "size", 0) or 0)
    problem = check_attachment(filename, content_type, size)
    if problem:
        raise ValidationError({"file": problem})
    data = upload.read()
    return _store_attachment(ticket, comment, MailPart(filename, content_type, data), actor=actor, role=role)


# --- storing what was received -----------------------------------------------------------------


def do_store_inbound_message(mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes) -> InboundMessage | None:
    """Keep a received message as it came, in its own transaction, before it is processed.
    Returns None when this mailbox UID was stored before."""
    if InboundMessage.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid).exists():
        return None
    message_id, sender, subject = peek_headers(raw)
    msg = InboundMessage(
        owner_id=mailbox.owner_id,
        mailbox=mailbox,
        uidvalidity=uidvalidity,
        uid=uid,
        message_id=message_id,
        sender=sender,
        subject=subject,
        size=len(raw),
    )
    msg.raw.save(f"{mailbox.pk}-{uidvalidity}-{uid}.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            msg.save(force_insert=True)
            record_event(
                None,
                SYSTEM_ROLE,
                AuditEventType.CREATED,
                msg,
                changes={"sender": [None, sender], "subject": [None, subject], "size": [None, len(raw)]},
                extra={"mailbox": mailbox.pk, "uid": uid},
            )
    except IntegrityError:
        msg.raw.storage.delete(str(msg.raw.name))  # a concurrent poll stored it first
        return None
    return msg


# --- processing ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: str
    reason: str = ""
    ticket: Ticket | None = None
    comment: Comment | None = None
    html: str = ""
    warnings: str = ""


def _find_thread(parsed: ParsedMessage) -> Ticket | None:
    if parsed.token:
        ticket = Ticket.objects.filter(number__iexact=parsed.token).first()
        if ticket is not None:
            return ticket
    for ref in parsed.thread_ids:
        match = OUR_MESSAGE_ID_RE.match(ref)
        if match:
            ticket = Ticket.objects.filter(pk=int(match.group(1))).first()
            if ticket is not None:
                return ticket
    if parsed.thread_ids:
        earlier = (
            InboundMessage.objects.filter(message_id__in=parsed.thread_ids[:50], ticket__isnull=False)
            .order_by("id")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if earlier is not None:
            return Ticket.objects.filter(pk=earlier).first()
    return None


def _find_person(address: str, prefer_owner_ids: list[int]) -> Person | None:
    people = list(Person.objects.filter(email__iexact=address, active=True).order_by("id")[:20])
    for owner_id in prefer_owner_ids:
        mine = [p for p in people if p.owner_id == owner_id]
        if mine:
            return mine[0]
    if len({p.owner_id for p in people}) > 1:
        raise MailError(
            _("The sender %(address)s is a person at several owners; the message does not say which.")
            % {"address": address}
        )
    return people[0] if people else None


def _stub_person(mailbox: Mailbox, parsed: ParsedMessage) -> Person:
    from samdrift.tenancy.actions import do_create_person

    name = parsed.sender_name or parsed.sender.split("@", 1)[0]
    first, _sep, last = name.partition(" ")
    return do_create_person(
        {
            "owner": mailbox.owner,
            "kind": PersonKind.EXTERNAL,
            "first_name": first[:100] or parsed.sender[:100],
            "last_name": (last or "(e-post)")[:100],
            "email": parsed.sender,
            "external_id": f"email:{parsed.sender}"[:64],
        },
        actor=None,
    )


def _keep_parts(
    ticket: Ticket, comment: Comment | None, msg: InboundMessage, parsed: ParsedMessage, warnings: list[str]
) -> dict[str, Attachment]:
    by_cid: dict[str, Attachment] = {}
    for part in parsed.parts:
        problem = check_attachment(part.filename, part.content_type, len(part.data))
        if problem:
            warnings.append(
                _("Attachment not kept: %(problem)s It is still in received message #%(id)s.")
                % {"problem": problem, "id": msg.pk}
            )
            continue
        attachment = _store_attachment(ticket, comment, part, actor=None, role=SYSTEM_ROLE)
        if part.content_id:
            by_cid[part.content_id] = attachment
    return by_cid


def _link_inline_images(html: str, by_cid: dict[str, Attachment]) -> str:
    def swap(match: re.Match[str]) -> str:
        attachment = by_cid.get(match.group(2))
        url = reverse("sd_attachment_download", args=[attachment.pk]) if attachment else ""
        return f"{match.group(1)}{escape(url)}{match.group(3)}"

    return re.sub(r'(src=")cid:([^"]+)(")', swap, html)


def _note_warnings(ticket: Ticket, warnings: list[str]) -> None:
    if warnings:
        # An internal note by the system, audited like any other (the intake runs as the system).
        actions.do_add_comment(
            ticket, "\n".join([_("From the email intake:"), *warnings]), actor=None, kind=CommentKind.NOTE
        )


def _email_reply(ticket: Ticket, person: Person, parsed: ParsedMessage, msg: InboundMessage) -> Comment:
    """The requester's answer by email: a public reply from them; a ticket waiting on them goes
    back in progress, a resolved one is reopened within the reopen window."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    comment = Comment(
        owner_id=ticket.owner_id,
        ticket=ticket,
        kind=CommentKind.REPLY,
        body=parsed.text or _("(no text)"),
        author_person=person,
        created=now,
    )
    comment.full_clean()
    comment.save(force_insert=True)
    record_event(
        None,
        "requester",
        AuditEventType.CREATED,
        comment,
        changes={"kind": [None, CommentKind.REPLY]},
        extra={"ticket": ticket.pk, "via": "email", "message": msg.pk, "person": person.pk},
    )
    if ticket.status == Status.WAITING_REQUESTER:
        actions.transition(
            ticket, Status.IN_PROGRESS, actor=None, role="requester", now=now, reason="requester replied"
        )
    elif ticket.status == Status.RESOLVED and (
        ticket.resolved_at is None or now - ticket.resolved_at <= actions.reopen_window()
    ):
        actions.reopen_ticket(ticket, actor=None, role="requester", now=now, reason="email")
    notify.notify_reply(comment, to_requester=False)
    return comment


def _process(msg: InboundMessage, *, accept_defects: bool, as_new_ticket: bool) -> Outcome:
    with msg.raw.open("rb") as fh:
        raw = fh.read()
    parsed = parse_message(raw, accept_defects=accept_defects)
    warnings = list(parsed.warnings)
    if parsed.auto_reason:
        return Outcome(InboundStatus.IGNORED, _("Not answered: %(why)s.") % {"why": parsed.auto_reason})
    own = {msg.mailbox.address.lower(), str(settings.DEFAULT_FROM_EMAIL).lower()}
    if parsed.sender in own:
        return Outcome(InboundStatus.IGNORED, _("Not answered: sent from our own address (mail loop)."))
    hour_ago = timezone.now() - timedelta(hours=1)
    recent = InboundMessage.objects.filter(sender=parsed.sender, received_at__gte=hour_ago, pk__lt=msg.pk).count()
    if recent >= sender_rate_limit():
        return Outcome(
            InboundStatus.IGNORED,
            _("Not answered: %(count)s messages from %(sender)s within an hour (possible mail loop).")
            % {"count": recent + 1, "sender": parsed.sender},
        )
    if parsed.message_id:
        earlier = (
            InboundMessage.objects.filter(
                mailbox_id=msg.mailbox_id, message_id=parsed.message_id, status=InboundStatus.PROCESSED
            )
            .exclude(pk=msg.pk)
            .values_list("pk", flat=True)
            .first()
        )
        if earlier is not None:
            return Outcome(
                InboundStatus.IGNORED, _("Duplicate of received message #%(id)s (same Message-ID).") % {"id": earlier}
            )
    thread = None if as_new_ticket else _find_thread(parsed)
    prefer = [thread.owner_id] if thread is not None else []
    person = _find_person(parsed.sender, [*prefer, msg.mailbox.owner_id])
    if thread is not None and thread.status != Status.CLOSED:
        if person is None or person.pk != thread.requester_id:
            raise MailError(
                _(
                    "The sender %(sender)s is not the requester of %(number)s; retry as a new ticket, or forward "
                    "the message to the requester."
                )
                % {"sender": parsed.sender, "number": thread.number}
            )
        comment = _email_reply(thread, person, parsed, msg)
        by_cid = _keep_parts(thread, comment, msg, parsed, warnings)
        html = _link_inline_images(parsed.html, by_cid)
        if html:
            comment.body_html = html
            comment.save(update_fields=["body_html"])
        _note_warnings(thread, warnings)
        return Outcome(
            InboundStatus.PROCESSED,
            _("Added to %(number)s.") % {"number": thread.number},
            ticket=thread,
            comment=comment,
            html=html,
            warnings="\n".join(warnings),
        )
    if person is None:
        if msg.mailbox.unknown_senders != UnknownSenders.STUB:
            raise MailError(
                _(
                    "Unknown sender %(sender)s: nobody at any owner has this address, and the mailbox rejects unknown senders."
                )
                % {"sender": parsed.sender}
            )
        person = _stub_person(msg.mailbox, parsed)
    description = parsed.text
    if thread is not None:  # an answer to a closed ticket opens a new one that refers to it
        description = _("Follows up %(number)s.") % {"number": thread.number} + "\n\n" + description
    ticket = actions.do_create_ticket(
        {
            "requester": person,
            "subject": (parsed.subject or _("(no subject)"))[:200],
            "description": description,
            "channel": "email",
            "group": msg.mailbox.default_group if msg.mailbox.default_group_id else None,
        },
        actor=None,
        acknowledge=False,
    )
    notify.notify_ticket_created(ticket, first=(msg.message_id, msg.mailbox.address) if msg.message_id else None)
    if thread is not None:
        actions.do_link_tickets(ticket, thread, actor=None, kind=LinkKind.RELATED)
    by_cid = _keep_parts(ticket, None, msg, parsed, warnings)
    _note_warnings(ticket, warnings)
    return Outcome(
        InboundStatus.PROCESSED,
        _("Created %(number)s.") % {"number": ticket.number},
        ticket=ticket,
        html=_link_inline_images(parsed.html, by_cid),
        warnings="\n".join(warnings),
    )


def do_process_inbound_message(
    msg: InboundMessage, *, actor: Any = None, accept_defects: bool = False, as_new_ticket: bool = False
) -> InboundMessage:
    """Turn a stored message into a ticket or a comment, or say in the error queue why not."""
    with transaction.atomic():
        msg = InboundMessage.objects.select_for_update().select_related("mailbox", "mailbox__owner").get(pk=msg.pk)
        if msg.status in (InboundStatus.PROCESSED, InboundStatus.IGNORED):
            return msg
        role = SYSTEM_ROLE if actor is None else require_role(actor, owner_id=msg.owner_id, operator_roles=INTAKE_ROLES)
        before = msg.status
        try:
            with transaction.atomic():
                outcome = _process(msg, accept_defects=accept_defects, as_new_ticket=as_new_ticket)
        except MailError as exc:
            outcome = Outcome(InboundStatus.FAILED, str(exc))
        except (ValidationError, PermissionDenied, OSError, ValueError, LookupError, TypeError) as exc:
            log.exception("processing received message %s failed", msg.pk)
            detail = " ".join(getattr(exc, "messages", [])) or str(exc) or type(exc).__name__
            outcome = Outcome(InboundStatus.FAILED, _("Could not process the message: %(detail)s") % {"detail": detail})
        msg.status = outcome.status
        msg.reason = outcome.reason
        msg.warnings = outcome.warnings
        msg.attempts += 1
        msg.processed_at = timezone.now()
        msg.ticket = outcome.ticket
        msg.comment = outcome.comment
        msg.html = outcome.html
        msg.save(
            update_fields=["status", "reason", "warnings", "attempts", "processed_at", "ticket", "comment", "html"]
        )
        record_event(
            actor,
            role,
            AuditEventType.UPDATED,
            msg,
            changes={"status": [before, msg.status]},
            extra={
                "action": "process",
                "reason": msg.reason[:500],
                "ticket": getattr(outcome.ticket, "pk", None),
                "accept_defects": accept_defects,
                "as_new_ticket": as_new_ticket,
            },
        )
    return msg


def do_retry_inbound_message(
    msg: InboundMessage, *, actor: Any, accept_defects: bool = False, as_new_ticket: bool = False
) -> InboundMessage:
    """Process a failed message again (after the cause was fixed, or accepting its defects)."""
    require_role(actor, owner_id=msg.owner_id, operator_roles=INTAKE_ROLES)
    if msg.status != InboundStatus.FAILED:
        raise ValidationError(_("Only a failed message can be retried."))
    return do_process_inbound_message(msg, actor=actor, accept_defects=accept_defects, as_new_ticket=as_new_ticket)


# --- reading the mailbox -----------------------------------------------------------------------


def _client(mailbox: Mailbox) -> Any:
    from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

    timeout = int(settings.SERVICEDESK_IMAP_TIMEOUT)
    if mailbox.security == MailSecurity.SSL:
        return MailBox(mailbox.host, mailbox.port, timeout=timeout)
    if mailbox.security == MailSecurity.STARTTLS:
        return MailBoxStartTls(mailbox.host, mailbox.port, timeout=timeout)
    return MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=timeout)


def _fetch_raw(client: Any, uid: int) -> bytes | None:
    result = client.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if result[0] != "OK":
        raise OSError(f"FETCH {uid}: {result}")
    for item in result[1] or []:
        if isinstance(item, tuple) and len(item) >= 2:
            return bytes(item[1])
    return None


def poll_mailbox(mailbox: Mailbox, *, limit: int = 500) -> dict[str, int]:
    """Read new messages (UID above the last read), store each raw, then process what is stored.

    A connection error is kept on the mailbox (shown on its page) and retried next poll."""
    from imap_tools import AND, MailMessageFlags, U

    stored = 0
    if undecryptable(mailbox.password):
        error = str(_("The saved password cannot be decrypted (the credential key was changed); enter it again."))
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=error)
        return {"stored": 0, "processed": process_pending(mailbox), "error": 1}
    try:
        with _client(mailbox).login(mailbox.username, mailbox.password, initial_folder=mailbox.folder) as client:
            status = client.folder.status(mailbox.folder, ["UIDVALIDITY"])
            uidvalidity = int(status["UIDVALIDITY"])
            last = mailbox.last_uid if mailbox.uidvalidity == uidvalidity else 0
            uids = sorted(int(u) for u in client.uids(AND(uid=U(str(last + 1), "*"))) if int(u) > last)[:limit]
            for uid in uids:
                raw = _fetch_raw(client, uid)
                if raw is not None and do_store_inbound_message(mailbox, uidvalidity, uid, raw) is not None:
                    stored += 1
                    client.flag(str(uid), MailMessageFlags.SEEN, True)
                last = uid
                Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=last)
            mailbox.uidvalidity, mailbox.last_uid = uidvalidity, last
        error = ""
    except Exception as exc:  # any network or server failure is shown, then retried
        log.warning("polling mailbox %s failed: %s", mailbox.pk, exc)
        error = f"{type(exc).__name__}: {exc}"[:2000]
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=error)
    processed = process_pending(mailbox)
    return {"stored": stored, "processed": processed, "error": int(bool(error))}


def process_pending(mailbox: Mailbox | None = None) -> int:
    """Process every stored message not yet processed (also those a crashed worker left)."""
    pending = InboundMessage.objects.filter(status=InboundStatus.RECEIVED)
    if mailbox is not None:
        pending = pending.filter(mailbox=mailbox)
    done = 0
    for msg in pending.order_by("id")[:1000]:
        do_process_inbound_message(msg)
        done += 1
    return done


def poll_all_mailboxes() -> dict[str, int]:
    totals = {"mailboxes": 0, "stored": 0, "processed": 0, "errors": 0}
    for mailbox in Mailbox.objects.filter(active=True).order_by("id"):
        result = poll_mailbox(mailbox)
        totals["mailboxes"] += 1
        totals["stored"] += result["stored"]
        totals["processed"] += result["processed"]
        totals["errors"] += result["error"]
    return totals


def may_work_intake(user: Any) -> bool:
    return scope_for(user).has_operator_role(INTAKE_ROLES)
