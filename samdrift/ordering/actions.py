"""Every write in ordering's catalogue and orders. Each action checks the role, validates, writes and
records its audit event in one transaction; mail goes out on commit.

Purchase orders, deliveries and hand-over are in `purchasing.py`; price-list files in `imports.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import require_role, scope_for
from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.money import to_money
from samdrift.core.roles import SYSTEM_ROLE, Role
from samdrift.ordering.models import (
    MAX_ORDER_ITEMS,
    Agreement,
    AgreementArticle,
    Approver,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    Package,
    PackageLine,
    PurchaseOrderLine,
    Service,
    ServiceKind,
    ServicePrice,
    Supplier,
)
from samdrift.ordering.permissions import WRITE_ROLES
from samdrift.tenancy.models import CostCentre, Person


def _role(actor: Any, thing: str, owner_id: int | None = None) -> str:
    operator_roles, owner_roles = WRITE_ROLES[thing]
    return require_role(actor, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)


def _pk(value: Any) -> int | None:
    if value is None:
        return None
    return value.pk if hasattr(value, "pk") else int(value)


def today() -> date:
    return timezone.localdate()


# --- suppliers and agreements ------------------------------------------------------------------


@transaction.atomic
def do_create_supplier(data: dict[str, Any], *, actor: Any) -> Supplier:
    return create_audited(Supplier, data, actor=actor, role=_role(actor, "catalogue"))


@transaction.atomic
def do_update_supplier(obj: Supplier, data: dict[str, Any], *, actor: Any) -> Supplier:
    return update_audited(obj, data, actor=actor, role=_role(actor, "catalogue"))


@transaction.atomic
def do_set_supplier_active(obj: Supplier, active: bool, *, actor: Any) -> Supplier:
    return set_active_audited(obj, active, actor=actor, role=_role(actor, "catalogue"))


def _check_agreement(data: dict[str, Any]) -> None:
    start, end = data.get("start"), data.get("end")
    if start and end and end < start:
        raise ValidationError({"end": _("The end cannot be before the start.")})
    if data.get("extensions_taken", 0) > data.get("extension_options", 0):
        raise ValidationError({"extensions_taken": _("More extensions taken than the agreement offers.")})
    max_value = data.get("max_value")
    if max_value is not None and max_value <= 0:
        raise ValidationError({"max_value": _("The maximum value must be positive.")})


@transaction.atomic
def do_create_agreement(data: dict[str, Any], *, actor: Any) -> Agreement:
    """Register a framework agreement; `parties` are the owners allowed to call off."""
    role = _role(actor, "catalogue")
    data = dict(data)
    parties = list(data.pop("parties", []) or [])
    _check_agreement(data)
    agreement = create_audited(Agreement, data, actor=actor, role=role)
    agreement.parties.set(parties)
    return agreement


@transaction.atomic
def do_update_agreement(obj: Agreement, data: dict[str, Any], *, actor: Any) -> Agreement:
    role = _role(actor, "catalogue")
    data = dict(data)
    parties = data.pop("parties", None)
    merged = {
        "start": data.get("start", obj.start),
        "end": data.get("end", obj.end),
        "extension_options": data.get("extension_options", obj.extension_options),
        "extensions_taken": data.get("extensions_taken", obj.extensions_taken),
        "max_value": data.get("max_value", obj.max_value),
    }
    _check_agreement(merged)
    if "end" in data and data["end"] != obj.end:
        # A new end (an extension taken) earns new expiry alerts.
        data["alert_12_sent"] = None
        data["alert_6_sent"] = None
    obj = update_audited(obj, data, actor=actor, role=role)
    if parties is not None:
        before = sorted(obj.parties.values_list("pk", flat=True))
        after = sorted(p.pk for p in parties)
        if before != after:
            obj.parties.set(parties)
            record_event(actor, role, AuditEventType.UPDATED, obj, changes={"parties": [before, after]})
    return obj


@transaction.atomic
def do_set_agreement_active(obj: Agreement, active: bool, *, actor: Any) -> Agreement:
    return set_active_audited(obj, active, actor=actor, role=_role(actor, "catalogue"))


def called_off_value(agreement_ids: Iterable[int]) -> dict[int, Decimal]:
    """Cumulative call-off value per agreement: every purchase-order line placed under it."""
    rows = (
        PurchaseOrderLine.objects.filter(agreement_id__in=list(agreement_ids))
        .values("agreement_id")
        .annotate(total=Sum("amount"))
    )
    return {r["agreement_id"]: r["total"] or Decimal(0) for r in rows}


def check_call_off(agreement: Agreement, owner_id: int, day: date, amount: Decimal, already: Decimal) -> None:
    """An expired, inactive or exhausted agreement cannot be called off, nor by a non-party."""
    if not agreement.active or not (agreement.start <= day <= agreement.end):
        raise ValidationError(
            _("The framework agreement %(ref)s is not in force on %(day)s; it cannot be called off.")
            % {"ref": agreement.reference, "day": day}
        )
    party_ids = {p.pk for p in agreement.parties.all()}
    if owner_id not in party_ids:
        raise ValidationError(
            _("Your organisation is not a party to the framework agreement %(ref)s.") % {"ref": agreement.reference}
        )
    if already + amount > agreement.max_value:
        raise ValidationError(
            _("The framework agreement %(ref)s would exceed its maximum value (%(max)s SEK; %(used)s SEK called off).")
            % {"ref": agreement.reference, "max": agreement.max_value, "used": already}
        )


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


# --- approvers ---------------------------------------------------------------------------------


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


# --- orders ------------------------------------------------------------------------------------


@dataclass
class OrderItem:
    """What the orderer picked: a package or a service, for each recipient, `quantity` each."""

    recipients: list[Person]
    package: Package | None = None
    service: Service | None = None
    quantity: int = 1


def may_order_service(scope: Any, held: set[str] | frozenset[str], service: Service) -> bool:
    """Whether a user (their scope, and the owner roles `held` where they order) may order the
    service on its own: an administrator, or a role the service names. Packages carry the rest."""
    return scope.has_operator_role({Role.ADMIN}) or bool(held & set(service.orderable_by))


def _order_role(actor: Any, owner_id: int) -> str:
    return _role(actor, "order", owner_id)


def check_order_items(owner_id: int, items: list[OrderItem], actor: Any, day: date) -> list[dict[str, Any]]:
    """Validate the picks and price them; returns the line data. Raises with every problem found."""
    errors: list[str] = []
    if not items:
        raise ValidationError(_("Pick at least one package or service."))
    if len(items) > MAX_ORDER_ITEMS:
        raise ValidationError(_("An order holds at most %(n)s packages and services.") % {"n": MAX_ORDER_ITEMS})
    scope = scope_for(actor)
    held = scope.roles_in(owner_id)
    packages = [i.package for i in items if i.package is not None]
    services = [i.service for i in items if i.service is not None]
    package_prices = price_packages(
        Package.objects.filter(pk__in=[p.pk for p in packages]).prefetch_related(
            "lines__service", "lines__agreement__parties"
        ),
        day,
    )
    service_price = price_services(services, day)
    agreements: dict[int, Agreement] = {}
    for package in Package.objects.filter(pk__in=[p.pk for p in packages]).prefetch_related(
        "lines__agreement__parties"
    ):
        for line in package.lines.all():
            if line.agreement is not None:
                agreements[line.agreement.pk] = line.agreement
    used = called_off_value(agreements)
    for agreement in agreements.values():
        try:
            check_call_off(agreement, owner_id, day, Decimal(0), used.get(agreement.pk, Decimal(0)))
        except ValidationError as exc:
            errors.extend(exc.messages)
    lines = []
    for item in items:
        if item.quantity < 1:
            errors.append(_("The quantity must be at least 1."))
        if not item.recipients:
            errors.append(_("Choose at least one recipient."))
        for person in item.recipients:
            if person.owner_id != owner_id:
                errors.append(_("%(person)s does not belong to the ordering owner.") % {"person": person})
            elif not person.active:
                errors.append(_("%(person)s is inactive.") % {"person": person})
            elif person.processing_restricted:
                # GDPR art. 18: the records officer has restricted processing of the person's data.
                errors.append(
                    _("%(person)s cannot be named as recipient: processing of their data is restricted (GDPR art. 18).")
                    % {"person": person}
                )
        if item.package is not None:
            if not item.package.active:
                errors.append(_("The package %(name)s is no longer offered.") % {"name": item.package.name})
            price = package_prices.get(item.package.pk)
            name = item.package.name
        elif item.service is not None:
            service = item.service
            if not service.active:
                errors.append(_("The service %(name)s is no longer offered.") % {"name": service.name})
            if not may_order_service(scope, held, service):
                errors.append(_("Your role may not order %(name)s.") % {"name": service.name})
            price = service_price.get(service.pk)
            name = service.name
        else:
            errors.append(_("Pick a package or a service."))
            continue
        if price is None or price.missing:
            errors.append(
                _("%(name)s has no price valid today (%(what)s).")
                % {"name": name, "what": ", ".join(price.missing) if price else ""}
            )
            continue
        for person in item.recipients:
            lines.append(
                {
                    "recipient": person,
                    "package": item.package,
                    "service": item.service,
                    "quantity": item.quantity,
                    "description": name,
                    "one_time_price": to_money(price.one_time * item.quantity),
                    "monthly_price": to_money(price.monthly * item.quantity),
                }
            )
    if errors:
        raise ValidationError(sorted(set(errors)))
    return lines


@transaction.atomic
def do_create_order(data: dict[str, Any], items: list[OrderItem], *, actor: Any, day: date | None = None) -> Order:
    """An orderer orders packages or services for recipients; the order awaits approval.

    Nothing is bought before approval. The approvers get an email with a link on commit.
    """
    day = day or today()
    centre: CostCentre | None = data.get("cost_centre")
    if centre is None:
        raise ValidationError({"cost_centre": _("Choose a cost centre.")})
    owner_id = centre.owner_id
    role = _order_role(actor, owner_id)
    if not centre.active:
        raise ValidationError({"cost_centre": _("The cost centre is inactive.")})
    site = data.get("delivery_site")
    if site is not None and site.owner_id != owner_id:
        raise ValidationError({"delivery_site": _("Must belong to the same owner.")})
    if site is None and not (data.get("delivery_address") or "").strip():
        raise ValidationError({"delivery_site": _("Choose a delivery site or write a delivery address.")})
    lines = check_order_items(owner_id, items, actor, day)
    one_time = sum((ln["one_time_price"] for ln in lines), Decimal(0))
    monthly = sum((ln["monthly_price"] for ln in lines), Decimal(0))
    order = Order(
        owner_id=owner_id,
        orderer=actor,
        cost_centre=centre,
        delivery_site=site,
        delivery_address=(data.get("delivery_address") or "").strip(),
        note=data.get("note") or "",
        one_time_total=one_time,
        monthly_total=monthly,
    )
    order.approval_level = approval_level_for(owner_id, centre.pk, order.approval_amount)
    order.full_clean()
    order.save(force_insert=True)
    now = order.submitted_at
    OrderLine.objects.bulk_create(OrderLine(owner_id=owner_id, order=order, submitted_at=now, **ln) for ln in lines)
    record_event(
        actor, role, AuditEventType.CREATED, order,
        changes={"status": [None, order.status], "one_time_total": [None, one_time], "monthly_total": [None, monthly]},
        extra={"lines": len(lines), "approval_level": order.approval_level},
    )  # fmt: skip
    _notify_approvers_on_commit(order)
    return order


def _notify_approvers_on_commit(order: Order) -> None:
    """Queue the approval requests in the outbox (sent by the worker once this transaction commits)."""
    from samdrift.ordering import notify

    notify.notify_approvers(order)


def _may_decide(order: Order, actor: Any) -> bool:
    if actor is None:
        return False
    return any(u.pk == actor.pk for u in approvers_for(order))


def may_decide(order: Order, actor: Any) -> bool:
    return order.status == OrderStatus.SUBMITTED and _may_decide(order, actor) and order.orderer_id != actor.pk


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def do_approve_order(order: Order, *, actor: Any, reason: str = "") -> Order:
    """The cost centre's approver (or the second level, or a substitute) approves the order."""
    order = _lock(order)
    if order.status != OrderStatus.SUBMITTED:
        raise ValidationError(
            _("Only an order awaiting approval can be approved (this one is %(s)s).")
            % {"s": order.get_status_display()}
        )
    if not _may_decide(order, actor):
        raise PermissionDenied
    if order.orderer_id == actor.pk:
        raise ValidationError(_("You cannot approve your own order."))
    now = timezone.now()
    order.status, order.decided_at, order.decided_by, order.decision_reason = OrderStatus.APPROVED, now, actor, reason
    order.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    OrderLine.objects.filter(order=order, status=LineStatus.OPEN).update(status=LineStatus.APPROVED, approved_at=now)
    record_event(
        actor, Role.APPROVER, AuditEventType.UPDATED, order,
        changes={"status": [OrderStatus.SUBMITTED, OrderStatus.APPROVED]}, extra={"action": "approve", "reason": reason},
    )  # fmt: skip
    from samdrift.ordering import notify

    notify.notify_orderer_decided(order)
    return order


@transaction.atomic
def do_reject_order(order: Order, reason: str, *, actor: Any) -> Order:
    order = _lock(order)
    if order.status != OrderStatus.SUBMITTED:
        raise ValidationError(_("Only an order awaiting approval can be rejected."))
    if not _may_decide(order, actor):
        raise PermissionDenied
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the order is rejected.")})
    now = timezone.now()
    order.status, order.decided_at, order.decided_by, order.decision_reason = OrderStatus.REJECTED, now, actor, reason
    order.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    OrderLine.objects.filter(order=order).update(status=LineStatus.CANCELLED)
    record_event(
        actor, Role.APPROVER, AuditEventType.UPDATED, order,
        changes={"status": [OrderStatus.SUBMITTED, OrderStatus.REJECTED]}, extra={"action": "reject", "reason": reason},
    )  # fmt: skip
    from samdrift.ordering import notify

    notify.notify_orderer_decided(order)
    return order


def cancel_role(order: Order, actor: Any) -> str | None:
    """The role in which `actor` may cancel the order, or None: its orderer (still an orderer at the
    owner), an approver of its cost centre (or of the whole owner, or their substitute) holding the
    approver role, or operator staff who may write orders. Other orderers of the owner may not."""
    if actor is None:
        return None
    scope = scope_for(actor)
    if scope.is_system:
        return SYSTEM_ROLE
    operator_roles, _owner_roles = WRITE_ROLES["order"]
    for role in sorted(scope.operator_roles & operator_roles):
        return role
    held = scope.roles_in(order.owner_id)
    if order.orderer_id == actor.pk and Role.ORDERER in held:
        return Role.ORDERER
    if Role.APPROVER in held:
        rules = Approver.objects.filter(owner_id=order.owner_id, active=True).filter(
            Q(cost_centre_id=order.cost_centre_id, level=1) | Q(level=2)
        )
        if rules.filter(Q(user_id=actor.pk) | Q(substitute_id=actor.pk)).exists():
            return Role.APPROVER
    return None


def may_cancel(order: Order, actor: Any) -> bool:
    return order.status in {OrderStatus.SUBMITTED, OrderStatus.APPROVED} and cancel_role(order, actor) is not None


@transaction.atomic
def do_cancel_order(order: Order, *, actor: Any, reason: str = "") -> Order:
    """Cancel before anything is ordered from a supplier: the orderer, the approvers or the operator."""
    order = _lock(order)
    role = cancel_role(order, actor)
    if role is None:
        raise PermissionDenied
    if order.status not in {OrderStatus.SUBMITTED, OrderStatus.APPROVED}:
        raise ValidationError(_("Only an order that has not been sent to a supplier can be cancelled."))
    before = order.status
    order.status = OrderStatus.CANCELLED
    order.decision_reason = reason or order.decision_reason
    order.save(update_fields=["status", "decision_reason"])
    OrderLine.objects.filter(order=order).update(status=LineStatus.CANCELLED)
    record_event(
        actor, role, AuditEventType.UPDATED, order, changes={"status": [before, OrderStatus.CANCELLED]},
        extra={"action": "cancel", "reason": reason},
    )  # fmt: skip
    return order


@transaction.atomic
def do_change_order(order: Order, data: dict[str, Any], *, actor: Any) -> Order:
    """Change cost centre, delivery or note. After approval the change needs a new approval."""
    order = _lock(order)
    role = _order_role(actor, order.owner_id)
    if order.status not in {OrderStatus.SUBMITTED, OrderStatus.APPROVED}:
        raise ValidationError(_("Only an order that has not been sent to a supplier can be changed."))
    allowed = {k: v for k, v in data.items() if k in {"cost_centre", "delivery_site", "delivery_address", "note"}}
    centre = allowed.get("cost_centre")
    if centre is not None and centre.owner_id != order.owner_id:
        raise ValidationError({"cost_centre": _("Must belong to the same owner.")})
    site = allowed.get("delivery_site")
    if site is not None and site.owner_id != order.owner_id:
        raise ValidationError({"delivery_site": _("Must belong to the same owner.")})
    before_status = order.status
    order = update_audited(order, allowed, actor=actor, role=role)
    if before_status == OrderStatus.APPROVED:
        order.status, order.decided_at, order.decided_by = OrderStatus.SUBMITTED, None, None
        order.approval_round += 1
        order.approval_level = approval_level_for(order.owner_id, order.cost_centre_id, order.approval_amount)
        order.save(update_fields=["status", "decided_at", "decided_by", "approval_round", "approval_level"])
        OrderLine.objects.filter(order=order, status=LineStatus.APPROVED).update(
            status=LineStatus.OPEN, approved_at=None
        )
        record_event(
            actor, role, AuditEventType.UPDATED, order, changes={"status": [before_status, OrderStatus.SUBMITTED]},
            extra={"action": "reapproval", "round": order.approval_round},
        )  # fmt: skip
        _notify_approvers_on_commit(order)
    return order


# --- agreement expiry alerts -------------------------------------------------------------------


def _months_before(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    import calendar

    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def do_send_agreement_alerts(*, day: date | None = None, actor: Any = None) -> list[tuple[int, int]]:
    """Alert each agreement's responsible person 12 and 6 months before its end, once each.

    Returns (agreement id, months) for every alert sent. A run that finds the 6-month point passed
    without the 12-month alert sends only the 6-month one.
    """
    from samdrift.ordering import notify

    day = day or today()
    role = require_role(actor, owner_id=None, operator_roles=WRITE_ROLES["catalogue"][0])
    sent: list[tuple[int, int]] = []
    now = timezone.now()
    candidates = (
        Agreement.objects.select_for_update()
        .filter(active=True, end__gte=day)
        .filter(Q(alert_12_sent__isnull=True) | Q(alert_6_sent__isnull=True))
    )
    for agreement in candidates:
        months = None
        fields: list[str] = []
        if agreement.alert_6_sent is None and day >= _months_before(agreement.end, 6):
            months, agreement.alert_6_sent = 6, now
            fields = ["alert_6_sent"]
            if agreement.alert_12_sent is None:
                agreement.alert_12_sent = now
                fields.append("alert_12_sent")
        elif agreement.alert_12_sent is None and day >= _months_before(agreement.end, 12):
            months, agreement.alert_12_sent = 12, now
            fields = ["alert_12_sent"]
        if months is None:
            continue
        agreement.save(update_fields=fields)
        record_event(
            actor, role, AuditEventType.UPDATED, agreement, changes={f: [None, now] for f in fields},
            extra={"action": "expiry_alert", "months": months},
        )  # fmt: skip
        sent.append((agreement.pk, months))
        notify.notify_agreement_expiry(agreement, months)
    return sent
