"""Who approves orders, for which owner and up to which amount."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.roles import Role
from samdrift.ordering.actions.common import _pk, _role, today
from samdrift.ordering.models import Approver, Order


def _approver_role_holders(owner_id: int | None, user_ids: Iterable[int | None]) -> set[int]:
    """Of `user_ids`, those who hold the approver role at the owner (an active user, an active role)."""
    from samdrift.tenancy.models import Membership

    ids = [pk for pk in user_ids if pk is not None]
    if owner_id is None or not ids:
        return set()
    return set(
        Membership.objects.filter(
            owner_id=owner_id, role=Role.APPROVER, active=True, user_id__in=ids, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def _check_approver(data: dict[str, Any], owner_id: int | None) -> None:
    errors = {}
    # The approval mail carries the orderer, the cost centre and the amounts: only a user holding
    # the approver role at this very owner may receive it, as approver or as substitute.
    people = {name: _pk(data.get(name)) for name in ("user", "substitute")}
    holders = _approver_role_holders(owner_id, [pk for pk in people.values() if pk is not None])
    for name, pk in people.items():
        if pk is not None and pk not in holders:
            errors[name] = _("Must hold the approver role at this owner.")
    centre = data.get("cost_centre")
    if centre is not None and centre.owner_id != owner_id:
        errors["cost_centre"] = _("Must belong to the same owner.")
    level = data.get("level", 1)
    if level == 1 and centre is None:
        errors["cost_centre"] = _("A cost-centre approver needs a cost centre.")
    if level == 2 and centre is not None:
        errors["cost_centre"] = _("A second-level approver approves for the whole owner: leave the cost centre empty.")
    if data.get("away_from") and data.get("away_until") and data["away_until"] < data["away_from"]:
        errors["away_until"] = _("The end of the absence cannot be before its start.")
    if data.get("limit") is not None and data["limit"] < 0:
        errors["limit"] = _("A limit cannot be negative.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def do_create_approver(data: dict[str, Any], *, actor: Any) -> Approver:
    owner_id = _pk(data.get("owner"))
    role = _role(actor, "approver", owner_id)
    _check_approver(data, owner_id)
    return create_audited(Approver, data, actor=actor, role=role)


@transaction.atomic
def do_update_approver(obj: Approver, data: dict[str, Any], *, actor: Any) -> Approver:
    role = _role(actor, "approver", obj.owner_id)
    merged = {
        "user": data.get("user", obj.user_id),
        "substitute": data.get("substitute", obj.substitute_id),
        "cost_centre": data.get("cost_centre", obj.cost_centre),
        "level": data.get("level", obj.level),
        "away_from": data.get("away_from", obj.away_from),
        "away_until": data.get("away_until", obj.away_until),
        "limit": data.get("limit", obj.limit),
    }
    _check_approver(merged, obj.owner_id)
    return update_audited(obj, data, actor=actor, role=role, immutable=("owner",))


@transaction.atomic
def do_set_approver_active(obj: Approver, active: bool, *, actor: Any) -> Approver:
    return set_active_audited(obj, active, actor=actor, role=_role(actor, "approver", obj.owner_id))


def approvers_for(order: Order, day: date | None = None) -> list[Any]:
    """The users who may decide the order now: the cost centre's approvers whose limit covers it
    (or, above every limit, the owner's second level); an absent approver's substitute instead."""
    day = day or today()
    rules = list(
        Approver.objects.filter(owner_id=order.owner_id, active=True)
        .filter(Q(cost_centre_id=order.cost_centre_id, level=1) | Q(level=2))
        .select_related("user", "substitute")
    )
    if order.approval_level == 1:
        rules = [r for r in rules if r.level == 1 and (r.limit is None or r.limit >= order.approval_amount)]
    else:
        rules = [r for r in rules if r.level == 2]
    # A rule outlives a revoked role; the mail and the decision must not.
    holders = _approver_role_holders(order.owner_id, {r.user_id for r in rules} | {r.substitute_id for r in rules})
    users: dict[int, Any] = {}
    for rule in rules:
        away = rule.away_from is not None and rule.away_from <= day <= (rule.away_until or rule.away_from)
        who = rule.substitute if away and rule.substitute is not None else rule.user
        if who.is_active and who.pk in holders:
            users.setdefault(who.pk, who)
    return list(users.values())


def approval_level_for(owner_id: int, cost_centre_id: int, amount: Decimal) -> int:
    """1 when a cost-centre approver's limit covers the amount, else 2 (the second level)."""
    covered = Approver.objects.filter(owner_id=owner_id, cost_centre_id=cost_centre_id, level=1, active=True).filter(
        Q(limit__isnull=True) | Q(limit__gte=amount)
    )
    return 1 if covered.exists() else 2
