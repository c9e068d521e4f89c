"""What ordering's actions share: the role an actor writes in, and the day's date."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from samdrift.core.access import require_role
from samdrift.ordering.permissions import WRITE_ROLES


def _role(actor: Any, thing: str, owner_id: int | None = None) -> str:
    operator_roles, owner_roles = WRITE_ROLES[thing]
    return require_role(actor, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)


def _pk(value: Any) -> int | None:
    if value is None:
        return None
    return value.pk if hasattr(value, "pk") else int(value)


def today() -> date:
    return timezone.localdate()
