"""Who may change what in tenancy. One table, used by actions, views, the API and templates."""

from samdrift.core.access import may
from samdrift.core.roles import Role

# thing -> (operator roles, owner roles) allowed to create, change and deactivate it
WRITE_ROLES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "operator": (frozenset({Role.ADMIN}), frozenset()),
    "owner": (frozenset({Role.ADMIN}), frozenset()),
    "orgunit": (frozenset({Role.ADMIN}), frozenset()),
    "costcentre": (frozenset({Role.ADMIN, Role.FINANCE}), frozenset()),
    "person": (frozenset({Role.ADMIN, Role.AGENT}), frozenset()),
    "user": (frozenset({Role.ADMIN}), frozenset()),
    "membership": (frozenset({Role.ADMIN}), frozenset()),
    "import": (frozenset({Role.ADMIN}), frozenset()),
}


def may_write(user: object, thing: str, owner_id: int | None = None) -> bool:
    operator_roles, owner_roles = WRITE_ROLES[thing]
    return may(user, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)
