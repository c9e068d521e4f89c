"""The billing engine: built-in charge sources and the monthly run.

The run is idempotent: it first deletes the open period's invoices and lines, then every charge
source inserts its lines (set-based: INSERT ... SELECT for subscriptions and one-time charges,
aggregated queries plus bulk_create for usage and pools), then one invoice is created per owner
(or per owner and buyer reference), lines are attached with one UPDATE and totals computed from
one aggregate query. Permission checks and audit events are in `actions/`; this module only
computes and writes.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Greatest, Least, Round
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.billing.models import (
    AllocationKey,
    BillingPeriod,
    BillingProfile,
    BillingRun,
    Charge,
    CostPool,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    PoolKind,
    RunStatus,
    Subscription,
    UsageRow,
)
from samdrift.billing.sources import ChargeSource, charge_sources, const, insert_lines_from, register
from samdrift.billing.vat import VatCategory, breakdown, total_tax
from samdrift.core.jobs import set_progress
from samdrift.core.money import split_money, to_money
from samdrift.tenancy.models import CostCentre, Owner

log = logging.getLogger(__name__)

LINE_COLUMNS = (
    "period",
    "owner",
    "cost_centre",
    "buyer_reference",
    "description",
    "quantity",
    "unit_code",
    "unit_price",
    "base_quantity",
    "amount",
    "vat_rate",
    "revenue_account",
    "source_type",
    "source_id",
    "article",
)

#: The annotation each source gives the column of LINE_COLUMNS at the same place, selected in
#: this order for insert_lines_from.
LINE_ALIASES = (
    "l_period", "l_owner", "l_cc", "l_ref", "l_desc", "l_qty", "l_unit", "l_price", "l_base", "l_amount", "l_vat",
    "l_account", "l_type", "l_sid", "l_article",
)  # fmt: skip


def _f(name: str) -> models.Field:
    return InvoiceLine._meta.get_field(name)  # type: ignore[return-value]


# --- subscriptions ---------------------------------------------------------------------------


def build_subscription_lines(period: BillingPeriod, run: BillingRun | None) -> int:
    """Full months in one INSERT ... SELECT; starting or ending months pro rata by day."""
    first, last = period.first_day, period.last_day
    running = Subscription.objects.filter(Q(end__isnull=True) | Q(end__gte=first), start__lte=last)
    full = running.filter(Q(end__isnull=True) | Q(end__gte=last), start__lte=first)
    # Whole months: one line per owner, cost centre, article and price (GROUP BY in the INSERT).
    qs = (
        full.annotate(
            l_period=const(period.pk, IntegerField()),
            l_owner=F("owner_id"),
            l_cc=F("cost_centre_id"),
            l_ref=F("cost_centre__invoice_reference"),
            l_desc=Concat(
                F("article__name"), Value(", "), const(_("whole month %(period)s") % {"period": period}, CharField())
            ),
            l_unit=const("C62", CharField()),
            l_price=F("monthly_price"),
            l_base=const(Decimal(1), _f("base_quantity")),
            l_vat=F("article__vat_rate"),
            l_account=F("article__revenue_account"),
            l_type=const("subscription", CharField()),
            l_sid=const(None, models.BigIntegerField()),
            l_article=F("article_id"),
        )
        .values(
            "l_period",
            "l_owner",
            "l_cc",
            "l_ref",
            "l_desc",
            "l_unit",
            "l_price",
            "l_base",
            "l_vat",
            "l_account",
            "l_type",
            "l_sid",
            "l_article",
        )
        .annotate(l_qty=Count("id"), l_amount=Sum("monthly_price"))
        .values_list(*LINE_ALIASES)
    )
    count = insert_lines_from(qs, LINE_COLUMNS)
    # Months it starts or ends in, as a plain condition: `exclude(pk__in=full)` became NOT IN
    # (subquery), which PostgreSQL cannot hash beyond work_mem and then rescans once per row.
    partial = running.filter(Q(start__gt=first) | Q(end__lt=last))
    return count + build_partial_month_lines(period, partial)


class DaysInclusive(Func):
    """The number of days from the first date to the second, both counted (PostgreSQL: date
    arithmetic; SQLite: julianday)."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, first: Any, last: Any) -> None:
        super().__init__(last, first)  # written as last - first + 1

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        return super().as_sql(compiler, connection, template="(%(expressions)s + 1)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="(CAST(julianday(%(expressions)s) AS INTEGER) + 1)",
            arg_joiner=") - julianday(",
            **extra,
        )


class IsoDate(Func):
    """A date as text, YYYY-MM-DD, whatever the server's DateStyle (SQLite stores it so)."""

    output_field = CharField()
    arity = 1

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        return super().as_sql(compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM-DD')", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="%(expressions)s", **extra)


def prorated_ore(price: Any, days: Any, month_days: int) -> Any:
    """SQL for round(price × days / month_days) in öre, half away from zero, exact on every database.

    The price is turned into whole öre first and the division is an integer one with the half
    added, so SQLite (which would do it in floating point) and PostgreSQL both give what
    `to_money` gives in Python.
    """
    ore = Cast(Round(price * Value(100)), IntegerField())
    return Case(
        When(**{f"{price.name}__gte": 0}, then=(Value(2) * days * ore + Value(month_days)) / Value(2 * month_days)),
        default=-((Value(-2) * days * ore + Value(month_days)) / Value(2 * month_days)),
        output_field=IntegerField(),
    )


def _translated_text(template: str, parts: dict[str, Any]) -> Any:
    """A translated "%(name)s …" template as one SQL Concat of its literal pieces and `parts`."""
    pieces: list[Any] = []
    for i, piece in enumerate(re.split(r"%\((\w+)\)s", template)):
        if i % 2:
            pieces.append(parts[piece])
        elif piece:
            pieces.append(Value(piece))
    return Concat(*pieces, output_field=CharField()) if len(pieces) > 1 else pieces[0]


def build_partial_month_lines(period: BillingPeriod, partial: models.QuerySet) -> int:
    """One line per subscription that starts or ends in the month, priced by day: one INSERT ...
    SELECT, the days and the description computed in SQL. Each line keeps its subscription as
    source (the drill-down)."""
    first, last = period.first_day, period.last_day
    date_field = models.DateField()
    day_first = Greatest(F("start"), Value(first, output_field=date_field), output_field=date_field)
    day_last = Least(Coalesce(F("end"), Value(last, output_field=date_field)), Value(last, output_field=date_field))
    name = Case(
        When(description="", then=F("article__name")),
        default=Concat(F("article__name"), Value(": "), F("description")),
        output_field=CharField(),
    )
    qs = (
        partial.annotate(s_days=DaysInclusive(day_first, day_last))
        .annotate(
            l_period=const(period.pk, IntegerField()),
            l_owner=F("owner_id"),
            l_cc=F("cost_centre_id"),
            l_ref=F("cost_centre__invoice_reference"),
            # "<name>, 2026-11-05–2026-11-30 (26 of 30 days)", translated.
            l_desc=_translated_text(
                _("%(name)s, %(start)s–%(end)s (%(days)s of %(month_days)s days)"),
                {
                    "name": name,
                    "start": IsoDate(day_first),
                    "end": IsoDate(day_last),
                    "days": Cast(F("s_days"), CharField()),
                    "month_days": Value(str(period.days)),
                },
            ),
            l_qty=Cast(F("s_days"), _f("quantity")),
            l_unit=const("DAY", CharField()),
            l_price=F("monthly_price"),
            l_base=const(Decimal(period.days), _f("base_quantity")),
            l_amount=ExpressionWrapper(
                prorated_ore(F("monthly_price"), F("s_days"), period.days) * Value(Decimal("0.01")),
                output_field=_f("amount"),
            ),
            l_vat=F("article__vat_rate"),
            l_account=F("article__revenue_account"),
            l_type=const("subscription", CharField()),
            l_sid=F("id"),
            l_article=F("article_id"),
        )
        .values_list(*LINE_ALIASES)
    )
    return insert_lines_from(qs, LINE_COLUMNS)


# --- one-time charges ------------------------------------------------------------------------


def build_charge_lines(period: BillingPeriod, run: BillingRun | None) -> int:
    qs = (
        Charge.objects.filter(charge_date__gte=period.first_day, charge_date__lte=period.last_day)
        .annotate(
            l_period=const(period.pk, IntegerField()),
            l_owner=F("owner_id"),
            l_cc=F("cost_centre_id"),
            l_ref=F("cost_centre__invoice_reference"),
            l_desc=F("description"),
            l_qty=F("quantity"),
            l_unit=F("article__unit_code"),
            l_price=F("unit_price"),
            l_base=const(Decimal(1), _f("base_quantity")),
            l_amount=F("amount"),
            l_vat=F("article__vat_rate"),
            l_account=F("article__revenue_account"),
            l_type=const("charge", CharField()),
            l_sid=F("id"),
            l_article=F("article_id"),
        )
        .values_list(*LINE_ALIASES)
    )
    return insert_lines_from(qs, LINE_COLUMNS)


# --- usage -----------------------------------------------------------------------------------


def build_usage_lines(period: BillingPeriod, run: BillingRun | None) -> int:
    """One line per owner, cost centre, metric and price: the month's quantities summed in SQL."""
    groups = (
        UsageRow.objects.filter(month=period.first_day)
        .values(
            "owner_id",
            "cost_centre_id",
            "cost_centre__invoice_reference",
            "article_id",
            "article__name",
            "article__unit_code",
            "article__vat_rate",
            "article__revenue_account",
            "unit_price",
        )
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    lines = [
        InvoiceLine(
            period=period,
            owner_id=g["owner_id"],
            cost_centre_id=g["cost_centre_id"],
            buyer_reference=g["cost_centre__invoice_reference"],
            description=_("%(name)s, usage %(month)s") % {"name": g["article__name"], "month": str(period)},
            quantity=g["total"],
            unit_code=g["article__unit_code"],
            unit_price=g["unit_price"],
            amount=to_money(g["total"] * g["unit_price"]),
            vat_rate=g["article__vat_rate"],
            revenue_account=g["article__revenue_account"],
            source_type="usage",
            article_id=g["article_id"],
        )
        for g in groups.iterator(chunk_size=2000)
    ]
    InvoiceLine.objects.bulk_create(lines, batch_size=2000)
    return len(lines)


def usage_rows(line: InvoiceLine) -> models.QuerySet:
    return UsageRow.objects.filter(
        month=line.period.first_day,
        owner_id=line.owner_id,
        cost_centre_id=line.cost_centre_id,
        article_id=line.article_id,  # type: ignore[misc]
        unit_price=line.unit_price,
    )


# --- shared cost pools -----------------------------------------------------------------------


def pool_amount(pool: CostPool, period: BillingPeriod) -> Decimal:
    """What the pool costs in this month: its monthly cost, or this month's share of the investment."""
    if pool.start > period.last_day or (pool.end is not None and pool.end < period.first_day):
        return Decimal("0.00")
    if pool.kind == PoolKind.MONTHLY:
        return to_money(pool.monthly_cost)
    if not pool.depreciation_months:
        return Decimal("0.00")
    index = (period.year - pool.start.year) * 12 + period.month - pool.start.month
    if not 0 <= index < pool.depreciation_months:
        return Decimal("0.00")
    return split_money(pool.investment, [1] * pool.depreciation_months)[index]


def allocate(amount: Decimal, figures: list[Decimal]) -> list[Decimal]:
    """A pool's amount split by the key's figures: largest remainder, the parts sum to the amount."""
    return split_money(amount, figures)


def key_for(pool: CostPool, day: date) -> AllocationKey | None:
    return (
        AllocationKey.objects.filter(pool=pool, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from", "-id")
        .first()
    )


def default_cost_centres(owner_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Where each owner's share of a pool is booked, as (cost centre id, invoice reference): the
    owner's billing profile, else its active cost centre with the lowest code."""
    result: dict[int, tuple[int, str]] = {}
    profiles = BillingProfile.objects.filter(owner_id__in=owner_ids).values_list(
        "owner_id", "default_cost_centre_id", "default_cost_centre__invoice_reference"
    )
    for owner_id, centre_id, reference in profiles:
        result[owner_id] = (centre_id, reference)
    missing = [o for o in owner_ids if o not in result]
    rows = (
        CostCentre.objects.filter(owner_id__in=missing, active=True)
        .order_by("owner_id", "-code")
        .values_list("owner_id", "id", "invoice_reference")
    )
    for owner_id, centre_id, reference in rows.iterator(chunk_size=5000):
        result[owner_id] = (centre_id, reference)  # ordered by code descending: the lowest code wins
    return result


def build_pool_lines(period: BillingPeriod, run: BillingRun | None) -> int:
    """Each pool's monthly amount split by its valid key (largest remainder, exact to the öre)."""
    lines: list[InvoiceLine] = []
    pools = CostPool.objects.filter(active=True, start__lte=period.last_day).filter(
        Q(end__isnull=True) | Q(end__gte=period.first_day)
    )
    centres: dict[int, tuple[int, str]] | None = None  # looked up once for all pools
    for pool in pools.order_by("code"):
        amount = pool_amount(pool, period)
        if not amount:
            continue
        key = key_for(pool, period.first_day)
        if key is None:
            raise ValidationError(
                _("Cost pool %(pool)s has no allocation key valid on %(day)s.")
                % {"pool": pool, "day": period.first_day}
            )
        figures = list(key.figures.filter(figure__gt=0).order_by("owner_id").values_list("owner_id", "figure"))
        if not figures:
            raise ValidationError(_("The allocation key of %(pool)s has no figures.") % {"pool": pool})
        total = sum((f for _o, f in figures), Decimal(0))
        parts = allocate(amount, [f for _o, f in figures])
        if centres is None or any(o not in centres for o, _f in figures):
            centres = {**(centres or {}), **default_cost_centres([o for o, _f in figures])}
        for (owner_id, figure), part in zip(figures, parts, strict=True):
            if not part:
                continue
            centre = centres.get(owner_id)
            if centre is None:
                raise ValidationError(
                    _("Owner %(owner)s has no cost centre to book its share of %(pool)s on.")
                    % {"owner": Owner.objects.get(pk=owner_id), "pool": pool}
                )
            lines.append(
                InvoiceLine(
                    period=period,
                    owner_id=owner_id,
                    cost_centre_id=centre[0],
                    buyer_reference=centre[1],
                    description=_("%(pool)s: share by %(basis)s (%(figure)s of %(total)s)")
                    % {
                        "pool": pool.name,
                        "basis": key.get_basis_display().lower(),
                        "figure": _num(figure),
                        "total": _num(total),
                    },
                    quantity=Decimal(1),
                    unit_code="C62",
                    unit_price=part,
                    amount=part,
                    vat_rate=pool.vat_rate,
                    revenue_account=pool.revenue_account,
                    source_type="pool",
                    source_id=pool.pk,
                    pool=pool,
                    allocation_key=key,
                    key_figure=figure,
                    key_total=total,
                    pool_amount=amount,
                )
            )
    InvoiceLine.objects.bulk_create(lines, batch_size=2000)
    return len(lines)


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def subscription_rows(line: InvoiceLine) -> models.QuerySet:
    """A pro rata line is one subscription; a whole-month line is every subscription it counts."""
    if line.source_id:
        return Subscription.objects.filter(pk=line.source_id)
    first, last = line.period.first_day, line.period.last_day
    return Subscription.objects.filter(
        Q(end__isnull=True) | Q(end__gte=last),
        start__lte=first,
        owner_id=line.owner_id,
        cost_centre_id=line.cost_centre_id,
        article_id=line.article_id,  # type: ignore[misc]
        monthly_price=line.unit_price,
    ).order_by("id")


register(ChargeSource("subscription", gettext_lazy("Subscriptions"), build_subscription_lines, subscription_rows))
register(
    ChargeSource(
        "charge",
        gettext_lazy("One-time charges"),
        build_charge_lines,
        lambda line: Charge.objects.filter(pk=line.source_id),
    )
)
register(ChargeSource("usage", gettext_lazy("Usage"), build_usage_lines, usage_rows))
register(ChargeSource("pool", gettext_lazy("Shared cost pools"), build_pool_lines, None))


# --- the run ---------------------------------------------------------------------------------


def clear_period(period: BillingPeriod) -> None:
    """Remove the open period's draft invoices and lines (credit notes are never touched)."""
    if Invoice.objects.filter(period=period, kind=InvoiceKind.CREDIT_NOTE).exists():  # pragma: no cover
        # Credit notes are made only for closed periods; keep their lines if one ever is here.
        InvoiceLine.objects.filter(period=period, invoice__isnull=True).delete()
        InvoiceLine.objects.filter(period=period, invoice__kind=InvoiceKind.INVOICE).delete()
    else:
        InvoiceLine.objects.filter(period=period).delete()  # one DELETE ... WHERE period_id = %s
    Invoice.objects.filter(period=period, kind=InvoiceKind.INVOICE).delete()


def build_invoices(period: BillingPeriod, run: BillingRun | None) -> list[Invoice]:
    """One invoice per owner (or per owner and reference), lines attached, totals computed."""
    groups = (
        InvoiceLine.objects.filter(period=period, invoice__isnull=True)
        .annotate(outside=Case(When(vat_category=VatCategory.OUTSIDE, then=Value(1)), default=Value(0)))
        .values("owner_id", "buyer_reference", "cost_centre__code", "outside")
        .annotate(net=Sum("amount"))
        .order_by("owner_id", "outside", "cost_centre__code", "buyer_reference")
    )
    profiles = {p.owner_id: p for p in BillingProfile.objects.select_related("default_cost_centre")}
    owners = {o.pk: o for o in Owner.objects.filter(pk__in={g["owner_id"] for g in groups})}
    # A preview is dated the day it is made; closing the period dates each invoice the day it is
    # issued and counts the due date from that day (actions.do_close_period).
    issue = timezone.localdate()
    invoices: dict[tuple[int, int, str], Invoice] = {}
    split_owners: set[int] = set()
    for g in groups:
        owner = owners[g["owner_id"]]
        profile = profiles.get(owner.pk)
        days = profile.payment_days if profile else 30
        if profile and profile.split_by_reference:
            split_owners.add(owner.pk)
            key = (owner.pk, g["outside"], g["buyer_reference"])
            reference = g["buyer_reference"]
        else:
            key = (owner.pk, g["outside"], "")
            reference = profile.default_cost_centre.invoice_reference if profile else g["buyer_reference"]
        if key in invoices:
            continue
        invoices[key] = Invoice(
            owner=owner,
            period=period,
            kind=InvoiceKind.INVOICE,
            number="",
            buyer_reference=reference,
            issue_date=issue,
            due_date=issue + timedelta(days=days),
            outside_scope=bool(g["outside"]),
            run=run,
        )
    # Lines outside the scope of VAT (O) go on an invoice of their own (BR-O-11..14): such an
    # owner has two invoices, numbered like the invoices of an owner invoiced per reference.
    count_per_owner: dict[int, int] = defaultdict(int)
    for owner_id, _outside, _ref in invoices:
        count_per_owner[owner_id] += 1
    per_owner: dict[int, int] = defaultdict(int)
    for (owner_id, _outside, _ref), inv in invoices.items():
        per_owner[owner_id] += 1
        base = f"{period.year}{period.month:02d}-{owners[owner_id].municipality_code}"
        inv.number = base if count_per_owner[owner_id] == 1 else f"{base}-{per_owner[owner_id]:02d}"
    created = Invoice.objects.bulk_create(list(invoices.values()), batch_size=2000)
    pending = InvoiceLine.objects.filter(period=period, invoice__isnull=True)
    own = Invoice.objects.filter(period=period, kind=InvoiceKind.INVOICE, owner_id=OuterRef("owner_id")).order_by()
    # Usually no line is outside the scope of VAT: then one pass of the two UPDATEs, as before.
    any_outside = any(inv.outside_scope for inv in invoices.values())
    for outside in (False, True) if any_outside else (False,):
        category = (
            (Q(vat_category=VatCategory.OUTSIDE) if outside else ~Q(vat_category=VatCategory.OUTSIDE))
            if any_outside
            else Q()
        )
        same = own.filter(outside_scope=outside)
        pending.filter(category, owner_id__in=split_owners).update(
            invoice_id=Subquery(same.filter(buyer_reference=OuterRef("buyer_reference")).values("pk")[:1])
        )
        pending.filter(category).exclude(owner_id__in=split_owners).update(invoice_id=Subquery(same.values("pk")[:1]))
    compute_totals(Invoice.objects.filter(period=period, kind=InvoiceKind.INVOICE))
    return created


def apply_vat_categories(period: BillingPeriod) -> None:
    """Give the period's new lines the VAT category of their pool or article (two UPDATEs), and
    rate 0 to every line of a category without VAT. Sources of other apps only set the rate."""
    from samdrift.billing.models import Article

    pending = InvoiceLine.objects.filter(period=period, invoice__isnull=True)
    # Lines start as S (the column default): only those of a pool or article of another category
    # are updated, usually none.
    pending.filter(pool__isnull=False).exclude(pool__vat_category=VatCategory.STANDARD).update(
        vat_category=Subquery(CostPool.objects.filter(pk=OuterRef("pool_id")).values("vat_category")[:1])
    )
    pending.filter(pool__isnull=True, article__isnull=False).exclude(article__vat_category=VatCategory.STANDARD).update(
        vat_category=Subquery(Article.objects.filter(pk=OuterRef("article_id")).values("vat_category")[:1])
    )
    pending.exclude(vat_category=VatCategory.STANDARD).exclude(vat_rate=0).update(vat_rate=Decimal(0))


def compute_totals(invoices: models.QuerySet) -> None:
    """Net, VAT (per category and rate, rounded once per breakdown as in the XML: `vat.breakdown`)
    and total for each invoice, from one aggregate."""
    sums: dict[int, list[tuple[str, Decimal, Decimal]]] = defaultdict(list)
    for row in (
        InvoiceLine.objects.filter(invoice__in=invoices)
        .values("invoice_id", "vat_category", "vat_rate")
        .annotate(net=Sum("amount"))
        .order_by()
    ):
        sums[row["invoice_id"]].append((row["vat_category"], row["vat_rate"], row["net"]))
    updated = []
    for inv in invoices:
        items = sums.get(inv.pk, [])
        inv.net_amount = to_money(sum((net for _c, _r, net in items), Decimal(0)))
        inv.vat_amount = total_tax(breakdown(items))
        inv.total_amount = inv.net_amount + inv.vat_amount
        updated.append(inv)
    Invoice.objects.bulk_update(updated, ["net_amount", "vat_amount", "total_amount"], batch_size=2000)


def execute_run(run: BillingRun, *, on_step: Callable[[], None] | None = None) -> BillingRun:
    """Run every charge source for the run's period, then build the invoices.

    Called inside the action's transaction (synchronous) or by the task, which commits step by step
    so that the progress shows; either way a rerun starts by clearing the period.
    """
    period = BillingPeriod.objects.get(pk=run.period_id)
    if not period.is_open:
        raise ValidationError(_("The period %(period)s is closed.") % {"period": period})
    sources = charge_sources()
    steps = len(sources) + 2
    with translation.override(translation.get_language() or "sv"):
        set_progress(run, 0, _("Clearing the period's draft invoices"), status=RunStatus.RUNNING)
        with transaction.atomic():
            clear_period(period)
        count = 0
        for number, source in enumerate(sources, start=1):
            set_progress(run, int(100 * number / steps), str(source.label))
            with transaction.atomic():
                count += source.build(period, run)
            if on_step:
                on_step()
        set_progress(run, int(100 * (steps - 1) / steps), _("Creating invoices"))
        with transaction.atomic():
            apply_vat_categories(period)
            invoices = build_invoices(period, run)
        total = Invoice.objects.filter(period=period, kind=InvoiceKind.INVOICE).aggregate(s=Sum("net_amount"))["s"]
        set_progress(
            run,
            100,
            _("%(lines)s lines on %(invoices)s invoices") % {"lines": count, "invoices": len(invoices)},
            status=RunStatus.DONE,
            line_count=count,
            invoice_count=len(invoices),
            total_net=total or Decimal(0),
            finished=timezone.now(),
        )
    return run


def line_rows(line: InvoiceLine) -> Any:
    """The source rows behind one line (drill-down); None when the line explains itself (pools)."""
    from samdrift.billing.sources import get_source

    source = get_source(line.source_type)
    if source is None or source.rows is None:
        return None
    return source.rows(line)
