"""Which sessions a user holds, so that deactivating them (SCIM, an administrator) ends every one.

Django's session store cannot be searched by user; each login records its session key here.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone


@receiver(user_logged_in)
def remember_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from samdrift.identity.models import SessionRecord

    session = getattr(request, "session", None)
    if session is None or user is None or user.pk is None:
        return
    if session.session_key is None:
        session.save()
    stale = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    SessionRecord.objects.filter(user_id=user.pk, created__lt=stale).delete()
    SessionRecord.objects.update_or_create(session_key=session.session_key, defaults={"user_id": user.pk})


def end_sessions(user: Any) -> int:
    """Delete every session the user signed in with; returns how many. Call inside the action."""
    from samdrift.identity.models import SessionRecord

    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(SessionRecord.objects.filter(user_id=user.pk).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    SessionRecord.objects.filter(user_id=user.pk).delete()
    return len(keys)


def revoke_api_tokens(user: Any) -> int:
    from rest_framework.authtoken.models import Token

    deleted, _ = Token.objects.filter(user_id=user.pk).delete()
    return deleted
