"""What other apps may ask of billing (DESIGN.md: nothing imports billing except through here).

- `start_charge`: a one-time charge for something delivered (a device plus handling fee, a set-up fee).
- `start_subscription`: a monthly service that starts on a delivery day.
- `credit_owner`: an amount credited to an owner on its next open invoice (a residual value, a
  correction), with a traceable source.

Each is an action: it runs in one transaction, checks that the human actor may start billing
(operator staff: administrators, finance and technicians; `actor=None` is the system, for
commands and the demo), writes the row and records an audit event with the actor and role.

Every row keeps a generic reference to its source object (any model instance of the calling
app), a label for finance and the day the source event happened. A delivery dated in a month
already closed is not refused: the charge lands on the first day of the first open month (its
`source_date` keeps the real day), and a subscription starts there too, the days of the closed
months it missed charged once as a catch-up charge.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.billing.models import (
    Article,
    BillingPeriod,
    Charge,
    ChargeKind,
    PeriodStatus,
    Subscription,
)
from samdrift.core.access import require_role
from samdrift.core.actions import create_audited
from samdrift.core.money import to_money
from samdrift.core.roles import Role
from samdrift.tenancy.models import CostCentre, Owner

__all__ = [
    "CREDIT_KINDS",
    "SERVICE_ROLES",
    "ChargeKind",
    "credit_owner",
    "first_open_day",
    "start_charge",
    "start_subscription",
]

#: Who may start billing on a delivery's or a take-back's behalf.
SERVICE_ROLES: frozenset[str] = frozenset({Role.ADMIN, Role.FINANCE, Role.TECHNICIAN})

#: The kinds `credit_owner` accepts.
CREDIT_KINDS: frozenset[str] = frozenset({ChargeKind.RESIDUAL_VALUE, ChargeKind.CORRECTION})


def _role(actor: Any, owner_id: int) -> str:
    return require_role(actor, owner_id=owner_id, operator_roles=SERVICE_ROLES)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def first_open_day(day: date) -> date:
    """`day` if its month is open; else the first day of the first later month not closed."""
    closed = set(
        BillingPeriod.objects.filter(status=PeriodStatus.CLOSED, year__gte=day.year).values_list("year", "month")
    )
    if (day.year, day.month) not in closed:
        return day
    month = _next_month(day)
    while (month.year, month.month) in closed:
        month = _next_month(month)
    return month


def _article(article: Article | str) -> Article:
    if isinstance(article, Article):
        return article
    found = Article.objects.filter(code=article).first()
    if found is None:
        raise ValidationError({"article": _("There is no billing article %(code)s.") % {"code": article}})
    return found


def _owner_and_centre(owner: Owner, cost_centre: CostCentre | None) -> CostCentre:
    if cost_centre is None:
        from samdrift.billing.engine import default_cost_centres

        centre = default_cost_centres([owner.pk]).get(owner.pk)
        if centre is None:
            raise ValidationError(
                {"cost_centre": _("%(owner)s has no active cost centre to book it on.") % {"owner": owner}}
            )
        return CostCentre.objects.get(pk=centre[0])
    if cost_centre.owner_id != owner.pk:
        raise ValidationError({"cost_centre": _("Must belong to the same owner.")})
    return cost_centre


def _source_fields(source: models.Model | None, label: str, day: date) -> dict[str, Any]:
    if source is None:
        return {"source_label": label[:200], "source_date": day}
    return {
        "source_content_type": ContentType.objects.get_for_model(source),
        "source_object_id": source.pk,
        "source_label": (label or str(source))[:200],
        "source_date": day,
    }


def _ref(source: models.Model | None) -> str:
    """The text reference kept beside the generic one (searchable in lists and exports)."""
    return f"{source._meta.label_lower}:{source.pk}" if source is not None else ""


@transaction.atomic
def start_charge(
    *,
    owner: Owner,
    article: Article | str,
    description: str,
    day: date,
    quantity: Decimal | int,
    unit_price: Decimal,
    actor: Any,
    cost_centre: CostCentre | None = None,
    source: models.Model | None = None,
    source_label: str = "",
    kind: str = ChargeKind.DELIVERY,
    external_ref: str = "",
) -> Charge:
    """Charge `quantity` × `unit_price` once, in the month of `day` or the first open one after it."""
    role = _role(actor, owner.pk)
    if kind in CREDIT_KINDS or kind not in ChargeKind.values:
        raise ValidationError({"kind": _("Not a kind of charge: %(kind)s.") % {"kind": kind}})
    quantity = Decimal(quantity)
    unit_price = Decimal(unit_price)
    data = {
        "owner": owner,
        "cost_centre": _owner_and_centre(owner, cost_centre),
        "article": _article(article),
        "description": description[:200],
        "charge_date": first_open_day(day),
        "quantity": quantity,
        "unit_price": unit_price,
        "amount": to_money(quantity * unit_price),
        "external_ref": (external_ref or _ref(source))[:100],
        "kind": kind,
        **_source_fields(source, source_label or description, day),
    }
    return create_audited(Charge, data, actor=actor, role=role)


@transaction.atomic
def start_subscription(
    *,
    owner: Owner,
    article: Article | str,
    description: str,
    start: date,
    monthly_price: Decimal,
    actor: Any,
    cost_centre: CostCentre | None = None,
    source: models.Model | None = None,
    source_label: str = "",
    external_ref: str = "",
) -> Subscription:
    """A monthly service from `start` (pro rata by day in its first month).

    Started in a closed month, it runs from the first open month, and the days it ran in closed
    months are charged once there (one catch-up charge, priced as the billing run prices a part
    month), so nothing is lost and no closed invoice changes.
    """
    role = _role(actor, owner.pk)
    centre = _owner_and_centre(owner, cost_centre)
    art = _article(article)
    price = to_money(monthly_price)
    opens = first_open_day(start)
    data = {
        "owner": owner,
        "cost_centre": centre,
        "article": art,
        "description": description[:200],
        "monthly_price": price,
        "start": opens,
        "external_ref": (external_ref or _ref(source))[:100],
        **_source_fields(source, source_label or description, start),
    }
    sub = create_audited(Subscription, data, actor=actor, role=role)
    if opens != start:
        missed = _missed_amount(price, start, opens)
        if missed:
            create_audited(
                Charge,
                {
                    "owner": owner,
                    "cost_centre": centre,
                    "article": art,
                    "description": (
                        _("%(name)s, %(start)s–%(end)s (days in closed months)")
                        % {
                            "name": description or art.name,
                            "start": start,
                            "end": date.fromordinal(opens.toordinal() - 1),
                        }
                    )[:200],
                    "charge_date": opens,
                    "quantity": Decimal(1),
                    "unit_price": missed,
                    "amount": missed,
                    "external_ref": f"billing.subscription:{sub.pk}",
                    "kind": ChargeKind.CATCH_UP,
                    "source_content_type": ContentType.objects.get_for_model(Subscription),
                    "source_object_id": sub.pk,
                    "source_label": str(sub)[:200],
                    "source_date": start,
                },
                actor=actor,
                role=role,
            )
    return sub


def _missed_amount(price: Decimal, start: date, until: date) -> Decimal:
    """What the billing run would have charged from `start` to the day before `until`: each month's
    days pro rata (rounded per month, as each month's invoice would have)."""
    total = Decimal(0)
    day = start
    while day < until:
        month_days = calendar.monthrange(day.year, day.month)[1]
        nxt = _next_month(day)
        last = min(nxt, until)
        days = (last - day).days
        total += price if days == month_days else to_money(price * days / month_days)
        day = nxt
    return to_money(total)


@transaction.atomic
def credit_owner(
    *,
    owner: Owner,
    amount: Decimal,
    kind: str,
    source: models.Model,
    source_label: str,
    article: Article | str,
    actor: Any,
    cost_centre: CostCentre | None = None,
    day: date | None = None,
) -> Charge:
    """Credit `amount` (positive, SEK excl. VAT) to `owner` on its next open invoice.

    `kind` is one of CREDIT_KINDS; `source` is the row the credit comes from (a take-back item,
    say) and `source_label` what finance reads on the invoice line's drill-down. The article gives
    the VAT category and revenue account. Crediting the same source for the same kind twice
    returns the first credit if the amount is the same and is refused otherwise, so a retried job
    cannot credit twice.
    """
    role = _role(actor, owner.pk)
    if kind not in CREDIT_KINDS:
        raise ValidationError({"kind": _("Not a kind of credit: %(kind)s.") % {"kind": kind}})
    try:
        value = to_money(Decimal(amount))
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError({"amount": _("Enter the amount as a number.")}) from None
    if value <= 0:
        raise ValidationError({"amount": _("The amount to credit must be greater than zero.")})
    source_type = ContentType.objects.get_for_model(source)
    earlier = (
        Charge.objects.select_for_update()
        .filter(owner=owner, kind=kind, source_content_type=source_type, source_object_id=source.pk)
        .first()
    )
    if earlier is not None:
        if earlier.amount == -value:
            return earlier
        raise ValidationError(
            _("%(source)s was already credited %(amount)s kr; take that back before crediting another amount.")
            % {"source": earlier.source_label, "amount": -earlier.amount}
        )
    happened = day or timezone.localdate()
    data = {
        "owner": owner,
        "cost_centre": _owner_and_centre(owner, cost_centre),
        "article": _article(article),
        "description": source_label[:200],
        "charge_date": first_open_day(happened),
        "quantity": Decimal(1),
        "unit_price": -value,
        "amount": -value,
        "external_ref": _ref(source)[:100],
        "kind": kind,
        **_source_fields(source, source_label, happened),
    }
    return create_audited(Charge, data, actor=actor, role=role)


# --- reads for insight (owner cost per month from issued invoice lines) ------------------------


def get_issued_cost_rows(
    first_month: date, last_month: date, owner_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Cost excl. VAT per owner, billing month, service (the line's article, or its cost pool) and
    cost centre, from the lines of issued invoices; a credit note's lines count negative. One
    grouped query. Each row: owner_id, month (first day), service_key, service, cost_centre_id,
    cost_centre, amount, lines."""
    from django.db.models import Case, Count, DecimalField, F, Q, Sum, When

    from samdrift.billing.models import InvoiceKind, InvoiceLine

    lines = InvoiceLine.objects.filter(invoice__issued_at__isnull=False).filter(
        Q(period__year__gt=first_month.year) | Q(period__year=first_month.year, period__month__gte=first_month.month),
        Q(period__year__lt=last_month.year) | Q(period__year=last_month.year, period__month__lte=last_month.month),
    )
    if owner_ids is not None:
        lines = lines.filter(owner_id__in=list(owner_ids))
    signed = Case(
        When(invoice__kind=InvoiceKind.CREDIT_NOTE, then=-F("amount")),
        default=F("amount"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    rows = (
        lines.values("owner_id", "period__year", "period__month", "article_id", "pool_id", "cost_centre_id")
        .annotate(
            article_name=F("article__name"),
            pool_name=F("pool__name"),
            cc_code=F("cost_centre__code"),
            cc_name=F("cost_centre__name"),
            amount_sum=Sum(signed),
            n=Count("id"),
        )
        .order_by()
    )
    out = []
    for r in rows:
        if r["article_id"] is not None:
            key, label = f"a{r['article_id']}", r["article_name"]
        elif r["pool_id"] is not None:
            key, label = f"p{r['pool_id']}", r["pool_name"]
        else:
            key, label = "other", ""
        out.append(
            {
                "owner_id": r["owner_id"],
                "month": date(r["period__year"], r["period__month"], 1),
                "service_key": key,
                "service": label or "",
                "cost_centre_id": r["cost_centre_id"],
                "cost_centre": " ".join(x for x in (r["cc_code"], r["cc_name"]) if x),
                "amount": r["amount_sum"] or Decimal(0),
                "lines": r["n"],
            }
        )
    return out


def get_issued_lines(
    user: Any, owner_id: int, month: date, *, service_key: str = "", cost_centre_id: int | None = None, limit: int = 500
) -> tuple[list[Any], int]:
    """The issued invoice lines behind one owner's month (drill-down), as `user` may see them,
    optionally of one service key (as get_issued_cost_rows names it) or one cost centre: the
    first `limit` lines and how many there are."""
    from samdrift.billing.models import InvoiceLine

    lines = InvoiceLine.objects.for_user(user).filter(
        owner_id=owner_id, period__year=month.year, period__month=month.month, invoice__issued_at__isnull=False
    )
    if service_key.startswith("a") and service_key[1:].isdigit():
        lines = lines.filter(article_id=int(service_key[1:]))
    elif service_key.startswith("p") and service_key[1:].isdigit():
        lines = lines.filter(pool_id=int(service_key[1:]))
    elif service_key == "other":
        lines = lines.filter(article__isnull=True, pool__isnull=True)
    if cost_centre_id is not None:
        lines = lines.filter(cost_centre_id=cost_centre_id)
    rows = list(lines.select_related("invoice", "cost_centre").order_by("invoice_id", "id")[:limit])
    return rows, lines.count()


def get_finance_work(user: Any) -> dict[str, Any]:
    """The finance start page: open periods, billing runs running or failed, issued documents
    that fail their check, and year-end settlements not yet on an invoice."""
    from django.db.models import Count

    from samdrift.billing.models import BillingPeriod, BillingRun, Invoice, PeriodStatus, RunStatus, Settlement

    periods = list(BillingPeriod.objects.for_user(user).filter(status=PeriodStatus.OPEN).order_by("year", "month")[:6])
    runs = dict.fromkeys(["queued", "running", "failed"], 0)
    runs |= dict(
        BillingRun.objects.for_user(user)
        .filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED])
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    failing = Invoice.objects.for_user(user).exclude(problems=[]).count()
    settlements = Settlement.objects.for_user(user).filter(period__status=PeriodStatus.OPEN).count()
    return {"periods": periods, "runs": runs, "failing": failing, "settlements": settlements}
