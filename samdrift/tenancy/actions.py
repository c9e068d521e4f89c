"""Every write in tenancy. Each action checks the actor's role, validates, writes and audits."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from samdrift.core.access import require_role, scope_for
from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import OPERATOR_ROLES
from samdrift.tenancy.models import CostCentre, Membership, Operator, OrgUnit, Owner, Person, User
from samdrift.tenancy.permissions import WRITE_ROLES
from samdrift.tenancy.validators import normalise_orgnr


def _role(actor: Any, thing: str, owner_id: int | None) -> str:
    operator_roles, owner_roles = WRITE_ROLES[thing]
    return require_role(actor, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)


def _owner_id(data: dict[str, Any], obj: Any = None) -> int | None:
    owner = data.get("owner")
    if owner is not None:
        return owner.pk if hasattr(owner, "pk") else int(owner)
    return getattr(obj, "owner_id", None)


# --- checks shared by create and update -----------------------------------------------------


def check_same_owner(owner_id: int | None, **related: Any) -> None:
    """Related rows (org unit, cost centre, parent) must belong to the same owner."""
    errors = {}
    for name, value in related.items():
        if value is not None and value.owner_id != owner_id:
            errors[name] = _("Must belong to the same owner.")
    if errors:
        raise ValidationError(errors)


def check_orgunit_parent(unit: OrgUnit | None, parent: OrgUnit | None) -> None:
    seen = set()
    node = parent
    while node is not None:
        if unit is not None and node.pk == unit.pk:
            raise ValidationError({"parent": _("An org unit cannot be part of itself.")})
        if node.pk in seen:  # pragma: no cover - defensive, the check above prevents cycles
            break
        seen.add(node.pk)
        node = node.parent


def check_person(data: dict[str, Any]) -> None:
    if data.get("kind") == "pupil" and (data.get("phone") or data.get("title")):
        raise ValidationError(_("For pupils we keep only name, school and identifier: leave phone and title empty."))


def _normalise_orgnr(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("org_number"):
        data = {**data, "org_number": normalise_orgnr(data["org_number"])}
    return data


# --- operator --------------------------------------------------------------------------------


@transaction.atomic
def do_save_operator(data: dict[str, Any], *, actor: Any) -> Operator:
    role = _role(actor, "operator", None)
    data = _normalise_orgnr(data)
    existing = Operator.objects.filter(pk=1).first()
    if existing is None:
        return create_audited(Operator, {"id": 1, **data}, actor=actor, role=role)
    return update_audited(existing, data, actor=actor, role=role)


# --- owners ----------------------------------------------------------------------------------


@transaction.atomic
def do_create_owner(data: dict[str, Any], *, actor: Any) -> Owner:
    role = _role(actor, "owner", None)
    data = _normalise_orgnr(data)
    if not data.get("peppol_endpoint") and data.get("org_number"):
        data["peppol_endpoint"] = f"0007:{data['org_number']}"
    return create_audited(Owner, data, actor=actor, role=role)


@transaction.atomic
def do_update_owner(owner: Owner, data: dict[str, Any], *, actor: Any) -> Owner:
    role = _role(actor, "owner", owner.pk)
    return update_audited(owner, _normalise_orgnr(data), actor=actor, role=role)


@transaction.atomic
def do_set_owner_active(owner: Owner, active: bool, *, actor: Any) -> Owner:
    return set_active_audited(owner, active, actor=actor, role=_role(actor, "owner", owner.pk))


# --- org units -------------------------------------------------------------------------------


@transaction.atomic
def do_create_org_unit(data: dict[str, Any], *, actor: Any) -> OrgUnit:
    owner_id = _owner_id(data)
    role = _role(actor, "orgunit", owner_id)
    check_same_owner(owner_id, parent=data.get("parent"))
    return create_audited(OrgUnit, data, actor=actor, role=role)


@transaction.atomic
def do_update_org_unit(unit: OrgUnit, data: dict[str, Any], *, actor: Any) -> OrgUnit:
    role = _role(actor, "orgunit", unit.owner_id)
    check_same_owner(unit.owner_id, parent=data.get("parent"))
    check_orgunit_parent(unit, data.get("parent", unit.parent))
    return update_audited(unit, data, actor=actor, role=role, immutable=("owner",))


@transaction.atomic
def do_set_org_unit_active(unit: OrgUnit, active: bool, *, actor: Any) -> OrgUnit:
    return set_active_audited(unit, active, actor=actor, role=_role(actor, "orgunit", unit.owner_id))


# --- cost centres ----------------------------------------------------------------------------


@transaction.atomic
def do_create_cost_centre(data: dict[str, Any], *, actor: Any) -> CostCentre:
    owner_id = _owner_id(data)
    role = _role(actor, "costcentre", owner_id)
    check_same_owner(owner_id, org_unit=data.get("org_unit"))
    return create_audited(CostCentre, data, actor=actor, role=role)


@transaction.atomic
def do_update_cost_centre(centre: CostCentre, data: dict[str, Any], *, actor: Any) -> CostCentre:
    role = _role(actor, "costcentre", centre.owner_id)
    check_same_owner(centre.owner_id, org_unit=data.get("org_unit"))
    return update_audited(centre, data, actor=actor, role=role, immutable=("owner",))


@transaction.atomic
def do_set_cost_centre_active(centre: CostCentre, active: bool, *, actor: Any) -> CostCentre:
    return set_active_audited(centre, active, actor=actor, role=_role(actor, "costcentre", centre.owner_id))


# --- people ----------------------------------------------------------------------------------


@transaction.atomic
def do_create_person(data: dict[str, Any], *, actor: Any) -> Person:
    owner_id = _owner_id(data)
    role = _role(actor, "person", owner_id)
    check_same_owner(owner_id, org_unit=data.get("org_unit"), cost_centre=data.get("cost_centre"))
    check_person(data)
    return create_audited(Person, data, actor=actor, role=role)


@transaction.atomic
def do_update_person(person: Person, data: dict[str, Any], *, actor: Any) -> Person:
    role = _role(actor, "person", person.owner_id)
    check_same_owner(person.owner_id, org_unit=data.get("org_unit"), cost_centre=data.get("cost_centre"))
    merged = {"kind": person.kind, "phone": person.phone, "title": person.title, **data}
    check_person(merged)
    return update_audited(person, data, actor=actor, role=role, immutable=("owner",))


@transaction.atomic
def do_set_person_active(person: Person, active: bool, *, actor: Any) -> Person:
    return set_active_audited(person, active, actor=actor, role=_role(actor, "person", person.owner_id))


# --- users and roles -------------------------------------------------------------------------


@transaction.atomic
def do_create_user(data: dict[str, Any], *, actor: Any, password: str | None = None) -> User:
    role = _role(actor, "user", None)
    user = User(**data)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save(force_insert=True)
    record_event(actor, role, AuditEventType.CREATED, user, changes={k: [None, v] for k, v in data.items()})
    return user


@transaction.atomic
def do_update_user(user: User, data: dict[str, Any], *, actor: Any) -> User:
    role = _role(actor, "user", None)
    return update_audited(user, data, actor=actor, role=role)


@transaction.atomic
def do_set_user_active(user: User, active: bool, *, actor: Any) -> User:
    role = _role(actor, "user", None)
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    record_event(
        actor,
        role,
        AuditEventType.REACTIVATED if active else AuditEventType.DEACTIVATED,
        user,
        changes={"is_active": [not active, active]},
    )
    return user


@transaction.atomic
def do_set_password(user: User, password: str, *, actor: Any) -> User:
    """An admin sets a password, or a user changes their own."""
    role = "self" if actor is not None and actor.pk == user.pk else _role(actor, "user", None)
    user.set_password(password)
    user.save(update_fields=["password"])
    record_event(actor, role, AuditEventType.PASSWORD_SET, user)
    return user


@transaction.atomic
def do_grant_role(user: User, role_name: str, owner: Owner | None, *, actor: Any) -> Membership:
    role = _role(actor, "membership", None)
    if (role_name in OPERATOR_ROLES) != (owner is None):
        raise ValidationError(_("Operator roles are held without an owner; owner roles need an owner."))
    membership = Membership.objects.filter(user=user, role=role_name, owner=owner).first()
    if membership is not None and membership.active:
        return membership
    if membership is None:
        membership = Membership(user=user, role=role_name, owner=owner)
        membership.full_clean(validate_constraints=False)
        membership.save(force_insert=True)
    else:
        membership.active = True
        membership.save(update_fields=["active"])
    record_event(
        actor,
        role,
        AuditEventType.ROLE_GRANTED,
        user,
        owner_id=owner.pk if owner else None,
        extra={"role": role_name, "owner": owner.pk if owner else None},
    )
    if hasattr(user, "_samdrift_scope"):
        del user._samdrift_scope
    return membership


@transaction.atomic
def do_revoke_role(membership: Membership, *, actor: Any) -> Membership:
    role = _role(actor, "membership", None)
    if not membership.active:
        return membership
    if membership.user_id == getattr(actor, "pk", None) and membership.role == "admin":
        remaining = Membership.objects.filter(role="admin", active=True, owner__isnull=True).exclude(pk=membership.pk)
        if not remaining.exists():
            raise ValidationError(_("The last administrator cannot remove their own administrator role."))
    membership.active = False
    membership.save(update_fields=["active"])
    record_event(
        actor,
        role,
        AuditEventType.ROLE_REVOKED,
        membership.user,
        owner_id=membership.owner_id,
        extra={"role": membership.role, "owner": membership.owner_id},
    )
    return membership


def visible_owners(user: Any) -> Any:
    """Owners the user may see, for pickers and navigation."""
    return Owner.objects.for_user(user)


def scope_summary(user: Any) -> dict[str, Any]:
    scope = scope_for(user)
    return {"operator_roles": sorted(scope.operator_roles), "owners": scope.owner_roles}
