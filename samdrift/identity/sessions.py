"""Ending every session of a user at once (SCIM deactivation, an administrator), and their API tokens.

The session table carries its user's id (`tenancy.Session.user`, written by the session store at
login), so a user's sessions are found by that column: no separate record per login.
"""

from __future__ import annotations

from typing import Any


def end_sessions(user: Any) -> int:
    """Delete every session the user is signed in with; returns how many. Call inside the action."""
    from samdrift.tenancy.models import Session

    deleted, _ = Session.objects.filter(user_id=user.pk).delete()
    return deleted


def revoke_api_tokens(user: Any) -> int:
    from rest_framework.authtoken.models import Token

    deleted, _ = Token.objects.filter(user_id=user.pk).delete()
    return deleted
