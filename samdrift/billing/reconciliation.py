"""Year-end reconciliation (avräkning) under the self-cost principle.

The company's actual cost per pool comes from its accounting as a SIE 4 file: the rows of cost
accounts (4xxx-8xxx) tagged with the pool's object, or the #RES balances of the pool's accounts.
What was billed for the pool in the year's closed periods (invoices minus credit notes) is compared
with it, and the difference is settled by the pool's key valid at the end of the year, as
settlement rows billed in an open period (a surplus is credited, a deficit charged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, CharField, DecimalField, F, IntegerField, Sum, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.billing.engine import allocate, default_cost_centres, key_for
from samdrift.billing.models import (
    BillingPeriod,
    CostPool,
    InvoiceKind,
    InvoiceLine,
    PeriodStatus,
    Settlement,
)
from samdrift.billing.sie import SieFile
from samdrift.billing.sources import ChargeSource, const, insert_lines_from, register
from samdrift.core.money import to_money


@dataclass(frozen=True)
class PoolResult:
    pool: CostPool
    actual: Decimal
    billed: Decimal

    @property
    def difference(self) -> Decimal:
        """Positive: billed more than it cost (a surplus to give back)."""
        return self.billed - self.actual


def _is_cost_account(account: str) -> bool:
    return len(account) == 4 and account.isdigit() and account[0] in "45678"


def actual_cost(pool: CostPool, sie: SieFile, year: int) -> Decimal:
    """The pool's cost in the year according to the SIE file (debits positive)."""
    if pool.sie_object:
        wanted = (pool.sie_dimension or "6", pool.sie_object)
        return to_money(
            sum(
                (
                    t.amount
                    for v in sie.vouchers
                    if v.date.year == year
                    for t in v.transactions
                    if _is_cost_account(t.account) and wanted in t.objects
                ),
                Decimal(0),
            )
        )
    accounts = {a.strip() for a in pool.cost_accounts.split(",") if a.strip()}
    if not accounts:
        return Decimal("0.00")
    index = next((i for i, (start, _end) in sie.fiscal_years.items() if start.year == year), 0)
    return to_money(sum((r.amount for r in sie.results if r.year == index and r.account in accounts), Decimal(0)))


def billed_for_pool(pool: CostPool, year: int) -> Decimal:
    """Billed for the pool in the year's closed periods: invoices minus credit notes."""
    signed = Case(
        When(invoice__kind=InvoiceKind.CREDIT_NOTE, then=-F("amount")),
        default=F("amount"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    total = InvoiceLine.objects.filter(
        pool=pool, source_type="pool", period__year=year, period__status=PeriodStatus.CLOSED
    ).aggregate(s=Sum(signed))["s"]
    return to_money(total or 0)


def compare(sie: SieFile, year: int) -> list[PoolResult]:
    pools = CostPool.objects.exclude(sie_object="", cost_accounts="").order_by("code")
    return [PoolResult(pool, actual_cost(pool, sie, year), billed_for_pool(pool, year)) for pool in pools]


def settlements_for(result: PoolResult, year: int, period: BillingPeriod) -> list[Settlement]:
    """The pool's difference split by the key valid on 31 December, exact to the öre."""
    if not result.difference:
        return []
    key = key_for(result.pool, date(year, 12, 31))
    if key is None:
        raise ValueError(_("Cost pool %(pool)s has no allocation key valid on 31 December.") % {"pool": result.pool})
    figures = list(key.figures.filter(figure__gt=0).order_by("owner_id").values_list("owner_id", "figure"))
    total = sum((f for _o, f in figures), Decimal(0))
    # A surplus is given back: negative amounts.
    parts = allocate(-result.difference, [f for _o, f in figures])
    centres = default_cost_centres([o for o, _f in figures])
    text = _("Reconciliation %(year)s: %(pool)s, billed %(billed)s, actual cost %(actual)s") % {
        "year": year,
        "pool": result.pool.name,
        "billed": result.billed,
        "actual": result.actual,
    }
    return [
        Settlement(
            period=period,
            owner_id=owner_id,
            cost_centre_id=centres[owner_id][0],
            pool=result.pool,
            allocation_key=key,
            billed=result.billed,
            actual=result.actual,
            key_figure=figure,
            key_total=total,
            amount=part,
            description=text[:300],
        )
        for (owner_id, figure), part in zip(figures, parts, strict=True)
        if part
    ]


def build_settlement_lines(period: BillingPeriod, run: object) -> int:
    qs = (
        Settlement.objects.filter(period=period)
        .annotate(
            l_period=const(period.pk, IntegerField()),
            l_owner=F("owner_id"),
            l_cc=F("cost_centre_id"),
            l_ref=F("cost_centre__invoice_reference"),
            l_desc=F("description"),
            l_qty=const(Decimal(1), InvoiceLine._meta.get_field("quantity")),
            l_unit=const("C62", CharField()),
            l_price=F("amount"),
            l_base=const(Decimal(1), InvoiceLine._meta.get_field("base_quantity")),
            l_amount=F("amount"),
            l_vat=F("pool__vat_rate"),
            l_account=F("pool__revenue_account"),
            l_type=const("settlement", CharField()),
            l_sid=F("id"),
            l_pool=F("pool_id"),
            l_key=F("allocation_key_id"),
            l_fig=F("key_figure"),
            l_total=F("key_total"),
        )
        .values_list(
            "l_period",
            "l_owner",
            "l_cc",
            "l_ref",
            "l_desc",
            "l_qty",
            "l_unit",
            "l_price",
            "l_base",
            "l_amount",
            "l_vat",
            "l_account",
            "l_type",
            "l_sid",
            "l_pool",
            "l_key",
            "l_fig",
            "l_total",
        )
    )
    return insert_lines_from(
        qs,
        (
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
            "pool",
            "allocation_key",
            "key_figure",
            "key_total",
        ),
    )


register(
    ChargeSource(
        "settlement",
        gettext_lazy("Year-end reconciliation"),
        build_settlement_lines,
        lambda line: Settlement.objects.filter(pk=line.source_id),
    )
)
