"""Year-end reconciliation: actual cost per pool from the accounting's SIE file against what was
billed; a surplus is credited back to the owners by the pool's key, exactly, in an open period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from samdrift.billing import actions
from samdrift.billing.models import CostPool, Invoice, InvoiceLine, Settlement
from samdrift.billing.sie import SieFile, SieTransaction, SieVoucher, write_sie
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)


def accounting_file() -> bytes:
    """What the company's accounting exports: costs tagged with the pool's project object."""
    dc = (("6", "DC"),)
    return write_sie(
        SieFile(
            company_name="Samdrift IT AB",
            fiscal_years={0: (date(2026, 1, 1), date(2026, 12, 31))},
            vouchers=[
                SieVoucher(
                    "A",
                    "1",
                    date(2026, 3, 31),
                    "Hyra datacenter",
                    transactions=(
                        SieTransaction("5010", dc, Decimal("400000.00")),
                        SieTransaction("1930", (), Decimal("-400000.00")),
                    ),
                ),
                SieVoucher(
                    "A",
                    "2",
                    date(2026, 6, 30),
                    "Service",
                    transactions=(
                        SieTransaction("4010", dc, Decimal("350000.00")),
                        SieTransaction("6540", (("6", "ANNAT"),), Decimal("99999.00")),  # another project
                        SieTransaction("1930", (), Decimal("-449999.00")),
                    ),
                ),
            ],
        )
    )


def test_surplus_is_settled_back_to_the_three_owners(billing: Billing) -> None:  # noqa: F811
    w, fin = billing.world, billing.world.finance
    CostPool.objects.filter(code="DC").update(sie_dimension="6", sie_object="DC")
    actions.do_run_billing(billing.period, actor=fin)
    actions.do_close_period(billing.period, actor=fin)
    december = actions.do_create_period(2026, 12, actor=fin)
    preview = actions.do_reconcile_year(accounting_file(), 2026, december, actor=fin, dry_run=True)
    assert preview["pools"] == [
        {"pool": "DC", "billed": "1000000.00", "actual": "750000.00", "difference": "250000.00"}
    ]
    assert not Settlement.objects.exists()
    report = actions.do_reconcile_year(accounting_file(), 2026, december, actor=fin, filename="bokforing.se")
    amounts = sorted(Settlement.objects.values_list("amount", flat=True))
    assert sum(amounts) == Decimal("-250000.00")
    assert len(amounts) == 3 and report["reconciliation"]
    # December's run bills the settlement as credit lines on each owner's invoice.
    actions.do_run_billing(december, actor=fin)
    lines = InvoiceLine.objects.filter(period=december, source_type="settlement")
    assert lines.count() == 3 and sum(lines.values_list("amount", flat=True)) == Decimal("-250000.00")
    a_line = lines.get(owner=w.a.owner)
    assert (a_line.key_figure, a_line.key_total) == (15562, 47411)
    invoice = Invoice.objects.get(period=december, owner=w.a.owner)
    assert invoice.lines.filter(source_type="settlement").exists()


def test_res_balances_and_a_bad_file(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    CostPool.objects.filter(code="DC").update(cost_accounts="5420, 5421")
    actions.do_run_billing(billing.period, actor=fin)
    actions.do_close_period(billing.period, actor=fin)
    december = actions.do_create_period(2026, 12, actor=fin)
    res = b"#SIETYP 4\r\n#RAR 0 20260101 20261231\r\n#RES 0 5420 1100000.00\r\n#RES 0 5421 500.00\r\n#RES -1 5420 9.00\r\n"
    report = actions.do_reconcile_year(res, 2026, december, actor=fin, dry_run=True)
    assert report["pools"][0]["difference"] == "-100500.00"  # a deficit: charged
    with pytest.raises(ValidationError) as info:
        actions.do_reconcile_year(b'#VER A 1 20260101 "x"\r\n{\r\n#TRANS 5420 {} 1\r\n}\r\n', 2026, december, actor=fin)
    assert "A 1" in str(info.value)
    with pytest.raises(ValidationError):
        actions.do_reconcile_year(res, 2026, billing.period, actor=fin)  # closed period
