"""Outgoing mail of the service desk (run on commit, never inside an action's transaction).

Each message about a ticket carries the ticket number in brackets in the subject and a
Message-ID `<sd.<ticket id>.<random>@domain>` with In-Reply-To/References pointing at the ticket's
thread, so that replies thread by subject and by header; it is written in the recipient's
language. Automatic messages say so (Auto-Submitted), so that auto-responders do not answer them.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.utils import translation
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def _language_of_person(person: Any) -> str:
    user = getattr(person, "user", None) if person is not None else None
    return getattr(user, "language", None) or settings.LANGUAGE_CODE


def mail_domain() -> str:
    configured = getattr(settings, "SERVICEDESK_MAIL_DOMAIN", "")
    return configured or str(settings.DEFAULT_FROM_EMAIL).rsplit("@", 1)[-1].strip("> ") or "localhost"


def thread_headers(ticket: Any, *, automatic: bool) -> tuple[str, dict[str, str]]:
    """The From address and the headers that make a reply find its ticket."""
    import uuid

    from samdrift.servicedesk.models import InboundMessage, Mailbox

    domain = mail_domain()
    root = f"<sd.{ticket.pk}.0@{domain}>"
    first = (
        InboundMessage.objects.filter(ticket_id=ticket.pk, comment__isnull=True)
        .exclude(message_id="")
        .order_by("id")
        .values_list("message_id", "mailbox__address")
        .first()
    )
    references = [root]
    if first:
        references.insert(0, f"<{first[0]}>")
    from_address = first[1] if first else None
    if from_address is None:
        from_address = (
            Mailbox.objects.filter(owner_id=ticket.owner_id, active=True)
            .order_by("id")
            .values_list("address", flat=True)
            .first()
        )
    headers = {
        "Message-ID": f"<sd.{ticket.pk}.{uuid.uuid4().hex}@{domain}>",
        "In-Reply-To": references[-1] if not first else references[0],
        "References": " ".join(references),
        "X-Samdrift-Ticket": ticket.number,
    }
    if automatic:
        headers["Auto-Submitted"] = "auto-generated"
        headers["X-Auto-Response-Suppress"] = "All"
    return from_address or settings.DEFAULT_FROM_EMAIL, headers


def _send(to: str, language: str, subject: Any, body: Any, *, ticket: Any = None, automatic: bool = True) -> None:
    if not to:
        return
    with translation.override(language):
        if ticket is None:
            send_mail(str(subject()), str(body()), None, [to], fail_silently=False)
            return
        from_address, headers = thread_headers(ticket, automatic=automatic)
        message = EmailMessage(str(subject()), str(body()), from_address, [to], headers=headers)
        message.send(fail_silently=False)


def _ticket(pk: int) -> Any:
    from samdrift.servicedesk.models import Ticket

    return Ticket.objects.select_related("requester", "requester__user").get(pk=pk)


def notify_ticket_created(ticket_id: int) -> None:
    ticket = _ticket(ticket_id)
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
        ticket=ticket,
    )


def notify_reply(comment_id: int, *, to_requester: bool) -> None:
    from samdrift.servicedesk.models import Comment

    comment = Comment.objects.select_related("ticket", "ticket__requester", "ticket__assignee").get(pk=comment_id)
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
        ticket=ticket,
        automatic=False,
    )


def notify_ticket_resolved(ticket_id: int) -> None:
    ticket = _ticket(ticket_id)
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
        ticket=ticket,
    )


def notify_breaching_soon(email: str, language: str, numbers: list[str]) -> None:
    """One message per agent listing their tickets whose resolution time is about to run out."""
    _send(
        email,
        language,
        lambda: _("SLA warning: %(count)s tickets are about to breach") % {"count": len(numbers)},
        lambda: "\n".join(numbers),
    )
