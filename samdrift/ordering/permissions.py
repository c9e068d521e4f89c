"""Who may change what in ordering. One table, used by actions, views, the API and templates."""

from samdrift.core.access import may
from samdrift.core.roles import Role
from samdrift.ordering.models import CATALOGUE_ROLES, PURCHASING_ROLES

# thing -> (operator roles, owner roles) allowed to write it
WRITE_ROLES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "catalogue": (CATALOGUE_ROLES, frozenset()),
    "approver": (frozenset({Role.ADMIN}), frozenset()),
    "order": (frozenset({Role.ADMIN}), frozenset({Role.ORDERER})),
    "purchasing": (PURCHASING_ROLES, frozenset()),
}


def may_write(user: object, thing: str, owner_id: int | None = None) -> bool:
    operator_roles, owner_roles = WRITE_ROLES[thing]
    if owner_id is None and owner_roles:
        # "May this user create one at all": any owner where they hold the role.
        from samdrift.core.access import scope_for

        scope = scope_for(user)
        if scope.has_operator_role(operator_roles) or scope.owner_ids(owner_roles):
            return True
        return False
    return may(user, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)
