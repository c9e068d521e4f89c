"""Who does records work: the records officer's role, and who may read the register."""

from __future__ import annotations

from typing import Any

from samdrift.core.access import require_role, scope_for
from samdrift.records.models import OFFICER_ROLES, READ_ROLES


def officer_role(actor: Any) -> str:
    """The role in which `actor` does records work (records officer, or the system)."""
    return require_role(actor, owner_id=None, operator_roles=OFFICER_ROLES)


def is_officer(user: Any) -> bool:
    return scope_for(user).has_operator_role(OFFICER_ROLES)


def may_read(user: Any) -> bool:
    return scope_for(user).has_operator_role(READ_ROLES)
