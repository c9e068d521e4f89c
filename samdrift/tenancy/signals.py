"""Logins, failed logins and logouts are audited (issue: foundation, audit trail).

Django announces these through its auth signals; each handler records one audit event in its own
transaction. This is the one place where signals write audit rows, because Django's login flow
(sessions and API alike) offers no other hook.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from samdrift.core.audit import record_event_now
from samdrift.core.models import AuditEventType


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_event_now(user, "self", AuditEventType.LOGIN, obj=user)


@receiver(user_logged_out)
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_event_now(user, "self", AuditEventType.LOGOUT, obj=user)


@receiver(user_login_failed)
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    record_event_now(None, "anonymous", AuditEventType.LOGIN_FAILED, object_type="tenancy.user", object_repr=username)
