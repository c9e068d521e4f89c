"""Year-end reconciliation (avräkning) under the self-cost principle.

The company's actual cost per pool comes from its accounting as a SIE 4 file: the rows of cost
accounts (4xxx-8xxx) tagged with the pool's object, or the #RES balances of the pool's accounts.
What was billed for the pool in the year's closed periods (invoices minus credit notes) is compared
with it, and the difference is settled by the pool's key valid at the end of the year, as
settlement rows billed in an open period (a surplus is credited, a deficit charged).

Before a file is believed, `check_file` refuses it, naming the mismatch, when it is not the
operator's accounting (#ORGNR), not the year being settled (#RAR 0), not SIE type 4, or lacks
an account or object a pool needs: such a file would otherwise give an actual cost of 0 and credit
everything billed back to the owners. `plan` then compares the new settlement with what earlier
reconciliations of the year settled, so that a year is never settled twice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
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
    Reconciliation,
    ReconciliationStatus,
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


def pool_object(pool: CostPool) -> tuple[str, str]:
    return (pool.sie_dimension or "6", pool.sie_object)


def pool_accounts(pool: CostPool) -> list[str]:
    return sorted({a.strip() for a in pool.cost_accounts.split(",") if a.strip()})


def _object_rows(pool: CostPool, sie: SieFile, year: int) -> list[Decimal]:
    wanted = pool_object(pool)
    return [
        t.amount
        for v in sie.vouchers
        if v.date.year == year
        for t in v.transactions
        if _is_cost_account(t.account) and wanted in t.objects
    ]


def actual_cost(pool: CostPool, sie: SieFile, year: int) -> Decimal:
    """The pool's cost in the year according to the SIE file (debits positive)."""
    if pool.sie_object:
        return to_money(sum(_object_rows(pool, sie, year), Decimal(0)))
    accounts = set(pool_accounts(pool))
    if not accounts:
        return Decimal("0.00")
    # #RAR 0 is the year being settled (check_file makes sure of it).
    return to_money(sum((r.amount for r in sie.results if r.year == 0 and r.account in accounts), Decimal(0)))


def _digits(org_number: str) -> str:
    digits = re.sub(r"\D", "", org_number)
    return digits[2:] if len(digits) == 12 and digits.startswith("16") else digits


def _format_orgnr(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:]}" if len(digits) == 10 else digits


def reconciled_pools() -> list[CostPool]:
    """The pools whose actual cost the accounting says: those with a SIE object or cost accounts."""
    return list(CostPool.objects.exclude(sie_object="", cost_accounts="").order_by("code"))


def check_file(sie: SieFile, year: int, operator_org_number: str, pools: list[CostPool]) -> list[str]:
    """Everything that makes the file unfit to settle `year` with, each named; empty when fit."""
    errors: list[str] = []
    if not sie.sie_type_declared:
        errors.append(_("The file does not say which SIE type it is (#SIETYP); the reconciliation needs SIE type 4."))
    elif sie.sie_type != 4:
        errors.append(
            _(
                "The file is SIE type %(type)s (#SIETYP); the reconciliation needs SIE type 4, the type "
                "with vouchers and objects. Export the year again as SIE 4 from the accounting."
            )
            % {"type": sie.sie_type}
        )
    ours, theirs = _digits(operator_org_number), _digits(sie.org_number)
    if not theirs:
        errors.append(
            _("The file has no organisation number (#ORGNR); it must be the operator's, %(ours)s.")
            % {"ours": _format_orgnr(ours)}
        )
    elif theirs != ours:
        errors.append(
            _("The file is the accounting of organisation number %(theirs)s (#ORGNR), not of the operator, %(ours)s.")
            % {"theirs": _format_orgnr(theirs), "ours": _format_orgnr(ours)}
        )
    current = sie.fiscal_years.get(0)
    if current is None:
        errors.append(_("The file has no current fiscal year (#RAR 0); it must be %(year)s.") % {"year": year})
    elif current != (date(year, 1, 1), date(year, 12, 31)):
        errors.append(
            _("The file's fiscal year (#RAR 0) is %(start)s to %(end)s, not the year being settled, %(year)s.")
            % {"start": current[0].isoformat(), "end": current[1].isoformat(), "year": year}
        )
    for pool in pools:
        if pool.sie_object:
            dim, obj = pool_object(pool)
            if _object_rows(pool, sie, year):
                continue
            if (dim, obj) in sie.objects:
                errors.append(
                    _(
                        "No cost row of %(year)s in the file carries object %(object)s (dimension %(dim)s) that "
                        "cost pool %(pool)s needs; its actual cost would be 0."
                    )
                    % {"year": year, "object": obj, "dim": dim, "pool": pool.code}
                )
            else:
                errors.append(
                    _("The file lacks object %(object)s in dimension %(dim)s (#OBJEKT) that cost pool %(pool)s needs.")
                    % {"object": obj, "dim": dim, "pool": pool.code}
                )
            continue
        accounts = pool_accounts(pool)
        with_result = {r.account for r in sie.results if r.year == 0}
        missing = [a for a in accounts if a not in sie.accounts and a not in with_result]
        if missing:
            errors.append(
                _("The file lacks the accounts %(accounts)s (#KONTO) that cost pool %(pool)s needs.")
                % {"accounts": ", ".join(missing), "pool": pool.code}
            )
        elif not with_result.intersection(accounts):
            errors.append(
                _(
                    "The file has no result (#RES 0) for the accounts %(accounts)s of cost pool %(pool)s; its "
                    "actual cost would be 0."
                )
                % {"accounts": ", ".join(accounts), "pool": pool.code}
            )
    return errors


def check_periods(year: int, settle_period: BillingPeriod) -> list[str]:
    """The year's billing must be complete, and the settlement billed after it: a settlement in an
    open month of the year would be billed on top of that month's own pool charges."""
    errors = []
    if (settle_period.year, settle_period.month) <= (year, 12):
        errors.append(
            _("Settle %(year)s in a period after the year (%(next)s-01 or later), not in %(period)s.")
            % {"year": year, "next": year + 1, "period": settle_period}
        )
    still_open = [str(p) for p in BillingPeriod.objects.filter(year=year, status=PeriodStatus.OPEN).order_by("month")]
    if still_open:
        errors.append(
            _("These periods of %(year)s are still open: %(periods)s. Close them before the year is reconciled.")
            % {"year": year, "periods": ", ".join(still_open)}
        )
    return errors


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


def compare(sie: SieFile, year: int, pools: list[CostPool] | None = None) -> list[PoolResult]:
    pools = reconciled_pools() if pools is None else pools
    return [PoolResult(pool, actual_cost(pool, sie, year), billed_for_pool(pool, year)) for pool in pools]


def unreconciled_pools(year: int) -> list[str]:
    """Pools billed in the year that the reconciliation cannot settle: no SIE object or accounts."""
    billed = InvoiceLine.objects.filter(
        source_type="pool",
        period__year=year,
        period__status=PeriodStatus.CLOSED,
        pool__sie_object="",
        pool__cost_accounts="",
    )
    return sorted(set(billed.values_list("pool__code", flat=True)))


Key = tuple[int, int]  # (owner id, pool id)


@dataclass
class Plan:
    """What a reconciliation changes: the year's settlement in force and what replaces it."""

    current: Reconciliation | None
    settled: dict[Key, Decimal]  # net of every settlement row of the year so far
    new: list[Settlement]
    takeback: list[Settlement] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        wanted: dict[Key, Decimal] = defaultdict(Decimal)
        for s in self.new:
            wanted[(s.owner_id, s.pool_id)] += s.amount
        return {k: v for k, v in wanted.items() if v} == {k: v for k, v in self.settled.items() if v}

    @property
    def settled_total(self) -> Decimal:
        return sum(self.settled.values(), Decimal(0))


def settled_so_far(year: int) -> dict[Key, Decimal]:
    """Net per owner and pool of every settlement row of the year, in force or replaced."""
    rows = (
        Settlement.objects.filter(reconciliation__year=year)
        .values("owner_id", "pool_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {(r["owner_id"], r["pool_id"]): to_money(r["total"]) for r in rows}


def plan(year: int, settle_period: BillingPeriod, results: list[PoolResult]) -> Plan:
    """The new settlement and, when the year was settled before, the rows that take back exactly
    what was settled then (per owner and pool, whatever was billed already or not), so that after
    it the year's settlement rows add up to the new settlement alone."""
    current = Reconciliation.objects.filter(year=year, status=ReconciliationStatus.ACTIVE).first()
    settled = settled_so_far(year)
    new: list[Settlement] = []
    for result in results:
        new += settlements_for(result, year, settle_period)
    result_plan = Plan(current=current, settled=settled, new=new)
    if current is None or result_plan.unchanged:
        return result_plan
    pools = {p.pk: p for p in CostPool.objects.filter(pk__in={pool for _o, pool in settled})}
    centres = default_cost_centres(sorted({owner for owner, _p in settled}))
    for (owner_id, pool_id), amount in sorted(settled.items()):
        if not amount:
            continue
        before = Settlement.objects.filter(reconciliation=current, owner_id=owner_id, pool_id=pool_id).first()
        key = before.allocation_key if before else key_for(pools[pool_id], date(year, 12, 31))
        if key is None:  # pragma: no cover - a settled pool had a key
            raise ValueError(
                _("Cost pool %(pool)s has no allocation key valid on 31 December.") % {"pool": pools[pool_id]}
            )
        result_plan.takeback.append(
            Settlement(
                period=settle_period,
                owner_id=owner_id,
                cost_centre_id=centres[owner_id][0],
                pool=pools[pool_id],
                allocation_key=key,
                billed=before.billed if before else Decimal(0),
                actual=before.actual if before else Decimal(0),
                key_figure=before.key_figure if before else Decimal(0),
                key_total=before.key_total if before else Decimal(0),
                amount=-amount,
                reverses=current,
                description=(
                    _("Reconciliation %(year)s replaced: %(pool)s, what was settled before is taken back")
                    % {"year": year, "pool": pools[pool_id].name}
                )[:300],
            )
        )
    return result_plan


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
