"""Billing's reference data: articles, the owners' billing profiles and the work type rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from samdrift.billing.actions.common import _role, check_cost_centre
from samdrift.billing.models import RATE_EPOCH, Article, BillingPeriod, BillingProfile, PeriodStatus, WorkTypeRate
from samdrift.core.actions import create_audited, update_audited


def _check_article_data(data: dict[str, Any], current: Any = None) -> dict[str, Any]:
    """VAT category and rate must go together (vat.py); unit codes are UN/ECE Rec. 20."""
    from samdrift.billing.units import normalise_unit
    from samdrift.billing.vat import check_vat

    category = data.get("vat_category", getattr(current, "vat_category", "S"))
    rate = data.get("vat_rate", getattr(current, "vat_rate", Decimal(25)))
    check_vat(category, rate)
    if "unit_code" in data:
        data = {**data, "unit_code": normalise_unit(data["unit_code"])}
    return data


@transaction.atomic
def do_create_article(data: dict[str, Any], *, actor: Any) -> Article:
    return create_audited(Article, _check_article_data(data), actor=actor, role=_role(actor))


def check_peppol_endpoint(value: str) -> str:
    """A Peppol address "scheme:identifier"; an organisation number (0007) must be a valid one."""
    from stdnum.se import orgnr

    value = (value or "").strip()
    if not value:
        return ""
    scheme, sep, ident = value.partition(":")
    if not sep or not scheme.isdigit() or len(scheme) != 4 or not ident.strip():
        raise ValidationError(
            {"peppol_endpoint": _("Write the Peppol address as scheme:identifier, e.g. 0007:2120001234.")}
        )
    ident = ident.strip()
    if scheme == "0007":
        ident = ident.replace("-", "")
        if not orgnr.is_valid(ident):
            raise ValidationError(
                {"peppol_endpoint": _("%(value)s is not a valid organisation number.") % {"value": ident}}
            )
    return f"{scheme}:{ident}"


@transaction.atomic
def do_save_billing_profile(data: dict[str, Any], *, actor: Any) -> BillingProfile:
    owner = data["owner"]
    role = _role(actor, owner.pk)
    check_cost_centre(owner, data.get("default_cost_centre"))
    if "peppol_endpoint" in data:
        data = {**data, "peppol_endpoint": check_peppol_endpoint(data["peppol_endpoint"])}
    existing = BillingProfile.objects.filter(owner=owner).first()
    if existing is None:
        return create_audited(BillingProfile, data, actor=actor, role=role)
    return update_audited(existing, data, actor=actor, role=role, immutable=("owner",))


@transaction.atomic
def do_update_billing_profile(profile: BillingProfile, data: dict[str, Any], *, actor: Any) -> BillingProfile:
    """Change how an owner is invoiced (per reference, payment terms, Peppol address, PDF e-mail);
    issued invoices keep what they were issued with."""
    return do_save_billing_profile({**data, "owner": profile.owner}, actor=actor)


@transaction.atomic
def do_update_article(article: Article, data: dict[str, Any], *, actor: Any) -> Article:
    """Change an article's name, unit, price, account or VAT; the code stays."""
    data = _check_article_data(data, article)
    return update_audited(article, data, actor=actor, role=_role(actor), immutable=("code",))


# --- work type rates -------------------------------------------------------------------------


def _closed_months() -> list[BillingPeriod]:
    return list(BillingPeriod.objects.filter(status=PeriodStatus.CLOSED).order_by("year", "month"))


def _check_rate_not_invoiced(rate: WorkTypeRate) -> None:
    """A rate that priced time in a closed period is kept as it was: the invoices were sent."""
    later = (
        WorkTypeRate.objects.filter(work_type=rate.work_type, valid_from__gt=rate.valid_from)
        .order_by("valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    for period in _closed_months():
        if period.last_day >= rate.valid_from and (later is None or period.first_day < later):
            raise ValidationError(
                _(
                    "This rate priced the time of the closed period %(period)s. Add a new rate from a "
                    "day after the last closed period instead."
                )
                % {"period": period}
            )


def _check_new_rate_start(valid_from: date) -> None:
    closed = _closed_months()
    if closed and valid_from <= closed[-1].last_day:
        raise ValidationError(
            {
                "valid_from": _("A new rate must start after the last closed period (%(period)s).")
                % {"period": closed[-1]}
            }
        )


@transaction.atomic
def do_save_work_type_rate(data: dict[str, Any], *, actor: Any) -> WorkTypeRate:
    """Set the hourly rate of a work type from a day (`valid_from`; without one: always).

    The rate of that work type and day is created, or changed while it has priced no closed
    period; a change after invoicing is a new rate from a later day, so sent invoices stay true."""
    from samdrift.servicedesk.models import WorkType

    role = _role(actor)
    if data.get("work_type") not in WorkType.values:
        raise ValidationError({"work_type": _("Unknown work type.")})
    data = {**data, "valid_from": data.get("valid_from") or RATE_EPOCH}
    existing = WorkTypeRate.objects.filter(work_type=data["work_type"], valid_from=data["valid_from"]).first()
    if existing is None:
        _check_new_rate_start(data["valid_from"])
        return create_audited(WorkTypeRate, data, actor=actor, role=role)
    return do_update_work_type_rate(existing, data, actor=actor)


@transaction.atomic
def do_update_work_type_rate(rate: WorkTypeRate, data: dict[str, Any], *, actor: Any) -> WorkTypeRate:
    role = _role(actor)
    changing = {k for k in ("article", "hourly_rate") if k in data and data[k] != getattr(rate, k)}
    if changing:
        _check_rate_not_invoiced(rate)
    return update_audited(rate, data, actor=actor, role=role, immutable=("work_type", "valid_from"))
