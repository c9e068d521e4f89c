"""Who may change what in assets. One table, used by actions, views, the API and templates."""

from samdrift.core.access import may
from samdrift.core.roles import Role

STAFF = frozenset({Role.ADMIN, Role.TECHNICIAN})

# thing -> (operator roles, owner roles) allowed to write it
WRITE_ROLES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "catalogue": (STAFF, frozenset()),
    "site": (STAFF, frozenset()),
    "asset": (STAFF, frozenset()),
    "agentkey": (frozenset({Role.ADMIN}), frozenset()),
    "triage": (STAFF, frozenset()),
}


def may_write(user: object, thing: str, owner_id: int | None = None) -> bool:
    operator_roles, owner_roles = WRITE_ROLES[thing]
    return may(user, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)


def person_label(user: object, person: object) -> str:
    """A person's name, unless the person is a pupil the user may not see (DOMAIN: pupils are
    seen only by operator staff and the owner's orderers and approvers)."""
    from django.utils.translation import gettext as _

    from samdrift.core.access import scope_for
    from samdrift.tenancy.models import Person, PersonKind

    if person is None:
        return ""
    assert isinstance(person, Person)
    if person.kind != PersonKind.PUPIL:
        return str(person)
    scope = scope_for(user)
    if (
        scope.has_operator_role(Person.OPERATOR_VIEW_ROLES)
        or person.owner_id in scope.owner_ids(Person.PUPIL_VIEW_OWNER_ROLES)
        or scope.person_id == person.pk
    ):
        return str(person)
    return _("Pupil (name hidden)")
