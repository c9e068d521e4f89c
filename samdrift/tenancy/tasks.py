"""Periodic work of tenancy (enqueued by the scheduler, run by the worker)."""

from __future__ import annotations

from typing import Any

from django.tasks import task


@task
def clear_expired_sessions() -> dict[str, Any]:
    """Daily: delete the sessions whose expiry has passed (Django's `clearsessions`), so that the
    session table holds only sessions someone can still use."""
    from django.utils import timezone

    from samdrift.tenancy.models import Session

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"deleted": deleted}
