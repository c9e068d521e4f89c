"""The scoped query layer (DESIGN.md rule 1).

Every read of owner data goes through `Model.objects.for_user(user)` or an `access_<thing>(user,
id)` helper built on `access_object`. A missing object and one of another owner look the same: 404.
Writes check the same scope plus a role through `require_role`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404

from samdrift.core.roles import OPERATOR_ROLES, OWNER_ROLES, SYSTEM_ROLE, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

_SCOPE_ATTR = "_samdrift_scope"


@dataclass(frozen=True)
class Scope:
    """What one user may reach: operator roles and, per owner id, the owner roles held there."""

    user_id: int | None
    operator_roles: frozenset[str] = frozenset()
    owner_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    person_id: int | None = None
    is_system: bool = False

    @property
    def is_operator(self) -> bool:
        return self.is_system or bool(self.operator_roles)

    def has_operator_role(self, roles: Iterable[str]) -> bool:
        return self.is_system or bool(self.operator_roles & frozenset(roles))

    def owner_ids(self, roles: Iterable[str] | None = None) -> list[int]:
        wanted = frozenset(roles) if roles is not None else OWNER_ROLES
        return sorted(oid for oid, held in self.owner_roles.items() if held & wanted)

    def roles_in(self, owner_id: int | None) -> frozenset[str]:
        if owner_id is None:
            return frozenset()
        return self.owner_roles.get(owner_id, frozenset())

    @property
    def all_roles(self) -> frozenset[str]:
        held: set[str] = set(self.operator_roles)
        for roles in self.owner_roles.values():
            held |= roles
        return frozenset(held)


SYSTEM_SCOPE = Scope(user_id=None, is_system=True)


# The user's active (role, owner id) pairs, when whoever made the user object read them already.
PRELOADED_ROLES_ATTR = "_samdrift_preloaded_roles"


def scope_for(user: Any) -> Scope:
    """The user's scope, computed once per user object (one query) and cached on it."""
    if user is None:
        return SYSTEM_SCOPE
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Scope(user_id=None)
    cached = getattr(user, _SCOPE_ATTR, None)
    if cached is not None:
        return cached
    operator: set[str] = set()
    per_owner: dict[int, set[str]] = {}
    preloaded = getattr(user, PRELOADED_ROLES_ATTR, None)  # read with the session (tenancy.sessions)
    memberships = (
        preloaded if preloaded is not None else user.memberships.filter(active=True).values_list("role", "owner_id")
    )
    for role, owner_id in memberships:
        if owner_id is None:
            if role in OPERATOR_ROLES:
                operator.add(role)
        elif role in OWNER_ROLES:
            per_owner.setdefault(owner_id, set()).add(role)
    scope = Scope(
        user_id=user.pk,
        operator_roles=frozenset(operator),
        owner_roles={k: frozenset(v) for k, v in per_owner.items()},
        person_id=getattr(user, "person_id", None),
    )
    setattr(user, _SCOPE_ATTR, scope)
    return scope


def forget_scope(user: Any) -> None:
    if hasattr(user, _SCOPE_ATTR):
        delattr(user, _SCOPE_ATTR)


M = TypeVar("M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[M]):
    """A queryset that knows how to narrow itself to what a user may see."""

    def for_user(self, user: Any) -> Self:
        scope = scope_for(user)
        narrow = getattr(self.model, "scope_queryset", None)
        if narrow is None:
            raise TypeError(f"{self.model.__name__} has no scope_queryset")
        return narrow(self, scope)


class OwnerScopedModel(models.Model):
    """Base for every row that belongs to one owner (ägarkommun).

    Subclasses declare `owner` (non-null) and may narrow `OWNER_VIEW_ROLES` (owner roles that see
    the owner's rows) and `OPERATOR_VIEW_ROLES` (operator roles that see every owner's rows).
    """

    OWNER_PATH = "owner"
    OPERATOR_VIEW_ROLES: frozenset[str] = OPERATOR_ROLES
    OWNER_VIEW_ROLES: frozenset[str] = frozenset({Role.OWNER_VIEWER, Role.ORDERER, Role.APPROVER})
    # The path to the person whose own rows these are (a ticket's requester, a device's user, an
    # order line's recipient): that person sees them whatever roles they hold. Empty: nobody by that.
    PERSON_PATH: str = ""

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES):
            return qs
        owner_ids = scope.owner_ids(cls.OWNER_VIEW_ROLES)
        own = bool(cls.PERSON_PATH and scope.person_id)
        if not owner_ids and not own:
            return qs.none()
        if not own:
            return qs.filter(**{f"{cls.OWNER_PATH}__in": owner_ids})
        condition = Q(**{f"{cls.OWNER_PATH}__in": owner_ids}) if owner_ids else Q(pk__in=[])
        return qs.filter(condition | Q(**{cls.PERSON_PATH: scope.person_id}))

    @property
    def scope_owner_id(self) -> int | None:
        value: Any = self
        for part in self.OWNER_PATH.split("__"):
            value = getattr(value, "pk" if part == "pk" else f"{part}_id" if part == "owner" else part)
            if value is None:
                return None
        return value


class OperatorOnlyModel(models.Model):
    """Base for the operator's own data (catalogue, suppliers, price matrices, records plans, ...):
    the operator roles named by `OPERATOR_VIEW_ROLES` see all of it, owner users none by id."""

    OPERATOR_VIEW_ROLES: frozenset[str] = OPERATOR_ROLES

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        return qs if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES) else qs.none()


def access_object(model: type[M], user: Any, pk: Any, *, queryset: models.QuerySet | None = None) -> M:
    """Fetch one object the user may see; 404 alike for missing, malformed and forbidden ids."""
    qs = queryset if queryset is not None else model.objects.all()  # type: ignore[attr-defined]
    try:
        return qs.for_user(user).get(pk=pk)  # type: ignore[union-attr]
    except (model.DoesNotExist, ValueError, TypeError, ValidationError, OverflowError) as exc:  # type: ignore[attr-defined]
        raise Http404 from exc


def require_role(
    actor: Any,
    *,
    owner_id: int | None,
    operator_roles: Iterable[str] = (),
    owner_roles: Iterable[str] = (),
) -> str:
    """Return the role in which `actor` may act for `owner_id`, or raise PermissionDenied.

    `actor=None` is the system (commands and jobs started by the operator).
    """
    scope = scope_for(actor)
    if scope.is_system:
        return SYSTEM_ROLE
    for role in sorted(scope.operator_roles & frozenset(operator_roles)):
        return role
    for role in sorted(scope.roles_in(owner_id) & frozenset(owner_roles)):
        return role
    raise PermissionDenied


def role_of(user: Any, owner_id: int | None = None) -> str:
    """The role in which a user reads (an export, a download): the system, their first operator
    role, else their first role at `owner_id` (at any owner when none is named); "" for nobody."""
    scope = scope_for(user)
    if scope.is_system:
        return SYSTEM_ROLE
    held = sorted(scope.operator_roles) or sorted(scope.roles_in(owner_id) if owner_id is not None else scope.all_roles)
    return held[0] if held else ""


def may(
    actor: AnonymousUser | Any,
    *,
    owner_id: int | None,
    operator_roles: Iterable[str] = (),
    owner_roles: Iterable[str] = (),
) -> bool:
    try:
        require_role(actor, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)
    except PermissionDenied:
        return False
    return True
