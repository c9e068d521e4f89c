"""Who may do what in the service desk. One table, used by actions, views and the API."""

from __future__ import annotations

from typing import Any

from samdrift.core.access import may, scope_for
from samdrift.core.roles import Role

DESK = frozenset({Role.ADMIN, Role.AGENT, Role.TECHNICIAN})
ADMIN = frozenset({Role.ADMIN})
ORDERING_OWNER_ROLES = frozenset({Role.ORDERER, Role.APPROVER})

# thing -> (operator roles, owner roles)
WRITE_ROLES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "ticket": (DESK, frozenset()),  # work a ticket: assign, status, note, time, merge
    "ticket_create": (DESK, ORDERING_OWNER_ROLES | {Role.END_USER}),
    "category": (ADMIN, frozenset()),
    "slapolicy": (ADMIN, frozenset()),
    "group": (ADMIN, frozenset()),
    "matrix": (ADMIN, frozenset()),
    "article": (frozenset({Role.ADMIN, Role.AGENT}), frozenset()),
}


def may_write(user: Any, thing: str, owner_id: int | None = None) -> bool:
    operator_roles, owner_roles = WRITE_ROLES[thing]
    return may(user, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)


def is_desk(user: Any) -> bool:
    return scope_for(user).has_operator_role(DESK)


def is_requester(user: Any, ticket: Any) -> bool:
    person_id = scope_for(user).person_id
    return person_id is not None and person_id == ticket.requester_id
