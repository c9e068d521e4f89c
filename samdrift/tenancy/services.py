"""What other apps may read of tenancy (read-only): headcounts per owner, owners a user reaches,
and the addresses an owner's reports go to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q

from samdrift.core.access import scope_for
from samdrift.core.roles import Role
from samdrift.tenancy.models import Membership, Owner, Person, PersonKind


def get_headcounts_by_owner(owner_ids: Iterable[int] | None = None) -> dict[int, tuple[int, int]]:
    """Active employees and pupils per owner id (one grouped query, owners without people absent)."""
    people = Person.objects.filter(active=True)
    if owner_ids is not None:
        people = people.filter(owner_id__in=list(owner_ids))
    rows = people.values("owner_id").annotate(
        employees=Count("id", filter=Q(kind=PersonKind.EMPLOYEE)),
        pupils=Count("id", filter=Q(kind=PersonKind.PUPIL)),
    )
    return {row["owner_id"]: (row["employees"], row["pupils"]) for row in rows.order_by()}


def get_active_owners() -> list[tuple[int, str]]:
    """(id, name) of every active owner, by name: the group the averages are taken over."""
    return list(Owner.objects.filter(active=True).order_by("name").values_list("id", "name"))


def get_owners_for_user(user: Any, roles: Iterable[str], operator_roles: Iterable[str]) -> list[Owner]:
    """The owners `user` may open with these roles: every active owner for the operator roles,
    else the owners where one of the owner roles is held."""
    scope = scope_for(user)
    qs = Owner.objects.filter(active=True).order_by("name")
    if scope.has_operator_role(operator_roles):
        return list(qs)
    ids = scope.owner_ids(roles)
    return list(qs.filter(pk__in=ids)) if ids else []


def get_owner_report_recipients(owner_id: int) -> list[str]:
    """The owner's contacts for its reports: the e-mail of each active owner viewer there."""
    emails = (
        Membership.objects.filter(owner_id=owner_id, role=Role.OWNER_VIEWER, active=True, user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
        .distinct()
    )
    return list(emails)
