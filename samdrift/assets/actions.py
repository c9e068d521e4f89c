"""Every write in assets. Each action checks the actor's role, validates, writes and audits.

The device lifecycle (TRANSITIONS in models) is enforced here; every change of owner, person or
cost centre closes the open AssetAssignment and opens the next, in the same transaction.
"""

from __future__ import annotations

import csv
import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.assets.models import (
    RELEASING_STATUSES,
    TRANSITIONS,
    AgentKey,
    Asset,
    AssetAssignment,
    AssetModel,
    AssetStatus,
    Manufacturer,
    Site,
)
from samdrift.assets.permissions import WRITE_ROLES
from samdrift.core.access import require_role, scope_for
from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType
from samdrift.tenancy.models import Owner, Person

CO2E_CSV = Path(__file__).resolve().parent / "data" / "co2e_factors.csv"
# Our categories as the reference file names them.
CO2E_CATEGORY = {"laptop": "laptop", "chromebook": "laptop", "phone": "smartphone"}


def _role(actor: Any, thing: str, owner_id: int | None) -> str:
    operator_roles, owner_roles = WRITE_ROLES[thing]
    return require_role(actor, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)


def _pk(value: Any) -> int | None:
    if value is None:
        return None
    return value.pk if hasattr(value, "pk") else int(value)


@cache
def co2e_factors() -> dict[str, tuple[Decimal, str]]:
    """Life-cycle kg CO2e per category and its source, from the reference file."""
    with CO2E_CSV.open(encoding="utf-8") as f:
        return {
            row["category"]: (Decimal(row["lifecycle_kg_co2e"]), row["lifecycle_source"])
            for row in csv.DictReader(f)
            if row.get("lifecycle_kg_co2e")
        }


def co2e_for(category: str) -> tuple[Decimal | None, str]:
    found = co2e_factors().get(CO2E_CATEGORY.get(category, category))
    return found if found else (None, "")


# --- checks ----------------------------------------------------------------------------------


def check_same_owner(owner_id: int | None, **related: Any) -> None:
    """Org unit, cost centre, person and site must belong to the asset's owner."""
    errors = {}
    for name, value in related.items():
        if value is not None and value.owner_id != owner_id:
            errors[name] = _("Must belong to the same owner.")
    if errors:
        raise ValidationError(errors)


# Checks other capabilities add before devices reach a status (take-back: reused, resold or recycled
# only with an erasure certificate), registered from their ready() through assets/services.py.
STATUS_GUARDS: dict[str, list[Callable[[list[int]], None]]] = {}


def check_status_guards(asset_ids: list[int], status: str) -> None:
    """Raise the ValidationError of the first registered check that refuses these devices."""
    for guard in STATUS_GUARDS.get(status, ()):
        guard(asset_ids)


def check_transition(asset: Asset, status: str) -> None:
    if status not in AssetStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status not in TRANSITIONS[asset.status]:
        raise ValidationError(
            {
                "status": _("%(asset)s cannot go from %(old)s to %(new)s.")
                % {
                    "asset": asset.asset_tag,
                    "old": AssetStatus(asset.status).label,
                    "new": AssetStatus(status).label,
                }
            }
        )


# --- catalogue -------------------------------------------------------------------------------


@transaction.atomic
def do_create_manufacturer(data: dict[str, Any], *, actor: Any) -> Manufacturer:
    return create_audited(Manufacturer, data, actor=actor, role=_role(actor, "catalogue", None))


@transaction.atomic
def do_update_manufacturer(obj: Manufacturer, data: dict[str, Any], *, actor: Any) -> Manufacturer:
    return update_audited(obj, data, actor=actor, role=_role(actor, "catalogue", None))


@transaction.atomic
def do_set_manufacturer_active(obj: Manufacturer, active: bool, *, actor: Any) -> Manufacturer:
    return set_active_audited(obj, active, actor=actor, role=_role(actor, "catalogue", None))


@transaction.atomic
def do_create_asset_model(data: dict[str, Any], *, actor: Any) -> AssetModel:
    role = _role(actor, "catalogue", None)
    data = dict(data)
    if data.get("co2e_kg") is None and data.get("category"):
        factor, source = co2e_for(data["category"])
        if factor is not None:
            data["co2e_kg"], data["co2e_source"] = factor, source
    return create_audited(AssetModel, data, actor=actor, role=role)


@transaction.atomic
def do_update_asset_model(obj: AssetModel, data: dict[str, Any], *, actor: Any) -> AssetModel:
    return update_audited(obj, data, actor=actor, role=_role(actor, "catalogue", None), immutable=("manufacturer",))


@transaction.atomic
def do_set_asset_model_active(obj: AssetModel, active: bool, *, actor: Any) -> AssetModel:
    return set_active_audited(obj, active, actor=actor, role=_role(actor, "catalogue", None))


# --- sites -----------------------------------------------------------------------------------


@transaction.atomic
def do_create_site(data: dict[str, Any], *, actor: Any) -> Site:
    return create_audited(Site, data, actor=actor, role=_role(actor, "site", _pk(data.get("owner"))))


@transaction.atomic
def do_update_site(site: Site, data: dict[str, Any], *, actor: Any) -> Site:
    return update_audited(site, data, actor=actor, role=_role(actor, "site", site.owner_id), immutable=("owner",))


@transaction.atomic
def do_set_site_active(site: Site, active: bool, *, actor: Any) -> Site:
    return set_active_audited(site, active, actor=actor, role=_role(actor, "site", site.owner_id))


# --- assets ----------------------------------------------------------------------------------


def _open_assignment(asset: Asset, now: datetime, reason: str) -> AssetAssignment:
    """Close the open assignment (if any) and open one for the asset's current holder."""
    AssetAssignment.objects.filter(asset=asset, ended_at__isnull=True).update(ended_at=now)
    assignment = AssetAssignment(
        owner_id=asset.owner_id,
        asset=asset,
        person_id=asset.assigned_to_id,
        cost_centre_id=asset.cost_centre_id,
        org_unit_id=asset.org_unit_id,
        started_at=now,
        reason=reason,
    )
    assignment.save(force_insert=True)
    return assignment


@transaction.atomic
def do_create_asset(data: dict[str, Any], *, actor: Any) -> Asset:
    """Register a device, ordered or in stock; it is handed to someone by check-out."""
    data = dict(data)
    owner_id = _pk(data.get("owner"))
    role = _role(actor, "asset", owner_id)
    data.pop("assigned_to", None)
    check_same_owner(
        owner_id, org_unit=data.get("org_unit"), cost_centre=data.get("cost_centre"), site=data.get("site")
    )
    status = data.setdefault("status", AssetStatus.IN_STOCK)
    if status not in {AssetStatus.ORDERED, AssetStatus.IN_STOCK}:
        raise ValidationError({"status": _("A new asset is ordered or in stock; hand it out by check-out.")})
    model = data.get("model")
    if model is None:
        raise ValidationError({"model": _("This field is required.")})
    data["manufacturer"] = model.manufacturer
    asset = create_audited(Asset, data, actor=actor, role=role)
    _open_assignment(asset, asset.created, "created")
    return asset


@transaction.atomic
def do_update_asset(asset: Asset, data: dict[str, Any], *, actor: Any) -> Asset:
    """Edit the register entry. Status, person and owner change only through their own actions."""
    role = _role(actor, "asset", asset.owner_id)
    data = {k: v for k, v in data.items() if k not in {"status", "assigned_to"}}
    check_same_owner(
        asset.owner_id, org_unit=data.get("org_unit"), cost_centre=data.get("cost_centre"), site=data.get("site")
    )
    if data.get("model") is not None:
        data["manufacturer"] = data["model"].manufacturer
    before = (asset.cost_centre_id, asset.org_unit_id)
    asset = update_audited(asset, data, actor=actor, role=role, immutable=("owner",))
    if (asset.cost_centre_id, asset.org_unit_id) != before:
        _open_assignment(asset, timezone.now(), "moved")
    return asset


def _status_change(asset: Asset, status: str) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {"status": [asset.status, status]}
    asset.status = status
    if status in RELEASING_STATUSES and asset.assigned_to_id is not None:
        changes["assigned_to"] = [asset.assigned_to_id, None]
        asset.assigned_to = None
    return changes


@transaction.atomic
def do_change_asset_status(asset: Asset, status: str, *, actor: Any) -> Asset:
    """Move a device one step along its lifecycle (repair, return, erasure, disposal, loss)."""
    return change_status_as(asset, status, actor=actor, role=_role(actor, "asset", asset.owner_id))


def change_status_as(asset: Asset, status: str, *, actor: Any, role: str, extra: dict[str, Any] | None = None) -> Asset:
    """The status change itself, for an action of another app that has already decided who may
    make it and in which role (take-back's loss report, made by the device's own user)."""
    check_transition(asset, status)
    check_status_guards([asset.pk], status)
    if status == AssetStatus.DEPLOYED and asset.assigned_to_id is None:
        raise ValidationError({"status": _("A device is deployed by checking it out to a person.")})
    changes = _status_change(asset, status)
    asset.save(update_fields=["status", "assigned_to"])
    if "assigned_to" in changes:
        _open_assignment(asset, timezone.now(), status)
    record_event(
        actor, role, AuditEventType.UPDATED, asset, changes=changes, extra=extra or {"action": "change_status"}
    )
    return asset


@transaction.atomic
def do_check_out_asset(asset: Asset, person: Person, *, actor: Any, cost_centre: Any = None) -> AssetAssignment:
    """Hand a device to a person (utlämning); the person confirms receipt in the portal."""
    role = _role(actor, "asset", asset.owner_id)
    check_same_owner(asset.owner_id, person=person, cost_centre=cost_centre)
    if not person.active:
        raise ValidationError({"person": _("The person is inactive.")})
    if asset.status != AssetStatus.IN_STOCK:
        raise ValidationError(
            {
                "status": _("Only a device in stock can be checked out (this one is %(status)s).")
                % {"status": AssetStatus(asset.status).label}
            }
        )
    new = {
        "status": AssetStatus.DEPLOYED,
        "assigned_to_id": person.pk,
        "cost_centre_id": _pk(cost_centre) or person.cost_centre_id or asset.cost_centre_id,
        "org_unit_id": person.org_unit_id or asset.org_unit_id,
    }
    changes = {k.removesuffix("_id"): [getattr(asset, k), v] for k, v in new.items() if getattr(asset, k) != v}
    for k, v in new.items():
        setattr(asset, k, v)
    asset.save(update_fields=list(new))
    assignment = _open_assignment(asset, timezone.now(), "check_out")
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        asset,
        changes=changes,
        extra={"action": "check_out", "person": person.pk, "assignment": assignment.pk},
    )
    return assignment


@transaction.atomic
def do_check_in_asset(asset: Asset, *, actor: Any) -> Asset:
    """Take a device back into stock (återlämning); the person's assignment ends now."""
    role = _role(actor, "asset", asset.owner_id)
    check_transition(asset, AssetStatus.IN_STOCK)
    person_id = asset.assigned_to_id
    changes = _status_change(asset, AssetStatus.IN_STOCK)
    asset.save(update_fields=["status", "assigned_to"])
    _open_assignment(asset, timezone.now(), "check_in")
    record_event(
        actor, role, AuditEventType.UPDATED, asset, changes=changes, extra={"action": "check_in", "person": person_id}
    )
    return asset


@transaction.atomic
def do_move_asset(
    asset: Asset,
    *,
    actor: Any,
    owner: Owner | None = None,
    person: Person | None = None,
    cost_centre: Any = None,
    org_unit: Any = None,
    site: Any = None,
) -> Asset:
    """Move a device to another owner, person, cost centre or org unit (flytt).

    What is not given is kept when the owner stays; when the owner changes, everything tied to the
    old owner is cleared unless given anew. The assignment history gets a new row either way.
    """
    role = _role(actor, "asset", asset.owner_id)
    target_owner_id = owner.pk if owner is not None else asset.owner_id
    if target_owner_id != asset.owner_id:
        _role(actor, "asset", target_owner_id)
    same = target_owner_id == asset.owner_id
    new = {
        "owner_id": target_owner_id,
        "assigned_to_id": _pk(person) if person is not None else (asset.assigned_to_id if same else None),
        "cost_centre_id": _pk(cost_centre) if cost_centre is not None else (asset.cost_centre_id if same else None),
        "org_unit_id": _pk(org_unit) if org_unit is not None else (asset.org_unit_id if same else None),
        "site_id": _pk(site) if site is not None else (asset.site_id if same else None),
    }
    check_same_owner(target_owner_id, person=person, cost_centre=cost_centre, org_unit=org_unit, site=site)
    if person is not None and asset.status not in {AssetStatus.DEPLOYED, AssetStatus.IN_STOCK}:
        raise ValidationError({"person": _("Only a device in stock or in use can be handed to a person.")})
    changes = {k.removesuffix("_id"): [getattr(asset, k), v] for k, v in new.items() if getattr(asset, k) != v}
    if not changes:
        return asset
    for k, v in new.items():
        setattr(asset, k, v)
    if asset.assigned_to_id is not None and asset.status == AssetStatus.IN_STOCK:
        changes["status"] = [asset.status, AssetStatus.DEPLOYED]
        asset.status = AssetStatus.DEPLOYED
    elif asset.assigned_to_id is None and asset.status == AssetStatus.DEPLOYED:
        changes["status"] = [asset.status, AssetStatus.IN_STOCK]
        asset.status = AssetStatus.IN_STOCK
    asset.save(update_fields=[*new, "status"])
    _open_assignment(asset, timezone.now(), "moved")
    # The event belongs to the new owner; the old owner is named in the changes.
    record_event(actor, role, AuditEventType.UPDATED, asset, changes=changes, extra={"action": "move"})
    return asset


@transaction.atomic
def do_accept_asset_assignment(assignment: AssetAssignment, *, actor: Any) -> AssetAssignment:
    """The person who received a device confirms it (kvittens) in the portal."""
    scope = scope_for(actor)
    if scope.person_id is None or scope.person_id != assignment.person_id:
        raise PermissionDenied
    if assignment.ended_at is not None:
        raise ValidationError(_("This loan has ended."))
    if assignment.accepted_at is not None:
        return assignment
    assignment.accepted_at = timezone.now()
    assignment.save(update_fields=["accepted_at"])
    record_event(
        actor,
        "self",
        AuditEventType.UPDATED,
        assignment,
        changes={"accepted_at": [None, assignment.accepted_at]},
        extra={"action": "accept", "asset": assignment.asset_id},
    )
    return assignment


@transaction.atomic
def do_bulk_change_asset_status(assets: Iterable[Asset], status: str, *, actor: Any) -> int:
    """Change the status of many devices at once: all of them, or none if one may not move."""
    assets = list(assets)
    if not assets:
        return 0
    roles = {owner_id: _role(actor, "asset", owner_id) for owner_id in {a.owner_id for a in assets}}
    if status == AssetStatus.DEPLOYED:
        raise ValidationError({"status": _("A device is deployed by checking it out to a person.")})
    refused = []
    for asset in assets:
        try:
            check_transition(asset, status)
        except ValidationError as exc:
            refused.extend(exc.messages)
    if refused:
        raise ValidationError({"status": refused})
    now = timezone.now()
    ids = [a.pk for a in assets]
    check_status_guards(ids, status)
    releasing = status in RELEASING_STATUSES
    released = [a for a in assets if releasing and a.assigned_to_id is not None]
    if releasing:
        Asset.objects.filter(pk__in=ids).update(status=status, assigned_to=None)
    else:
        Asset.objects.filter(pk__in=ids).update(status=status)
    if released:
        AssetAssignment.objects.filter(asset__in=released, ended_at__isnull=True).update(ended_at=now)
        AssetAssignment.objects.bulk_create(
            AssetAssignment(
                owner_id=a.owner_id,
                asset=a,
                cost_centre_id=a.cost_centre_id,
                org_unit_id=a.org_unit_id,
                started_at=now,
                reason=status,
            )
            for a in released
        )
    events = []
    for asset in assets:
        changes = _status_change(asset, status)
        events.append(PendingEvent(AuditEventType.UPDATED, asset, changes=changes, extra={"action": "bulk_status"}))
    # One role per owner; the roles are the same set for every owner of a bulk change in practice.
    for owner_id, role in roles.items():
        record_events(actor, role, [e for e in events if e.obj is not None and e.obj.owner_id == owner_id])  # type: ignore[attr-defined]
    return len(assets)


# --- agent keys ------------------------------------------------------------------------------


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def do_create_agent_key(data: dict[str, Any], *, actor: Any) -> tuple[AgentKey, str]:
    """A new secret for an owner's agents. The key is shown once; only its hash is stored."""
    role = _role(actor, "agentkey", _pk(data.get("owner")))
    key = secrets.token_urlsafe(24)
    obj = AgentKey(owner=data["owner"], name=data.get("name", ""), prefix=key[:8], key_hash=hash_key(key))
    obj.full_clean()
    obj.save(force_insert=True)
    record_event(actor, role, AuditEventType.TOKEN_CREATED, obj, extra={"action": "create_agent_key"})
    return obj, key


@transaction.atomic
def do_set_agent_key_active(obj: AgentKey, active: bool, *, actor: Any) -> AgentKey:
    return set_active_audited(obj, active, actor=actor, role=_role(actor, "agentkey", obj.owner_id))
