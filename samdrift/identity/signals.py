"""Second factors are added and removed on allauth's pages; each change is audited on the user.

allauth.mfa announces these through its signals (as Django's auth does for logins, which
samdrift/tenancy/signals.py audits the same way); allauth's own views make the write.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.dispatch import receiver

from samdrift.core.audit import record_event_now
from samdrift.core.models import AuditEventType


def _audit(user: Any, authenticator: Any, what: str) -> None:
    # allauth sends the Authenticator, or for TOTP its wrapper that holds it as `instance`.
    kind = getattr(authenticator, "type", None) or getattr(getattr(authenticator, "instance", None), "type", "")
    record_event_now(user, "self", AuditEventType.UPDATED, obj=user, extra={"mfa": f"{kind} {what}"})


@receiver(authenticator_added)
def audit_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    _audit(user, authenticator, "added")


@receiver(authenticator_removed)
def audit_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    _audit(user, authenticator, "removed")


@receiver(authenticator_reset)
def audit_reset(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    _audit(user, authenticator, "reset")
