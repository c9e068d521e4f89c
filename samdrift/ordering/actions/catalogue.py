"""The service catalogue: services, client packages and their prices under the agreements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.money import to_money
from samdrift.core.roles import Role
from samdrift.ordering.actions.common import _role, today
from samdrift.ordering.models import AgreementArticle, Package, PackageLine, Service, ServiceKind, ServicePrice

# --- prices ------------------------------------------------------------------------------------


def agreement_prices(keys: Iterable[tuple[int, str]], day: date) -> dict[tuple[int, str], AgreementArticle]:
    """The price row valid on `day` for each (agreement id, article number), in one query."""
    keys = set(keys)
    if not keys:
        return {}
    condition = Q()
    for agreement_id in {k[0] for k in keys}:
        numbers = [k[1] for k in keys if k[0] == agreement_id]
        condition |= Q(agreement_id=agreement_id, article_number__in=numbers)
    rows = AgreementArticle.objects.filter(condition, valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )
    return {(r.agreement_id, r.article_number): r for r in rows}


def service_prices(service_ids: Iterable[int], day: date) -> dict[int, Decimal]:
    rows = ServicePrice.objects.filter(service_id__in=list(service_ids), valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )
    return {r.service_id: r.price for r in rows}


@dataclass
class Price:
    one_time: Decimal = Decimal(0)
    monthly: Decimal = Decimal(0)
    usage_based: list[str] = field(default_factory=list)  # metered or hourly services, billed by use
    missing: list[str] = field(default_factory=list)  # lines without a price valid today


def price_packages(packages: Iterable[Package], day: date) -> dict[int, Price]:
    """One-time and monthly price of each package on `day` (lines prefetched, prices in 2 queries).

    Agreement articles are priced at the agreement price plus the agreement's handling fee: what
    the owner will be charged on delivery.
    """
    packages = list(packages)
    lines = [line for p in packages for line in p.lines.all()]
    art = agreement_prices(((ln.agreement_id, ln.article_number) for ln in lines if ln.agreement_id), day)  # type: ignore[misc]
    svc = service_prices((ln.service_id for ln in lines if ln.service_id), day)  # type: ignore[misc]
    result: dict[int, Price] = {}
    for package in packages:
        price = Price()
        for line in package.lines.all():
            if line.service_id:
                service = line.service
                assert service is not None
                value = svc.get(service.pk)
                if value is None:
                    price.missing.append(service.name)
                elif service.kind == ServiceKind.ONE_TIME:
                    price.one_time += value * line.quantity
                elif service.kind == ServiceKind.MONTHLY:
                    price.monthly += value * line.quantity
                else:
                    price.usage_based.append(service.name)
            else:
                row = art.get((line.agreement_id, line.article_number))  # type: ignore[arg-type]
                if row is None:
                    price.missing.append(line.article_number)
                    continue
                fee = line.agreement.handling_fee_percent if line.agreement else Decimal(0)
                price.one_time += row.unit_price * (1 + fee / 100) * line.quantity
        price.one_time, price.monthly = to_money(price.one_time), to_money(price.monthly)
        result[package.pk] = price
    return result


def price_services(services: Iterable[Service], day: date) -> dict[int, Price]:
    services = list(services)
    svc = service_prices((s.pk for s in services), day)
    result = {}
    for service in services:
        price = Price()
        value = svc.get(service.pk)
        if value is None:
            price.missing.append(service.name)
        elif service.kind == ServiceKind.ONE_TIME:
            price.one_time = to_money(value)
        elif service.kind == ServiceKind.MONTHLY:
            price.monthly = to_money(value)
        else:
            price.usage_based.append(service.name)
        result[service.pk] = price
    return result


# --- service catalogue -------------------------------------------------------------------------


def _check_roles(data: dict[str, Any]) -> None:
    allowed = {Role.ORDERER.value, Role.APPROVER.value}
    roles = data.get("orderable_by")
    if roles is not None:
        roles = list(roles)
        if any(r not in allowed for r in roles):
            raise ValidationError({"orderable_by": _("Only orderers and approvers can order.")})
        data["orderable_by"] = sorted(set(roles))


@transaction.atomic
def do_create_service(data: dict[str, Any], *, actor: Any) -> Service:
    """Add a service to the catalogue, with its first price from `price_from` when `price` is given."""
    role = _role(actor, "catalogue")
    data = dict(data)
    price, valid_from = data.pop("price", None), data.pop("price_from", None)
    data.setdefault("orderable_by", [Role.ORDERER.value])
    _check_roles(data)
    service = create_audited(Service, data, actor=actor, role=role)
    if price is not None:
        do_set_service_price(service, Decimal(price), valid_from or today(), actor=actor)
    return service


@transaction.atomic
def do_update_service(obj: Service, data: dict[str, Any], *, actor: Any) -> Service:
    data = dict(data)
    _check_roles(data)
    return update_audited(obj, data, actor=actor, role=_role(actor, "catalogue"), immutable=("kind",))


@transaction.atomic
def do_set_service_active(obj: Service, active: bool, *, actor: Any) -> Service:
    return set_active_audited(obj, active, actor=actor, role=_role(actor, "catalogue"))


@transaction.atomic
def do_set_service_price(service: Service, price: Decimal, valid_from: date, *, actor: Any) -> ServicePrice:
    """A new price from a day on; the running price ends the day before. Never edited in place."""
    role = _role(actor, "catalogue")
    if price < 0:
        raise ValidationError({"price": _("A price cannot be negative.")})
    if valid_from <= date.min:
        raise ValidationError({"valid_from": _("Enter a later date.")})
    latest = ServicePrice.objects.filter(service=service).order_by("-valid_from").first()
    if latest is not None and valid_from <= latest.valid_from:
        raise ValidationError(
            {
                "valid_from": _("A new price must start after %(day)s, when the latest one starts.")
                % {"day": latest.valid_from}
            }
        )
    if latest is not None and (latest.valid_to is None or latest.valid_to >= valid_from):
        before = latest.valid_to
        latest.valid_to = valid_from - timedelta(days=1)
        latest.save(update_fields=["valid_to"])
        record_event(actor, role, AuditEventType.UPDATED, latest, changes={"valid_to": [before, latest.valid_to]})
    return create_audited(
        ServicePrice, {"service": service, "price": to_money(price), "valid_from": valid_from}, actor=actor, role=role
    )


@transaction.atomic
def do_create_package(data: dict[str, Any], *, actor: Any) -> Package:
    return create_audited(Package, data, actor=actor, role=_role(actor, "catalogue"))


@transaction.atomic
def do_update_package(obj: Package, data: dict[str, Any], *, actor: Any) -> Package:
    return update_audited(obj, data, actor=actor, role=_role(actor, "catalogue"))


@transaction.atomic
def do_set_package_active(obj: Package, active: bool, *, actor: Any) -> Package:
    return set_active_audited(obj, active, actor=actor, role=_role(actor, "catalogue"))


@transaction.atomic
def do_add_package_line(package: Package, data: dict[str, Any], *, actor: Any) -> PackageLine:
    """Add an agreement article (agreement + article number) or a service to a package."""
    role = _role(actor, "catalogue")
    data = {k: v for k, v in data.items() if v not in (None, "")}
    has_article = "agreement" in data or "article_number" in data
    if has_article == ("service" in data):
        raise ValidationError(_("A line is either an agreement article or a service."))
    if has_article:
        if "agreement" not in data or "article_number" not in data:
            raise ValidationError({"article_number": _("Give both the agreement and the article number.")})
        if not AgreementArticle.objects.filter(
            agreement=data["agreement"], article_number=data["article_number"]
        ).exists():
            raise ValidationError(
                {
                    "article_number": _("The agreement's price list has no article %(n)s.")
                    % {"n": data["article_number"]}
                }
            )
        if "billing_article" not in data:
            raise ValidationError({"billing_article": _("Name the billing article the delivery is charged on.")})
    return create_audited(PackageLine, {**data, "package": package}, actor=actor, role=role)


@transaction.atomic
def do_remove_package_line(line: PackageLine, *, actor: Any) -> None:
    role = _role(actor, "catalogue")
    record_event(
        actor, role, AuditEventType.DEACTIVATED, line, changes={"package": [line.package_id, None]},
        extra={"action": "remove_package_line"},
    )  # fmt: skip
    line.delete()
