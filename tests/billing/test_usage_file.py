"""Usage files are read by the one tabular reader (`samdrift.core.tabular`): Swedish Excel's CSV
(Windows-1252, `;`) and XLSX are accepted, a formula in any cell is refused with its row and column
named, and the one upload limit `SAMDRIFT_IMPORT_MAX_BYTES` holds for the page and the API. The SIE
reconciliation upload (not tabular) is held to the same limit."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from samdrift.billing import actions
from samdrift.billing.models import Article, BillingJob, Reconciliation, UsageRow
from samdrift.core import tabular
from samdrift.core.models import AuditEvent

MONTH = date(2026, 3, 1)
API = "/api/v1/billing/usage/import/"
HEADER = ["owner", "cost_centre", "metric", "quantity", "unit_price", "description"]


def _rows(world: Any) -> list[list[Any]]:
    """Two owners' rows as a user would type them in Excel (decimal comma, Swedish text)."""
    a, b = world.a, world.b
    return [
        [
            a.owner.municipality_code,
            a.cost_centre.code,
            "W-KLIENT",
            "12,5",
            "1,50",
            "Lagring för Växjö skolförvaltning",
        ],
        [
            b.owner.municipality_code,
            b.cost_centre.code,
            "W-KLIENT",
            "1\u00a0000,25",
            "",
            "Säkerhetskopior, år 2026 (é)",
        ],
    ]


def swedish_excel_csv(world: Any) -> bytes:
    """What Excel in Sweden writes for "CSV (semikolonavgränsad)": Windows-1252, `;`, CRLF, and a
    non-breaking space between thousands."""
    lines = [";".join(HEADER), *(";".join(row) for row in _rows(world))]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def workbook(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _imported(month: date) -> list[tuple[int, int, str, Decimal, Decimal]]:
    return sorted(
        (r.owner_id, r.cost_centre_id, r.article.code, r.quantity, r.unit_price)
        for r in UsageRow.objects.filter(month=month).select_related("article")
    )


def _usage_events(month: date) -> int:
    return AuditEvent.objects.filter(extra__action="import_usage", extra__month=month.isoformat()).count()


def _too_big_message(limit: int) -> str:
    return str(tabular.too_big(limit).message_dict["file"][0])


# --- formats -----------------------------------------------------------------------------------


def test_a_swedish_excel_csv_imports(world: Any, web: Any) -> None:
    """Windows-1252 with `;` and Swedish characters (was: "Save the file as UTF-8 CSV.")."""
    client = web(world.finance)
    url = reverse("billing_usage_import")
    body = swedish_excel_csv(world)
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # the file really is Windows-1252
    page = client.post(url, {"month": "2026-03-15", "file": SimpleUploadedFile("förbrukning.csv", body)})
    assert page.status_code == 200, page.content.decode()
    catalogue_price = Article.objects.get(code="W-KLIENT").unit_price  # an empty unit price takes it
    rows = _imported(MONTH)
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == sorted(
        [
            (world.a.owner.pk, world.a.cost_centre.pk, Decimal("12.5"), Decimal("1.5")),
            (world.b.owner.pk, world.b.cost_centre.pk, Decimal("1000.25"), catalogue_price),
        ]
    )
    assert all(isinstance(r[3], Decimal) for r in rows)
    sources = set(UsageRow.objects.filter(month=MONTH).values_list("source", flat=True))
    assert sources == {"förbrukning.csv rad 2", "förbrukning.csv rad 3"}
    events = AuditEvent.objects.filter(extra__action="import_usage", extra__month="2026-03-01")
    assert sorted((e.owner_id, e.extra["rows"], e.extra["file"]) for e in events) == [
        (world.a.owner.pk, 1, "förbrukning.csv"),
        (world.b.owner.pk, 1, "förbrukning.csv"),
    ]


def test_an_xlsx_imports_the_same_rows(world: Any, web: Any, api: Any) -> None:
    fin = world.finance
    csv_report = actions.do_import_usage(swedish_excel_csv(world), MONTH, actor=fin, filename="u.csv")
    assert csv_report == {"rows": 2, "errors": [], "imported": 2}
    # In a workbook numbers are numbers; the headers may be written as a person would.
    a, b = world.a, world.b
    cells = [
        [a.owner.municipality_code, a.cost_centre.code, "W-KLIENT", 12.5, 1.5, "Lagring för Växjö"],
        [b.owner.municipality_code, b.cost_centre.code, "W-KLIENT", 1000.25, None, "Säkerhetskopior"],
    ]
    data = workbook(cells, ["Owner", "Cost centre", "Metric", "Quantity", "Unit price", "Description"])
    april = date(2026, 4, 1)
    page = web(fin).post(
        reverse("billing_usage_import"), {"month": "2026-04-10", "file": SimpleUploadedFile("u.xlsx", data)}
    )
    assert page.status_code == 200
    may_ = date(2026, 5, 1)
    response = api(fin).post(
        API, {"month": "2026-05-01", "dry_run": "false", "file": SimpleUploadedFile("u.xlsx", data)}, format="multipart"
    )
    assert response.status_code == 200 and response.json() == {"rows": 2, "errors": [], "imported": 2}
    march = _imported(MONTH)
    assert len(march) == 2 and _imported(april) == march and _imported(may_) == march


def test_the_api_still_takes_the_files_text(world: Any, api: Any) -> None:
    text = swedish_excel_csv(world).decode("cp1252")
    response = api(world.finance).post(API, {"month": "2026-03-01", "csv": text, "dry_run": False}, format="json")
    assert response.status_code == 200 and response.json()["imported"] == 2
    assert set(UsageRow.objects.filter(month=MONTH).values_list("source", flat=True)) == {"api rad 2", "api rad 3"}
    neither = api(world.finance).post(API, {"month": "2026-03-01"}, format="json")
    assert neither.status_code == 400 and "file" in neither.json()


# --- formulas ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [(3, "=1+1", "quantity"), (5, "@SUM(A1)", "description"), (1, "+CC-AAAQX", "cost_centre")],
)
def test_a_formula_in_any_column_is_refused_naming_row_and_column(
    world: Any, column: int, value: str, named: str
) -> None:
    rows = _rows(world)
    rows[1][column] = value
    csv = (";".join(HEADER) + "\n" + "\n".join(";".join(r) for r in rows) + "\n").encode("cp1252")
    before = UsageRow.objects.count()
    with translation.override("en"):
        report = actions.do_import_usage(csv, MONTH, actor=world.finance, filename="u.csv")
    assert report["imported"] == 0 and report["rows"] == 1
    assert len(report["errors"]) == 1
    error = report["errors"][0]
    assert error.startswith("row 3: ") and f"{named} begins with “{value[0]}”" in error, error
    assert UsageRow.objects.count() == before and _usage_events(MONTH) == 0


def test_a_formula_in_a_workbook_is_refused_not_read_as_its_last_value(world: Any, web: Any, api: Any) -> None:
    cells: list[list[Any]] = [[*row[:3], 12, 1.5, row[5]] for row in _rows(world)]
    cells[0][3] = "=1+1"  # openpyxl writes it as a formula
    cells[1][5] = "@SUM(A1)"
    data = workbook(cells)
    before = UsageRow.objects.count()
    page = web(world.finance).post(
        reverse("billing_usage_import"), {"month": "2026-03-01", "file": SimpleUploadedFile("u.xlsx", data)}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "rad 2: quantity börjar med ”=”" in html and "rad 3: description börjar med ”@”" in html, html
    response = api(world.finance).post(
        API,
        {"month": "2026-03-01", "dry_run": "false", "file": SimpleUploadedFile("u.xlsx", data)},
        format="multipart",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e.split(":")[0] for e in errors] == ["rad 2", "rad 3"], errors  # Swedish first
    assert UsageRow.objects.count() == before and _usage_events(MONTH) == 0


# --- rows -------------------------------------------------------------------------------------


def test_row_rules_are_kept_and_a_too_large_number_is_an_error_not_a_crash(world: Any) -> None:
    a = world.a
    code, centre = a.owner.municipality_code, a.cost_centre.code
    lines = [
        "owner;cost_centre;metric;quantity",
        f"{code};{centre};W-KLIENT;5",
        f"0000;{centre};W-KLIENT;1",
        f"{code};NOPE;W-KLIENT;1",
        f"{code};{centre};NOPE;1",
        f"{code};{centre};W-KLIENT;-1",
        f"{code};{centre};W-KLIENT;1e12",
        f"{code};{centre};W-KLIENT;Infinity",
        "",
        f"{code};{centre};W-KLIENT;x",
    ]
    with translation.override("en"):
        report = actions.do_import_usage("\n".join(lines).encode(), MONTH, actor=world.finance, filename="u.csv")
        missing = actions.do_import_usage(b"owner;metric;quantity\n1;2;3\n", MONTH, actor=world.finance)
    assert report["rows"] == 1 and report["imported"] == 0
    assert report["errors"] == [
        "row 3: unknown owner '0000'",
        "row 4: unknown cost centre 'NOPE'",
        "row 5: unknown metric 'NOPE'",
        "row 6: quantity and price must be numbers of zero or more",
        "row 7: quantity and price must be less than 10,000,000,000",
        "row 8: quantity and price must be numbers of zero or more",
        "row 10: quantity and price must be numbers of zero or more",  # numbered as in the file
    ]
    assert missing["errors"] == ["The header lacks the columns: cost_centre"]
    assert UsageRow.objects.filter(month=MONTH).count() == 0


def test_a_file_that_is_not_a_table_is_refused_on_the_file_field(world: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.do_import_usage(b"\x00\x01\x02binary", MONTH, actor=world.finance, filename="u.csv")
    assert list(refused.value.message_dict) == ["file"]
    with pytest.raises(ValidationError):
        actions.do_import_usage(b"", MONTH, actor=world.finance, filename="u.csv")
    assert UsageRow.objects.filter(month=MONTH).count() == 0


# --- the one upload limit ----------------------------------------------------------------------


def test_a_usage_file_over_the_limit_is_refused_by_page_and_api(world: Any, web: Any, api: Any, settings: Any) -> None:
    body = swedish_excel_csv(world)
    settings.SAMDRIFT_IMPORT_MAX_BYTES = len(body) - 1
    before = UsageRow.objects.count()
    page = web(world.finance).post(
        reverse("billing_usage_import"),
        {"month": "2026-03-01", "file": SimpleUploadedFile("u.csv", body)},
    )
    with translation.override("sv"):
        message = _too_big_message(len(body) - 1)
    assert page.status_code == 200 and message in page.content.decode()
    client = api(world.finance)
    upload = client.post(
        API,
        {"month": "2026-03-01", "dry_run": "false", "file": SimpleUploadedFile("u.csv", body)},
        format="multipart",
    )
    assert upload.status_code == 400 and upload.json() == {"file": [message]}
    text = client.post(
        API,
        {"month": "2026-03-01", "dry_run": False, "csv": body.decode("cp1252")},
        format="json",
    )
    assert text.status_code == 400 and text.json() == {"csv": [message]}
    assert UsageRow.objects.count() == before and _usage_events(MONTH) == 0
    settings.SAMDRIFT_IMPORT_MAX_BYTES = len(body)  # at the limit is accepted
    assert actions.do_import_usage(body, MONTH, actor=world.finance)["imported"] == 2


def test_the_sie_reconciliation_upload_is_held_to_the_same_limit(world: Any, web: Any, api: Any, settings: Any) -> None:
    raw = (Path(__file__).parent / "data" / "transaktioner_ovnbolag.se").read_bytes()
    settings.SAMDRIFT_IMPORT_MAX_BYTES = 100
    assert len(raw) > 100
    period = actions.do_create_period(2026, 11, actor=world.finance)
    before = (Reconciliation.objects.count(), BillingJob.objects.count())
    with translation.override("sv"):
        message = _too_big_message(100)
    for background in ("1", ""):
        page = web(world.finance).post(
            reverse("billing_reconciliation"),
            {
                "year": 2025,
                "settle_period": period.pk,
                "file": SimpleUploadedFile("bokslut.se", raw),
                "dry_run": "",
                "background": background,
            },
        )
        assert page.status_code == 200 and message in page.content.decode()
    response = api(world.finance).post(
        "/api/v1/billing/reconciliations/reconcile/",
        {"year": 2025, "settle_period": period.pk, "dry_run": "false", "file": SimpleUploadedFile("bokslut.se", raw)},
        format="multipart",
    )
    assert response.status_code == 400 and response.json() == {"file": [message]}
    assert (Reconciliation.objects.count(), BillingJob.objects.count()) == before


def test_a_code_whose_leading_zero_excel_dropped_still_finds_its_owner(world: Any) -> None:
    from samdrift.tenancy import actions as tenancy

    owner = tenancy.do_create_owner(
        {"name": "Upplands Väsby", "municipality_code": "0114", "org_number": "5590000005"}, actor=None
    )
    centre = tenancy.do_create_cost_centre(
        {"owner": owner, "code": "CC-0114", "name": "IT", "invoice_reference": "REF-0114"}, actor=None
    )
    data = workbook([[114, "CC-0114", "W-KLIENT", 3, 2]])  # Excel read 0114 as the number 114
    report = actions.do_import_usage(data, MONTH, actor=world.finance, filename="u.xlsx")
    assert report == {"rows": 1, "errors": [], "imported": 1}
    assert UsageRow.objects.get(month=MONTH).cost_centre_id == centre.pk
