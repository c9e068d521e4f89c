"""The outbox (utkorg): every outgoing e-mail is a row, sent by the worker, never by a request.

An action that causes mail calls `queue_message` inside its own transaction, so the message exists
exactly when the action's change does; after commit the `send_outbox` task is enqueued once per
transaction unless one is already waiting to start (which will send this transaction's messages
too), and the scheduler runs it every minute as well (a retry that needs no kick).

Sending claims due rows in a short transaction (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL;
SQLite's IMMEDIATE transactions serialise claims) and marks them `sending` with a conditional
update, so two workers never hold the same message. Each message is marked `sent` or `failed`
right after its own SMTP exchange. A failed message is tried again after an exponential backoff
(one minute, doubling, at most six hours) until `SAMDRIFT_OUTBOX_MAX_ATTEMPTS`; a permanent refusal
(an SMTP 5xx answer) is not retried. A message left `sending` by a worker that died mid-send may or
may not have gone out: it is marked failed without an automatic retry (a message is never sent
twice by the machine), and an administrator decides on the outbox page. Every message keeps one
Message-ID from the moment it is queued, so a retried copy is recognisable as the same message.
"""

from __future__ import annotations

import functools
import logging
import smtplib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers, make_msgid
from django.db import connection, transaction
from django.db.models import Count, F, Model, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from samdrift.core import sqlnames
from samdrift.core.access import scope_for
from samdrift.core.models import OutboxStatus, OutgoingAttachment, OutgoingMessage
from samdrift.core.roles import Role

log = logging.getLogger(__name__)

DUE_STATUSES = (OutboxStatus.QUEUED, OutboxStatus.FAILED)
BATCH_SIZE = 100
# A send that has not finished after this long belongs to a worker that died.
SENDING_LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


def mail_domain() -> str:
    return str(settings.DEFAULT_FROM_EMAIL).rsplit("@", 1)[-1].strip("> ") or "localhost"


def queue_message(
    *,
    kind: str,
    to: Iterable[str],
    subject: str,
    body: str,
    html: str = "",
    from_email: str | None = None,
    cc: Iterable[str] = (),
    headers: dict[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    about: Model | None = None,
    owner_id: int | None = None,
) -> OutgoingMessage | None:
    """Put one message in the outbox, in the caller's transaction; None when it has no recipient.

    `about` is the object the message concerns (a ticket, an order), shown with it; `owner_id` is
    taken from it when not given.
    """
    recipients = [address for address in to if address]
    if not recipients:
        return None
    if not connection.in_atomic_block:
        raise RuntimeError("outgoing mail is queued inside the transaction of the action that causes it")
    now = timezone.now()
    all_headers = dict(headers or {})
    all_headers.setdefault("Message-ID", make_msgid(domain=mail_domain()))
    if owner_id is None and about is not None:
        owner_id = getattr(about, "scope_owner_id", None)
    message = OutgoingMessage.objects.create(
        created=now,
        owner_id=owner_id,
        kind=kind,
        object_type=about._meta.label_lower if about is not None else "",
        object_id=str(about.pk) if about is not None else "",
        object_repr=str(about)[:200] if about is not None else "",
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        cc=[address for address in cc if address],
        headers=all_headers,
        subject=" ".join(str(subject).split())[:500],  # a header is one line
        body_text=str(body),
        body_html=html,
        status=OutboxStatus.QUEUED,
        next_attempt_at=now,
    )
    if attachments:
        OutgoingAttachment.objects.bulk_create(
            OutgoingAttachment(
                message=message, filename=a.filename, mimetype=a.mimetype, content=a.content, size=len(a.content)
            )
            for a in attachments
        )
    kick_on_commit()
    return message


def kick_on_commit() -> None:
    """Enqueue the sender once when the current transaction commits, however many messages it queued."""
    # A kick registered in this block or an enclosing one still open runs at the same commit.
    open_savepoints = set(connection.savepoint_ids)
    pending = [(entry[0], entry[1]) for entry in connection.run_on_commit]  # (savepoints, callback, robust)
    if not any(func is _kick and set(sids) <= open_savepoints for sids, func in pending):
        transaction.on_commit(_kick, robust=True)


def _kick() -> None:
    """After commit: make sure a sender will run; one that is waiting to start already will do.

    A send task that has not started yet claims the due messages when it starts, after this
    commit, so it sends this transaction's messages too: under load most creations then read one
    indexed row instead of writing (and committing) a task row each. Nothing depends on the kick
    for delivery anyway: the scheduler runs the sender every minute."""
    from samdrift.core.tasks import send_outbox

    if _send_waiting(send_outbox):
        return
    send_outbox.enqueue()


def _send_waiting(task: Any) -> bool:
    """A send task of the database backend is queued and not yet started: the library's
    `DBTaskResult.objects.ready()` for this task, as SQL written once per process (the ORM compiled
    its OR of two run-after conditions on every creation; a test holds the two to the same answers)."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import get_date_max

    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return False
    adapt = connection.ops.adapt_datetimefield_value  # SQLite compares datetimes as text
    params = [task.module_path, task.queue_name, backend.alias, adapt(get_date_max()), adapt(timezone.now())]
    with connection.cursor() as cursor:
        cursor.execute(_waiting_sql(connection.vendor), params)
        return cursor.fetchone() is not None


@functools.cache
def _waiting_sql(vendor: str) -> str:
    from django_tasks_db.models import DBTaskResult, TaskResultStatus

    column = functools.partial(sqlnames.column, DBTaskResult)
    ready = str(TaskResultStatus.READY.value).replace("'", "")
    return (
        f"SELECT 1 FROM {sqlnames.table(DBTaskResult)} WHERE {column('status')} = '{ready}' "  # noqa: S608 - names from the model
        f"AND {column('task_path')} = %s AND {column('queue_name')} = %s AND {column('backend_name')} = %s "
        f"AND ({column('run_after')} = %s OR {column('run_after')} <= %s) LIMIT 1"
    )


# What an app wants done when a message about one of its objects has been delivered (a purchase
# order's `sent_at`), keyed by the object's type; registered from the app's ready().
_ON_SENT: dict[str, Callable[[str, datetime], None]] = {}


def on_sent(object_type: str, handler: Callable[[str, datetime], None]) -> None:
    _ON_SENT[object_type] = handler


def backoff(attempts: int) -> timedelta:
    """The wait before attempt `attempts + 1`: the base, doubling each time, at most six hours."""
    base = timedelta(seconds=settings.SAMDRIFT_OUTBOX_RETRY_SECONDS)
    return min(base * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def is_permanent(exc: BaseException) -> bool:
    """An SMTP 5xx answer will be the same next time; anything else (no connection, 4xx) may not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return isinstance(exc, ValueError)  # a malformed address or header


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def claim_due(now: datetime, limit: int = BATCH_SIZE) -> list[int]:
    """Mark up to `limit` due messages `sending` for this worker and return their ids."""
    with transaction.atomic():
        due = OutgoingMessage.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        OutgoingMessage.objects.filter(pk__in=ids, status__in=DUE_STATUSES).update(
            status=OutboxStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, next_attempt_at=None
        )
    return ids


def recover_interrupted(now: datetime) -> int:
    """Messages left `sending` by a worker that died: failed, not retried by the machine."""
    with translation.override(settings.LANGUAGE_CODE):
        reason = _(
            "The sending was interrupted (the worker stopped). The message may or may not have been "
            "delivered, so it is not sent again automatically; retry it if the recipient did not get it."
        )
    return OutgoingMessage.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=now - SENDING_LEASE).update(
        status=OutboxStatus.FAILED, failed_at=now, next_attempt_at=None, claimed_at=None, last_error=reason
    )


def build_email(message: OutgoingMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        message.subject,
        message.body_text,
        message.from_email,
        list(message.to),
        cc=list(message.cc or []),
        headers=dict(message.headers or {}),
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


def _mark_sent(message: OutgoingMessage, now: datetime) -> None:
    OutgoingMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=now, claimed_at=None
    )
    handler = _ON_SENT.get(message.object_type)
    if handler is not None:
        try:
            handler(message.object_id, now)
        except Exception:  # the message did go out; its bookkeeping must not make it look unsent
            log.exception("after-send step for %s %s failed", message.object_type, message.object_id)


def _mark_failed(message: OutgoingMessage, exc: BaseException, now: datetime, *, permanent: bool = False) -> bool:
    """Record the failure; True when the message will be tried again."""
    give_up = permanent or is_permanent(exc) or message.attempts >= settings.SAMDRIFT_OUTBOX_MAX_ATTEMPTS
    OutgoingMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.FAILED,
        failed_at=now,
        claimed_at=None,
        last_error=describe(exc),
        next_attempt_at=None if give_up else now + backoff(message.attempts),
    )
    log.warning("outgoing e-mail %s failed (attempt %s): %s", message.pk, message.attempts, describe(exc))
    return not give_up


def _is_connection_error(exc: BaseException) -> bool:
    """The server is away (rather than refusing this one message): the rest of the batch would fail too."""
    return isinstance(exc, OSError | smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError) and not isinstance(
        exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused
    )


def _send_claimed(ids: list[int], totals: dict[str, int]) -> bool:
    """Send claimed messages over one connection; False when the mail server could not be reached."""
    messages = list(OutgoingMessage.objects.filter(pk__in=ids).prefetch_related("attachments").order_by("id"))
    backend = mailers.default
    reachable = True
    try:
        for index, message in enumerate(messages):
            try:
                email = build_email(message)
                email.message()  # a malformed address or header fails here, the same every time
            except Exception as exc:
                _mark_failed(message, exc, timezone.now(), permanent=True)
                totals["failed"] += 1
                continue
            try:
                backend.send_messages([email])
            except Exception as exc:
                now = timezone.now()
                _mark_failed(message, exc, now)
                totals["failed"] += 1
                _close(backend)
                if _is_connection_error(exc):
                    # The server is away: the rest of the batch fails the same way without waiting
                    # on a connection timeout each.
                    for rest in messages[index + 1 :]:
                        _mark_failed(rest, exc, now)
                        totals["failed"] += 1
                    reachable = False
                    break
            else:
                _mark_sent(message, timezone.now())
                totals["sent"] += 1
    finally:
        _close(backend)
    return reachable


def _close(backend: Any) -> None:
    try:
        backend.close()
    except Exception:  # closing a dead connection
        log.debug("closing the mail connection failed", exc_info=True)


def send_due(*, now: datetime | None = None, limit: int = BATCH_SIZE) -> dict[str, int]:
    """Send every message that is due, batch by batch; stop early when the server is away."""
    totals = {"sent": 0, "failed": 0, "interrupted": recover_interrupted(now or timezone.now())}
    while True:
        ids = claim_due(now or timezone.now(), limit)
        if not ids:
            break
        if not _send_claimed(ids, totals) or len(ids) < limit:
            break
    if totals["sent"] or totals["failed"] or totals["interrupted"]:
        log.info("outbox: %(sent)s sent, %(failed)s failed, %(interrupted)s interrupted", totals)
    return totals


def may_see_outbox(user: Any) -> bool:
    """The outbox page and a message's own page are for operator administrators."""
    return bool(user.is_authenticated) and scope_for(user).has_operator_role({Role.ADMIN})


def messages_about(user: Any, refs: Iterable[tuple[str, Iterable[Any]]], limit: int = 50) -> list[OutgoingMessage]:
    """The newest messages about the given objects ((object type, ids) pairs) that `user` may see."""
    condition = Q()
    for object_type, ids in refs:
        wanted = [str(pk) for pk in ids]
        if wanted:
            condition |= Q(object_type=object_type, object_id__in=wanted)
    if not condition:
        return []
    return list(
        OutgoingMessage.objects.for_user(user)
        .filter(condition)
        .defer("body_text", "body_html", "headers")
        .order_by("-id")[:limit]
    )


def outbox_summary(now: datetime | None = None) -> dict[str, Any]:
    """For the operations page: counts by status, the oldest message still waiting, the last failure."""
    now = now or timezone.now()
    counts = dict.fromkeys(OutboxStatus.values, 0)
    for status, n in (
        OutgoingMessage.objects.exclude(status=OutboxStatus.SENT)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[status] = n
    counts[OutboxStatus.SENT] = OutgoingMessage.objects.filter(sent_at__gte=now - timedelta(hours=24)).count()
    given_up = OutgoingMessage.objects.filter(status=OutboxStatus.FAILED, next_attempt_at__isnull=True).count()
    oldest = (
        OutgoingMessage.objects.filter(status__in=DUE_STATUSES, next_attempt_at__isnull=False)
        .order_by("id")
        .values("id", "created", "subject")
        .first()
    )
    last_failure = (
        OutgoingMessage.objects.filter(failed_at__isnull=False)
        .order_by("-failed_at")
        .values("id", "failed_at", "last_error", "subject")
        .first()
    )
    return {
        "counts": counts,  # the sent count covers the last 24 hours
        "given_up": given_up,
        "oldest_waiting": oldest,
        "oldest_waiting_age": (now - oldest["created"]) if oldest else None,
        "last_failure": last_failure,
        "backend": str(settings.MAILERS.get("default", {}).get("BACKEND", "")),
    }
