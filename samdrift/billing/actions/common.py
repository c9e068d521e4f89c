"""What billing's actions share: the finance role, and the checks of a cost centre and an open period."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from samdrift.billing.models import FINANCE_ROLES, BillingPeriod, PeriodStatus
from samdrift.core.access import require_role
from samdrift.tenancy.models import CostCentre, Owner


def _role(actor: Any, owner_id: int | None = None) -> str:
    return require_role(actor, owner_id=owner_id, operator_roles=FINANCE_ROLES)


def check_cost_centre(owner: Owner | int | None, centre: CostCentre | None) -> None:
    owner_id = owner.pk if isinstance(owner, Owner) else owner
    if centre is not None and centre.owner_id != owner_id:
        raise ValidationError({"cost_centre": _("Must belong to the same owner.")})


def check_period_open(day: date) -> None:
    """A charge dated in a closed period would never be billed: refuse it (bill it in an open one)."""
    if BillingPeriod.objects.filter(year=day.year, month=day.month, status=PeriodStatus.CLOSED).exists():
        raise ValidationError(
            _("The period %(period)s is closed; date the correction in an open period.")
            % {"period": f"{day.year}-{day.month:02d}"}
        )
