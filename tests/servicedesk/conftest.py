from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone, translation

from samdrift.servicedesk.calendar import STOCKHOLM


class Clock:
    """A settable `timezone.now()` for SLA tests."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def set(self, *args: int) -> datetime:
        self.now = datetime(*args, tzinfo=STOCKHOLM)
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Assertions read English messages; the Swedish translations are checked by their own test.
    with translation.override("en"):
        yield


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    with mock.patch("django.utils.timezone.now", lambda: c.now):
        yield c


def events_for(obj: Any) -> list[Any]:
    from samdrift.core.models import AuditEvent

    return list(AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("id"))


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    # Raw messages and attachments go through Django's storage: into this test's own directory.
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(scope="session")
def imap_server() -> Iterator[Any]:
    """A real dovecot for this test process (one per pytest-xdist worker)."""
    from tests.servicedesk.dovecot import ImapServer

    server = ImapServer().start()
    yield server
    server.stop()
