"""Last of the world's extensions: the mail the world's own actions queued has gone out before a
test begins (as the worker would have sent it), so a test's mailbox holds only what the test caused."""

from __future__ import annotations

from typing import Any

from django.core import mail

from samdrift.core.outbox import send_due


def extend(world: Any) -> None:
    send_due()
    mail.outbox.clear()
