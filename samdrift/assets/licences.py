"""Licences: software products with the names agents report, entitlements, seat assignments, and
compliance per product and owner (entitled, assigned, installed, over- and under-use, expiring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from samdrift.assets.actions import _pk, _role, check_same_owner
from samdrift.assets.models import (
    Asset,
    InstalledSoftware,
    LicenceAssignment,
    LicenceEntitlement,
    LicenceKind,
    SoftwareProduct,
)
from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.tenancy.models import Owner

EXPIRY_WARNING_DAYS = 90


def product_by_reported_name() -> dict[str, int]:
    """Lower-cased reported name → product id, for normalising what agents send."""
    table: dict[str, int] = {}
    for product in SoftwareProduct.objects.filter(active=True).only("id", "name", "aliases"):
        for alias in product.alias_list:
            table.setdefault(alias, product.pk)
    return table


def normalise_installations(product: SoftwareProduct) -> int:
    """Point every installation whose reported name is one of the product's names at it (set-based)."""
    InstalledSoftware.objects.filter(product=product).update(product=None)
    if not product.active:
        return 0
    return (
        InstalledSoftware.objects.annotate(lname=Lower("name"))
        .filter(lname__in=product.alias_list, product__isnull=True)
        .update(product=product)
    )


@transaction.atomic
def do_create_software_product(data: dict[str, Any], *, actor: Any) -> SoftwareProduct:
    product = create_audited(SoftwareProduct, data, actor=actor, role=_role(actor, "catalogue", None))
    normalise_installations(product)
    return product


@transaction.atomic
def do_update_software_product(product: SoftwareProduct, data: dict[str, Any], *, actor: Any) -> SoftwareProduct:
    product = update_audited(product, data, actor=actor, role=_role(actor, "catalogue", None))
    normalise_installations(product)
    return product


@transaction.atomic
def do_set_software_product_active(product: SoftwareProduct, active: bool, *, actor: Any) -> SoftwareProduct:
    product = set_active_audited(product, active, actor=actor, role=_role(actor, "catalogue", None))
    normalise_installations(product)
    return product


@transaction.atomic
def do_create_licence_entitlement(data: dict[str, Any], *, actor: Any) -> LicenceEntitlement:
    return create_audited(LicenceEntitlement, data, actor=actor, role=_role(actor, "asset", _pk(data.get("owner"))))


@transaction.atomic
def do_update_licence_entitlement(obj: LicenceEntitlement, data: dict[str, Any], *, actor: Any) -> LicenceEntitlement:
    role = _role(actor, "asset", obj.owner_id)
    return update_audited(obj, data, actor=actor, role=role, immutable=("owner", "product"))


@transaction.atomic
def do_set_licence_entitlement_active(obj: LicenceEntitlement, active: bool, *, actor: Any) -> LicenceEntitlement:
    return set_active_audited(obj, active, actor=actor, role=_role(actor, "asset", obj.owner_id))


@transaction.atomic
def do_assign_licence(
    entitlement: LicenceEntitlement, *, actor: Any, person: Any = None, asset: Asset | None = None
) -> LicenceAssignment:
    """Give one seat to a person (per-user licences) or a device (per-device licences)."""
    role = _role(actor, "asset", entitlement.owner_id)
    check_same_owner(entitlement.owner_id, person=person, asset=asset)
    if (person is None) == (asset is None):
        raise ValidationError(_("Name either a person or a device."))
    if entitlement.kind == LicenceKind.PER_USER and person is None:
        raise ValidationError({"person": _("A per-user licence is assigned to a person.")})
    if entitlement.kind == LicenceKind.PER_DEVICE and asset is None:
        raise ValidationError({"asset": _("A per-device licence is assigned to a device.")})
    # Lock the entitlement so two assignments cannot both take the last seat.
    locked = LicenceEntitlement.objects.select_for_update().get(pk=entitlement.pk)
    if locked.kind in {LicenceKind.PER_USER, LicenceKind.PER_DEVICE} and locked.assignments.count() >= locked.seats:
        raise ValidationError(_("All %(seats)s seats are taken.") % {"seats": locked.seats})
    assignment = LicenceAssignment(owner_id=entitlement.owner_id, entitlement=entitlement, person=person, asset=asset)
    assignment.full_clean()
    assignment.save(force_insert=True)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        assignment,
        extra={"action": "assign_licence", "entitlement": entitlement.pk},
    )
    return assignment


@dataclass
class ComplianceRow:
    product_id: int
    product: str
    owner_id: int
    owner: str
    entitled: int = 0
    assigned: int = 0
    installed: int = 0
    expiring: int = 0

    @property
    def used(self) -> int:
        return max(self.assigned, self.installed)

    @property
    def over_use(self) -> int:
        return max(0, self.used - self.entitled)

    @property
    def under_use(self) -> int:
        return max(0, self.entitled - self.used)


def get_licence_compliance(user: Any, *, owner_id: int | None = None, today: date) -> list[ComplianceRow]:
    """Per product and owner, in three grouped queries whatever the number of devices."""
    owners = Owner.objects.for_user(user)
    if owner_id is not None:
        owners = owners.filter(pk=owner_id)
    owner_names = dict(owners.values_list("pk", "name"))
    if not owner_names:
        return []
    valid = Q(active=True, valid_from__lte=today) & (Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    ents = LicenceEntitlement.objects.filter(owner_id__in=owner_names).filter(valid)
    rows: dict[tuple[int, int], ComplianceRow] = {}
    names = dict(SoftwareProduct.objects.values_list("pk", "name"))

    def row(product_id: int, oid: int) -> ComplianceRow:
        key = (product_id, oid)
        if key not in rows:
            rows[key] = ComplianceRow(product_id, names.get(product_id, "?"), oid, owner_names[oid])
        return rows[key]

    soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    for g in (
        ents.values("product_id", "owner_id")
        .annotate(
            total_seats=Sum("seats"),
            expiring_seats=Sum("seats", filter=Q(valid_until__lte=soon)),
        )
        .order_by()
    ):
        r = row(g["product_id"], g["owner_id"])
        r.entitled, r.expiring = g["total_seats"] or 0, g["expiring_seats"] or 0
    for a in (
        LicenceAssignment.objects.filter(entitlement__in=ents)
        .values("entitlement__product_id", "owner_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row(a["entitlement__product_id"], a["owner_id"]).assigned = a["n"]
    for i in (
        InstalledSoftware.objects.filter(owner_id__in=owner_names, product__isnull=False)
        .values("product_id", "owner_id")
        .annotate(n=Count("asset_id", distinct=True))
        .order_by()
    ):
        row(i["product_id"], i["owner_id"]).installed = i["n"]
    return sorted(rows.values(), key=lambda r: (r.product.lower(), r.owner))
