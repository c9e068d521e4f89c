"""What billing's models share: the finance roles, the money field and the two scope bases."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import OperatorOnlyModel, OwnerScopedModel
from samdrift.core.roles import Role

FINANCE_ROLES: frozenset[str] = frozenset({Role.FINANCE, Role.ADMIN})
account_number = RegexValidator(r"^\d{4}$", _("An account number has four digits (BAS)."))


def money_field(verbose_name: str | object, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class FinanceOnly(OperatorOnlyModel):
    """Operator-level billing data: finance and administrators see it, owners never do."""

    OPERATOR_VIEW_ROLES = FINANCE_ROLES

    class Meta:
        abstract = True


class BillingOwnerScoped(OwnerScopedModel):
    """Owner billing rows: finance and administrators see all; an owner's viewers their own."""

    OPERATOR_VIEW_ROLES = FINANCE_ROLES
    OWNER_VIEW_ROLES = frozenset({Role.OWNER_VIEWER})

    class Meta:
        abstract = True
