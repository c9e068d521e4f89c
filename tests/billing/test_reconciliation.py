"""Year-end reconciliation: actual cost per pool from the accounting's SIE file against what was
billed; a surplus is credited back to the owners by the pool's key, exactly, in an open period.

A file that is not the operator's SIE 4 accounting of the year, or lacks what a pool needs, is
refused with the mismatch named and nothing changed; the real example files of the SIE group are
used for that. A year is settled once: the same file again changes nothing, a new file replaces
the settlement in force and takes back what it settled, and no owner is ever billed twice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from samdrift.billing import actions
from samdrift.billing.models import (
    CostPool,
    Invoice,
    InvoiceLine,
    Reconciliation,
    ReconciliationStatus,
    Settlement,
)
from samdrift.billing.sie import SieFile, SieTransaction, SieVoucher, write_sie
from samdrift.core.models import AuditEvent
from samdrift.tenancy import actions as tenancy
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)

DATA = Path(__file__).parent / "data"
SAMPLES = Path("/work/shared/samples/sie")
OPERATOR_ORGNR = "556036-0793"  # the billing fixture's operator


@pytest.fixture(autouse=True)
def _english() -> Any:
    # Messages are checked in English; one test checks the Swedish.
    with translation.override("en"):
        yield


def accounting_file(
    *, rent: str = "400000.00", orgnr: str = OPERATOR_ORGNR, year: int = 2026, sie_type: int = 4, obj: str = "DC"
) -> bytes:
    """What the company's accounting exports: costs tagged with the pool's project object."""
    dc = (("6", obj),)
    return write_sie(
        SieFile(
            sie_type=sie_type,
            org_number=orgnr,
            company_name="Samdrift IT AB",
            fiscal_years={0: (date(year, 1, 1), date(year, 12, 31))},
            dimensions={"6": "Projekt"},
            objects={("6", obj): "Datacenter", ("6", "ANNAT"): "Annat"},
            vouchers=[
                SieVoucher(
                    "A",
                    "1",
                    date(year, 3, 31),
                    "Hyra datacenter",
                    transactions=(
                        SieTransaction("5010", dc, Decimal(rent)),
                        SieTransaction("1930", (), -Decimal(rent)),
                    ),
                ),
                SieVoucher(
                    "A",
                    "2",
                    date(year, 6, 30),
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


def _closed_year(billing: Billing, *, sie_object: str = "DC") -> Any:  # noqa: F811
    """November 2026 billed and closed (the pool billed 1,000,000.00); January 2027 open."""
    fin = billing.world.finance
    CostPool.objects.filter(code="DC").update(sie_dimension="6", sie_object=sie_object)
    actions.do_run_billing(billing.period, actor=fin)
    actions.do_close_period(billing.period, actor=fin)
    return actions.do_create_period(2027, 1, actor=fin)


def _settlement_billed_per_owner() -> dict[int, Decimal]:
    """What each owner was invoiced as year-end settlement, over every period."""
    totals: dict[int, Decimal] = {}
    for owner_id, amount in InvoiceLine.objects.filter(source_type="settlement", invoice__isnull=False).values_list(
        "owner_id", "amount"
    ):
        totals[owner_id] = totals.get(owner_id, Decimal(0)) + amount
    return totals


def _state() -> tuple[int, int, int]:
    return Reconciliation.objects.count(), Settlement.objects.count(), AuditEvent.objects.count()


def test_surplus_is_settled_back_to_the_three_owners(billing: Billing) -> None:  # noqa: F811
    w, fin = billing.world, billing.world.finance
    january = _closed_year(billing)
    preview = actions.do_reconcile_year(accounting_file(), 2026, january, actor=fin, dry_run=True)
    assert preview["pools"] == [
        {"pool": "DC", "billed": "1000000.00", "actual": "750000.00", "difference": "250000.00"}
    ]
    assert not Settlement.objects.exists()
    report = actions.do_reconcile_year(accounting_file(), 2026, january, actor=fin, filename="bokforing.se")
    amounts = sorted(Settlement.objects.values_list("amount", flat=True))
    assert sum(amounts) == Decimal("-250000.00")
    assert len(amounts) == 3 and report["reconciliation"]
    rec = Reconciliation.objects.get(pk=report["reconciliation"])
    assert rec.status == ReconciliationStatus.ACTIVE and len(rec.file_sha256) == 64
    assert AuditEvent.objects.filter(object_id=str(rec.pk), extra__action="reconcile_year").exists()
    assert AuditEvent.objects.filter(extra__action="settlement").count() == 3
    # January's run bills the settlement as credit lines on each owner's invoice.
    actions.do_run_billing(january, actor=fin)
    lines = InvoiceLine.objects.filter(period=january, source_type="settlement")
    assert lines.count() == 3 and sum(lines.values_list("amount", flat=True)) == Decimal("-250000.00")
    a_line = lines.get(owner=w.a.owner)
    assert (a_line.key_figure, a_line.key_total) == (15562, 47411)
    invoice = Invoice.objects.get(period=january, owner=w.a.owner)
    assert invoice.lines.filter(source_type="settlement").exists()


def test_res_balances_and_a_bad_file(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    CostPool.objects.filter(code="DC").update(cost_accounts="5420, 5421")
    actions.do_run_billing(billing.period, actor=fin)
    actions.do_close_period(billing.period, actor=fin)
    january = actions.do_create_period(2027, 1, actor=fin)
    res = (
        b'#SIETYP 4\r\n#ORGNR "556036-0793"\r\n#RAR 0 20260101 20261231\r\n#RAR -1 20250101 20251231\r\n'
        b"#RES 0 5420 1100000.00\r\n#RES 0 5421 500.00\r\n#RES -1 5420 9.00\r\n"
    )
    report = actions.do_reconcile_year(res, 2026, january, actor=fin, dry_run=True)
    assert report["pools"][0]["difference"] == "-100500.00"  # a deficit: charged
    with pytest.raises(ValidationError) as info:
        actions.do_reconcile_year(b'#VER A 1 20260101 "x"\r\n{\r\n#TRANS 5420 {} 1\r\n}\r\n', 2026, january, actor=fin)
    assert "A 1" in str(info.value)
    with pytest.raises(ValidationError):
        actions.do_reconcile_year(res, 2026, billing.period, actor=fin)  # closed period
    # An account the pool needs that the file lacks, and one without a result: refused, named.
    CostPool.objects.filter(code="DC").update(cost_accounts="5420, 5430")
    with pytest.raises(ValidationError) as info:
        actions.do_reconcile_year(res, 2026, january, actor=fin, dry_run=True)
    assert "5430" in str(info.value) and "DC" in str(info.value)
    CostPool.objects.filter(code="DC").update(cost_accounts="5430")
    no_result = res + b'#KONTO 5430 "Leasing"\r\n'
    with pytest.raises(ValidationError) as info:
        actions.do_reconcile_year(no_result, 2026, january, actor=fin, dry_run=True)
    assert "#RES 0" in str(info.value) and "5430" in str(info.value)


# --- input checks: refused, the mismatch named, nothing changed ------------------------------


def _refused(data: bytes, january: Any, fin: Any, *, year: int = 2026) -> str:
    before = _state()
    with pytest.raises(ValidationError) as info:
        actions.do_reconcile_year(data, year, january, actor=fin, filename="fel.se")
    assert _state() == before, "a refused file changes nothing"
    return " ".join(info.value.messages)


def test_a_file_without_the_pools_object_is_refused_not_read_as_cost_zero(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    january = _closed_year(billing)
    # The accounting tagged the costs with another project: the pool's object appears nowhere.
    message = _refused(accounting_file(obj="DC2"), january, fin)
    assert "object DC in dimension 6" in message and "cost pool DC" in message
    # Before: actual cost 0 and the whole 1,000,000.00 credited back. Now: nothing was settled.
    assert not Settlement.objects.exists()


def test_an_object_declared_but_without_cost_rows_is_refused(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    january = _closed_year(billing, sie_object="ANNAT2")
    data = accounting_file().replace(b'#OBJEKT "6" "ANNAT" "Annat"', b'#OBJEKT "6" "ANNAT2" "Annat 2"')
    message = _refused(data, january, fin)
    assert "No cost row of 2026" in message and "ANNAT2" in message


def test_another_organisations_file_is_refused_naming_both_numbers(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    january = _closed_year(billing)
    message = _refused(accounting_file(orgnr="556654-7898"), january, fin)
    assert "556654-7898" in message and "556036-0793" in message and "#ORGNR" in message


def test_a_file_of_another_year_is_refused(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    january = _closed_year(billing)
    message = _refused(accounting_file(year=2010), january, fin)
    assert "#RAR 0" in message and "2010-01-01" in message and "2026" in message


def test_sie_type_1_is_refused_with_a_clear_message(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    january = _closed_year(billing)
    message = _refused(accounting_file(sie_type=1), january, fin)
    assert "SIE type 1" in message and "SIE type 4" in message
    no_type = accounting_file().replace(b"#SIETYP 4\r\n", b"")
    assert "does not say which SIE type" in _refused(no_type, january, fin)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Avendo: Övningsbolaget's 2011 accounting, another organisation and year.
        ("transaktioner_ovnbolag.se", ["555555-5555", "#RAR 0 is 2011-01-01 to 2011-12-31", "object DC"]),
        # BL Administration: a broken fiscal year July to June.
        ("BL0001_typ4.SE", ["556265-1892", "2009-07-01 to 2010-06-30"]),
        # Fortnox: an empty #ORGNR.
        ("Sie4.si", ["has no organisation number", "2010-01-01"]),
        # SoftOne and Edison.
        ("Sie4.se", ["556654-7898", "2014-01-01"]),
        ("typ4.se", ["000000-0000", "2012-01-01"]),
        # Visma: UTF-8 although it says PC8.
        ("SIE4_Exempelfil_med_underdim.SE", ["555555-5555", "2021-01-01"]),
    ],
)
def test_the_sie_groups_real_files_are_refused_for_our_year_with_every_mismatch_named(
    billing: Billing,  # noqa: F811
    name: str,
    expected: list[str],
) -> None:
    fin = billing.world.finance
    january = _closed_year(billing)
    raw = (DATA / name).read_bytes()
    if SAMPLES.is_dir():  # the shared originals, where this machine has them
        assert raw == (SAMPLES / name).read_bytes()
    message = _refused(raw, january, fin).replace("(#RAR 0) is", "#RAR 0 is")
    for part in expected:
        assert part in message, (part, message)


def test_a_real_file_of_the_right_organisation_and_year_is_settled(billing: Billing) -> None:  # noqa: F811
    """Avendo's file, read as the operator's own 2011 accounting: the pool's object (dimension 1,
    "Syd") carries 413,285.52 of cost, nothing was billed, so the whole cost is charged."""
    w, fin = billing.world, billing.world.finance
    tenancy.do_save_operator(
        {"name": "Övningsbolaget AB", "org_number": "5555555555", "vat_number": "SE555555555501"}, actor=w.admin
    )
    pool = CostPool.objects.get(code="DC")
    CostPool.objects.filter(pk=pool.pk).update(sie_dimension="1", sie_object="Syd")
    actions.do_create_allocation_key(
        pool, basis="population", valid_from=date(2011, 1, 1), valid_to=date(2011, 12, 31), actor=fin
    )
    january = actions.do_create_period(2012, 1, actor=fin)
    raw = (DATA / "transaktioner_ovnbolag.se").read_bytes()
    report = actions.do_reconcile_year(raw, 2011, january, actor=fin, filename="transaktioner_ovnbolag.se")
    assert report["pools"] == [{"pool": "DC", "billed": "0.00", "actual": "413285.52", "difference": "-413285.52"}]
    assert sum(Settlement.objects.values_list("amount", flat=True)) == Decimal("413285.52")


def test_the_year_must_be_closed_and_settled_after_it(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    CostPool.objects.filter(code="DC").update(sie_dimension="6", sie_object="DC")
    actions.do_run_billing(billing.period, actor=fin)
    actions.do_close_period(billing.period, actor=fin)
    december = actions.do_create_period(2026, 12, actor=fin)
    message = _refused(accounting_file(), december, fin)
    # December is both open and in the year: its own pool charges plus a settlement would bill twice.
    assert "2026-12" in message and "after the year" in message and "still open" in message


def test_messages_are_swedish_by_default(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    january = _closed_year(billing)
    with translation.override("sv"), pytest.raises(ValidationError) as info:
        actions.do_reconcile_year(accounting_file(orgnr="556654-7898", sie_type=1), 2026, january, actor=fin)
    text = " ".join(info.value.messages)
    assert "organisationsnummer 556654-7898" in text and "SIE typ 1" in text


# --- a year is settled once ------------------------------------------------------------------


def test_the_same_file_twice_changes_nothing(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    january = _closed_year(billing)
    first = actions.do_reconcile_year(accounting_file(), 2026, january, actor=fin, filename="bokforing.se")
    before = _state()
    again = actions.do_reconcile_year(accounting_file(), 2026, january, actor=fin, filename="bokforing.se")
    assert again["unchanged"] and again["reconciliation"] == first["reconciliation"]
    assert again["replaces"]["same_file"]
    assert _state() == before
    actions.do_run_billing(january, actor=fin)
    assert sum(_settlement_billed_per_owner().values()) == Decimal("-250000.00")  # once, not twice


def test_a_new_file_after_the_settlement_was_billed_takes_it_back(billing: Billing) -> None:  # noqa: F811
    """The double billing of the issue: the year reconciled, January billed and closed, then the
    year reconciled again. Before, every owner got the settlement a second time."""
    w, fin = billing.world, billing.world.finance
    january = _closed_year(billing)
    actions.do_reconcile_year(accounting_file(), 2026, january, actor=fin, filename="v1.se")
    actions.do_run_billing(january, actor=fin)
    actions.do_close_period(january, actor=fin)
    february = actions.do_create_period(2027, 2, actor=fin)
    # The same file again, settled in February: nothing to do.
    assert actions.do_reconcile_year(accounting_file(), 2026, february, actor=fin)["unchanged"]
    # A corrected file: rent was 450,000.00, so the surplus is 200,000.00, not 250,000.00.
    preview = actions.do_reconcile_year(accounting_file(rent="450000.00"), 2026, february, actor=fin, dry_run=True)
    assert preview["replaces"]["settled"] == "-250000.00" and not preview["replaces"]["same_file"]
    report = actions.do_reconcile_year(accounting_file(rent="450000.00"), 2026, february, actor=fin, filename="v2.se")
    old = Reconciliation.objects.get(year=2026, status=ReconciliationStatus.SUPERSEDED)
    new = Reconciliation.objects.get(year=2026, status=ReconciliationStatus.ACTIVE)
    assert old.replaced_by == new and report["reconciliation"] == new.pk
    assert sum(Settlement.objects.filter(reconciliation=new, reverses=old).values_list("amount", flat=True)) == Decimal(
        "250000.00"
    )
    assert AuditEvent.objects.filter(object_id=str(old.pk), extra__action="replace_reconciliation").exists()
    actions.do_run_billing(february, actor=fin)
    actions.do_close_period(february, actor=fin)
    billed = _settlement_billed_per_owner()
    assert sum(billed.values()) == Decimal("-200000.00")
    # Each owner: exactly its share of the new surplus, by population, to the öre.
    shares = dict(Settlement.objects.filter(reconciliation=new, reverses=None).values_list("owner_id", "amount"))
    assert billed == shares and billed[w.a.owner.pk] == Decimal("-65647.21")
    # And a third time with the first file: back to 250,000.00, still billed once in all.
    march = actions.do_create_period(2027, 3, actor=fin)
    actions.do_reconcile_year(accounting_file(), 2026, march, actor=fin, filename="v1.se")
    actions.do_run_billing(march, actor=fin)
    assert sum(_settlement_billed_per_owner().values()) == Decimal("-250000.00")
    assert Reconciliation.objects.filter(year=2026, status=ReconciliationStatus.ACTIVE).count() == 1


def test_a_new_file_before_the_settlement_was_billed_nets_in_the_same_run(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    january = _closed_year(billing)
    actions.do_reconcile_year(accounting_file(), 2026, january, actor=fin)
    actions.do_reconcile_year(accounting_file(rent="450000.00"), 2026, january, actor=fin)
    actions.do_run_billing(january, actor=fin)
    assert sum(_settlement_billed_per_owner().values()) == Decimal("-200000.00")


def test_the_database_allows_one_reconciliation_in_force_per_year(billing: Billing) -> None:  # noqa: F811
    fin = billing.world.finance
    january = _closed_year(billing)
    actions.do_reconcile_year(accounting_file(), 2026, january, actor=fin)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reconciliation.objects.create(year=2026, settle_period=january)


def test_the_page_says_what_a_second_reconciliation_replaces(billing: Billing, client: Any) -> None:  # noqa: F811
    fin = billing.world.finance
    january = _closed_year(billing)
    actions.do_reconcile_year(accounting_file(), 2026, january, actor=fin, filename="v1.se")
    client.force_login(fin)
    client.cookies["django_language"] = "en"
    url = reverse("billing_reconciliation")
    page = client.get(url)
    assert page.status_code == 200 and "v1.se" in page.content.decode()
    upload = {"year": 2026, "settle_period": january.pk, "dry_run": "on"}
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        url, {**upload, "file": SimpleUploadedFile("v2.se", accounting_file(rent="450000.00"))}, follow=True
    )
    body = response.content.decode()
    assert response.status_code == 200 and "replaces the reconciliation" in body and "v1.se" in body
    response = client.post(url, {**upload, "file": SimpleUploadedFile("v1.se", accounting_file())})
    assert "nothing changed" in response.content.decode()
    response = client.post(url, {**upload, "file": SimpleUploadedFile("fel.se", accounting_file(orgnr="556654-7898"))})
    assert response.status_code == 200 and "556654-7898" in response.content.decode()


def test_the_api_reconciles_and_lists(billing: Billing, web: Any) -> None:  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    fin = billing.world.finance
    january = _closed_year(billing)
    client = web(fin)
    url = "/api/v1/billing/reconciliations/reconcile/"
    body = {"year": 2026, "settle_period": january.pk, "dry_run": "false"}
    refused = client.post(url, {**body, "file": SimpleUploadedFile("x.se", accounting_file(orgnr="556654-7898"))})
    assert refused.status_code == 400 and "556654-7898" in refused.content.decode()
    done = client.post(url, {**body, "file": SimpleUploadedFile("v1.se", accounting_file())})
    assert done.status_code == 200 and done.json()["reconciliation"]
    again = client.post(url, {**body, "file": SimpleUploadedFile("v1.se", accounting_file())})
    assert again.status_code == 200 and again.json()["unchanged"]
    listed = client.get("/api/v1/billing/reconciliations/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(r["year"], r["status"], r["settled"]) for r in rows] == [(2026, "active", "-250000.00")]
    viewer = web(billing.world.a.viewer)
    assert viewer.post(url, {**body, "file": SimpleUploadedFile("v1.se", accounting_file())}).status_code == 403
    assert viewer.get("/api/v1/billing/reconciliations/").json()["results"] == []  # finance only
