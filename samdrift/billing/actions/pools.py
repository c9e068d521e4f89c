"""Shared cost pools and their allocation keys."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from samdrift.billing.actions.common import _role
from samdrift.billing.models import AllocationFigure, AllocationKey, CostPool, InvoiceLine, KeyBasis, PeriodStatus
from samdrift.core.actions import create_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.tenancy.models import Owner, Person


@transaction.atomic
def do_create_cost_pool(data: dict[str, Any], *, actor: Any) -> CostPool:
    from samdrift.billing.vat import check_vat

    role = _role(actor)
    if data.get("kind") == "investment" and not data.get("depreciation_months"):
        raise ValidationError({"depreciation_months": _("An investment needs a number of depreciation months.")})
    check_vat(data.get("vat_category", "S"), data.get("vat_rate", Decimal(25)))
    return create_audited(CostPool, data, actor=actor, role=role)


def figures_for(basis: str, owners: list[Owner]) -> dict[int, Decimal]:
    """The current figures of a basis that Samdrift knows itself (population, users)."""
    if basis == KeyBasis.POPULATION:
        missing = [o.name for o in owners if not o.population]
        if missing:
            raise ValidationError(_("These owners have no population: %(owners)s") % {"owners": ", ".join(missing)})
        return {o.pk: Decimal(o.population or 0) for o in owners}
    if basis == KeyBasis.USERS:
        counts = dict(
            Person.objects.filter(owner__in=owners, active=True)
            .values("owner_id")
            .annotate(n=Count("id"))
            .values_list("owner_id", "n")
        )
        return {o.pk: Decimal(counts.get(o.pk, 0)) for o in owners}
    if basis == KeyBasis.DEVICES:
        from samdrift.billing.external import device_counts

        return device_counts([o.pk for o in owners])
    # Measured consumption and fixed shares: given by the caller.
    raise ValidationError(_("Give the figures for this basis."))


@transaction.atomic
def do_create_allocation_key(
    pool: CostPool,
    *,
    basis: str,
    valid_from: date,
    actor: Any,
    valid_to: date | None = None,
    figures: dict[int, Decimal] | None = None,
    note: str = "",
) -> AllocationKey:
    """A new key for a pool, with its figures stored; an open-ended earlier key ends the day before."""
    role = _role(actor)
    if basis not in KeyBasis.values:
        raise ValidationError({"basis": _("Unknown basis.")})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": _("The key cannot end before it starts.")})
    owners = list(Owner.objects.filter(active=True).order_by("pk"))
    if figures is None:
        figures = figures_for(basis, owners)
    if not figures or sum(figures.values(), Decimal(0)) <= 0:
        raise ValidationError(_("At least one owner needs a figure above zero."))
    if any(Decimal(v) < 0 for v in figures.values()):
        raise ValidationError(_("Figures cannot be negative."))
    earlier = AllocationKey.objects.filter(pool=pool, valid_from__lt=valid_from).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    for old in earlier:
        end = valid_from - timedelta(days=1)
        record_event(
            actor,
            role,
            AuditEventType.UPDATED,
            old,
            changes={"valid_to": [old.valid_to, end]},
            extra={"action": "end_allocation_key"},
        )
        old.valid_to = end
        old.save(update_fields=["valid_to"])
    key = AllocationKey(pool=pool, basis=basis, valid_from=valid_from, valid_to=valid_to, note=note)
    key.full_clean()
    key.save(force_insert=True)
    AllocationFigure.objects.bulk_create(
        [AllocationFigure(key=key, owner_id=owner_id, figure=Decimal(v)) for owner_id, v in sorted(figures.items())]
    )
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        key,
        changes={"basis": [None, basis], "valid_from": [None, valid_from], "valid_to": [None, valid_to]},
        extra={
            "action": "create_allocation_key",
            "figures": {str(k): str(v) for k, v in sorted(figures.items())},
            "note": note,
        },
    )
    return key


@transaction.atomic
def do_update_cost_pool(pool: CostPool, data: dict[str, Any], *, actor: Any) -> CostPool:
    """Change a pool's cost, dates, account or SIE object; its code stays. Closed periods keep
    what they billed."""
    from samdrift.billing.vat import check_vat

    role = _role(actor)
    kind = data.get("kind", pool.kind)
    if kind == "investment" and not data.get("depreciation_months", pool.depreciation_months):
        raise ValidationError({"depreciation_months": _("An investment needs a number of depreciation months.")})
    check_vat(data.get("vat_category", pool.vat_category), data.get("vat_rate", pool.vat_rate))
    return update_audited(pool, data, actor=actor, role=role, immutable=("code",))


def check_key_unused(key: AllocationKey) -> None:
    """A key that split a closed period keeps its figures: they explain that invoice."""
    if InvoiceLine.objects.filter(allocation_key=key, period__status=PeriodStatus.CLOSED).exists():
        raise ValidationError(
            _("The key was used in a closed period and keeps its figures; make a new key from a later date instead.")
        )


@transaction.atomic
def do_update_allocation_figures(key: AllocationKey, figures: dict[int, Decimal], *, actor: Any) -> AllocationKey:
    """Replace a key's figures (owner id → figure), as long as no closed period used the key."""
    role = _role(actor)
    key = AllocationKey.objects.select_for_update().get(pk=key.pk)
    check_key_unused(key)
    figures = {int(k): Decimal(v) for k, v in figures.items()}
    if any(v < 0 for v in figures.values()):
        raise ValidationError(_("Figures cannot be negative."))
    if sum(figures.values(), Decimal(0)) <= 0:
        raise ValidationError(_("At least one owner needs a figure above zero."))
    known = set(Owner.objects.filter(pk__in=figures).values_list("pk", flat=True))
    if known != set(figures):
        raise ValidationError(_("Unknown owner in the figures."))
    before = {str(o): str(f) for o, f in key.figures.order_by("owner_id").values_list("owner_id", "figure")}
    key.figures.all().delete()
    AllocationFigure.objects.bulk_create(
        [AllocationFigure(key=key, owner_id=owner_id, figure=v) for owner_id, v in sorted(figures.items())]
    )
    after = {str(k): str(v) for k, v in sorted(figures.items())}
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        key,
        changes={"figures": [before, after]},
        extra={"action": "update_allocation_figures"},
    )
    return key
