"""Outgoing mail of the service desk, queued in the outbox inside the action's transaction
(`samdrift.core.outbox`): the worker sends it, so a request never waits on or fails with SMTP.

Each message about a ticket carries the ticket number in brackets in the subject and a
Message-ID `<sd.<ticket id>.<random>@domain>` with In-Reply-To/References pointing at the ticket's
thread, so that replies thread by subject and by header; it is written in the recipient's
language. Automatic messages say so (Auto-Submitted), so that auto-responders do not answer them.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from samdrift.core import sqlnames
from samdrift.core.outbox import queue_message

log = logging.getLogger(__name__)


def _language_of_person(person: Any) -> str:
    user = getattr(person, "user", None) if person is not None else None
    return getattr(user, "language", None) or settings.LANGUAGE_CODE


def mail_domain() -> str:
    configured = settings.SERVICEDESK_MAIL_DOMAIN
    return configured or str(settings.DEFAULT_FROM_EMAIL).rsplit("@", 1)[-1].strip("> ") or "localhost"


# `first` for a ticket that was not opened by mail: no message to look up.
NO_FIRST_MESSAGE = ("", "")


def sender_column(owner_id: int) -> tuple[str, list[Any]]:
    """The owner's sending address (its first active mailbox) as a scalar subquery, for a caller
    that reads it in a query it makes anyway (`sla.priority_policy_and`, when a ticket is opened)."""
    from samdrift.servicedesk.models import Mailbox

    column = functools.partial(sqlnames.column, Mailbox)
    return (
        f"SELECT mb.{column('address')} FROM {sqlnames.table(Mailbox)} mb "  # noqa: S608 - names from the model
        f"WHERE mb.{column('owner')} = %s AND mb.{column('active')} ORDER BY mb.{column('id')} LIMIT 1",
        [owner_id],
    )


def not_opened_by_mail(sender: str | None) -> tuple[str, str]:
    """`first` for a ticket opened here whose owner's sending address the caller already read
    (`sender_column`): no message to look up, and no mailbox either."""
    return ("", sender or settings.DEFAULT_FROM_EMAIL)


def thread_headers(ticket: Any, *, automatic: bool, first: tuple[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """The From address and the headers that make a reply find its ticket.

    `first` is the (Message-ID, mailbox address) of the message that opened the ticket, when the
    caller holds it (the acknowledgement, queued before that message is linked to the ticket); a
    ticket not opened by mail has no Message-ID there, and the address only when the caller read it."""
    import uuid

    from samdrift.servicedesk.models import InboundMessage, Mailbox

    domain = mail_domain()
    root = f"<sd.{ticket.pk}.0@{domain}>"
    if first is None:
        first = (
            InboundMessage.objects.filter(ticket_id=ticket.pk, comment__isnull=True)
            .exclude(message_id="")
            .order_by("id")
            .values_list("message_id", "mailbox__address")
            .first()
        )
    message_id, from_address = first or ("", None)
    references = [root]
    if message_id:
        references.insert(0, f"<{message_id}>")
    if not from_address:
        from_address = (
            Mailbox.objects.filter(owner_id=ticket.owner_id, active=True)
            .order_by("id")
            .values_list("address", flat=True)
            .first()
        )
    headers = {
        "Message-ID": f"<sd.{ticket.pk}.{uuid.uuid4().hex}@{domain}>",
        "In-Reply-To": references[0],
        "References": " ".join(references),
        "X-Samdrift-Ticket": ticket.number,
    }
    if automatic:
        headers["Auto-Submitted"] = "auto-generated"
        headers["X-Auto-Response-Suppress"] = "All"
    return from_address or settings.DEFAULT_FROM_EMAIL, headers


def _send(
    to: str,
    language: str,
    subject: Any,
    body: Any,
    *,
    kind: str,
    ticket: Any = None,
    automatic: bool = True,
    first: tuple[str, str] | None = None,
) -> None:
    if not to:
        return
    with translation.override(language):
        if ticket is None:
            queue_message(kind=kind, to=[to], subject=str(subject()), body=str(body()))
            return
        from_address, headers = thread_headers(ticket, automatic=automatic, first=first)
        queue_message(
            kind=kind,
            to=[to],
            subject=str(subject()),
            body=str(body()),
            from_email=from_address,
            headers=headers,
            about=ticket,
        )


def notify_ticket_created(ticket: Any, *, first: tuple[str, str] | None = None) -> None:
    if ticket.confidential:
        return  # confidential content is not sent by mail
    _send(
        ticket.requester.email,
        _language_of_person(ticket.requester),
        lambda: _("[%(number)s] We have received your ticket") % {"number": ticket.number},
        lambda: (
            _("Your ticket “%(subject)s” has number %(number)s. Reply to this message to add to it.")
            % {"subject": ticket.subject, "number": ticket.number}
        ),
        kind="servicedesk.ticket_created",
        ticket=ticket,
        first=first,
    )


def notify_reply(comment: Any, *, to_requester: bool) -> None:
    ticket = comment.ticket
    if ticket.confidential:
        return
    if to_requester:
        to, language = ticket.requester.email, _language_of_person(ticket.requester)
    else:
        assignee = ticket.assignee
        to, language = (assignee.email, assignee.language) if assignee else ("", settings.LANGUAGE_CODE)
    _send(
        to,
        language,
        lambda: _("[%(number)s] New reply: %(subject)s") % {"number": ticket.number, "subject": ticket.subject},
        lambda: comment.body,
        kind="servicedesk.reply",
        ticket=ticket,
        automatic=False,
    )


def notify_ticket_resolved(ticket: Any) -> None:
    if ticket.confidential:
        return
    _send(
        ticket.requester.email,
        _language_of_person(ticket.requester),
        lambda: _("[%(number)s] Your ticket has been resolved") % {"number": ticket.number},
        lambda: (
            _("Your ticket “%(subject)s” has been resolved. Reply within the reopen period if it is not.")
            % {"subject": ticket.subject}
        ),
        kind="servicedesk.ticket_resolved",
        ticket=ticket,
    )


def notify_breaching_soon(email: str, language: str, numbers: list[str]) -> None:
    """One message per agent listing their tickets whose resolution time is about to run out."""
    _send(
        email,
        language,
        lambda: _("SLA warning: %(count)s tickets are about to breach") % {"count": len(numbers)},
        lambda: "\n".join(numbers),
        kind="servicedesk.sla_warning",
    )
