"""Import of org units, cost centres and people: the dry run, the all-or-nothing commit, bad files."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from samdrift.core.models import AuditEvent, AuditEventType
from samdrift.tenancy import actions
from samdrift.tenancy.imports import check_import, do_commit_import, do_upload_import, parse_file
from samdrift.tenancy.models import CostCentre, ImportBatch, ImportStatus, OrgUnit, Person, User


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _english() -> Any:
    # The messages are asserted in English, the language of the source strings.
    with translation.override("en"):
        yield


def csv_bytes(rows: list[list[Any]], *, delimiter: str = ";", encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(kind: str, data: bytes, name: str, actor: User) -> ImportBatch:
    batch = do_upload_import(kind, SimpleUploadedFile(name, data), actor=actor)
    check_import(batch, actor=actor)
    return batch


def rows_by_number(batch: ImportBatch) -> dict[int, dict[str, Any]]:
    return {row["row"]: row for row in batch.report["rows"]}


def import_events(batch: ImportBatch) -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.order_by("id") if e.extra.get("import_batch") == batch.pk]


# --- happy paths ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_org_units_csv_dry_run_writes_nothing_and_commit_writes_with_audit(world: Any) -> None:
    a, b = world.a, world.b
    data = csv_bytes(
        [
            ["Ägare", "Kod", "Namn", "Förälder", "Typ"],
            # the child comes before the parent it names: both are created by this file
            [a.owner.municipality_code, "BOU-F1", "Förskola Ett", "BOU", "enhet"],
            [a.owner.municipality_code, "BOU", "Barn och utbildning", a.admin_unit.code, "förvaltning"],
            [b.owner.name, "SOC", "Socialförvaltningen", "", "Förvaltning"],
        ]
    )
    units_before = OrgUnit.objects.count()
    events_before = AuditEvent.objects.exclude(object_type="tenancy.importbatch").count()

    batch = upload("org_units", data, "enheter.csv", world.admin)

    assert batch.status == ImportStatus.VALIDATED
    assert OrgUnit.objects.count() == units_before, "the dry run wrote rows"
    assert AuditEvent.objects.exclude(object_type="tenancy.importbatch").count() == events_before
    report = rows_by_number(batch)
    assert [report[n]["action"] for n in (2, 3, 4)] == ["create", "create", "create"]
    assert report[3]["changes"]["parent"] == [None, a.admin_unit.code]
    assert (batch.create_count, batch.error_count) == (3, 0)

    do_commit_import(batch, actor=world.admin)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED
    bou = OrgUnit.objects.get(owner=a.owner, code="BOU")
    child = OrgUnit.objects.get(owner=a.owner, code="BOU-F1")
    soc = OrgUnit.objects.get(owner=b.owner, code="SOC")
    assert (bou.parent, bou.kind) == (a.admin_unit, "administration")
    assert (child.parent, child.kind) == (bou, "unit")
    assert (soc.parent, soc.kind) == (None, "administration")
    events = import_events(batch)
    created = [e for e in events if e.event_type == AuditEventType.CREATED]
    assert {(e.object_type, e.object_id) for e in created} == {
        ("tenancy.orgunit", str(bou.pk)),
        ("tenancy.orgunit", str(child.pk)),
        ("tenancy.orgunit", str(soc.pk)),
    }
    child_event = next(e for e in created if e.object_id == str(child.pk))
    assert child_event.owner_id == a.owner.pk
    assert child_event.changes["parent"] == [None, bou.pk]
    assert child_event.changes["name"] == [None, "Förskola Ett"]
    assert child_event.actor_id == world.admin.pk
    assert child_event.extra["row"] == 2
    imported = [e for e in events if e.event_type == AuditEventType.IMPORTED]
    assert len(imported) == 1
    assert imported[0].extra["counts"]["create"] == 3
    assert batch.file.storage.exists(batch.file.name), "the file is kept after the import"


@pytest.mark.django_db
def test_cost_centres_xlsx_with_english_headers(world: Any) -> None:
    a = world.a
    data = xlsx_bytes(
        [
            ["owner", "code", "name", "invoice_reference", "org_unit"],
            [int(a.owner.municipality_code), 4711, "IT-enheten", "REF 4711", a.school.code],
            [a.owner.municipality_code, a.cost_centre.code, "Nytt namn", a.cost_centre.invoice_reference, None],
        ]
    )
    batch = upload("cost_centres", data, "kst.xlsx", world.admin)
    assert batch.status == ImportStatus.VALIDATED, batch.report
    report = rows_by_number(batch)
    assert report[2]["action"] == "create"
    assert report[3]["action"] == "update"
    assert report[3]["changes"] == {"name": [a.cost_centre.name, "Nytt namn"]}

    do_commit_import(batch, actor=world.admin)

    new = CostCentre.objects.get(owner=a.owner, code="4711")
    assert (new.name, new.invoice_reference, new.org_unit) == ("IT-enheten", "REF 4711", a.school)
    a.cost_centre.refresh_from_db()
    assert a.cost_centre.name == "Nytt namn"
    updated = [e for e in import_events(batch) if e.event_type == AuditEventType.UPDATED]
    assert len(updated) == 1
    assert updated[0].object_id == str(a.cost_centre.pk)
    assert updated[0].changes == {"name": ["Kostnadsställe AAAQX", "Nytt namn"]}


@pytest.mark.django_db
def test_people_cp1252_csv_with_swedish_headers_and_comma(world: Any) -> None:
    a = world.a
    data = csv_bytes(
        [
            ["ägare", "identitet", "förnamn", "efternamn", "e-post", "typ", "enhet", "kostnadsställe", "titel"],
            [
                a.owner.name,
                "E-100",
                "Åsa",
                "Öberg",
                "asa.oberg@example.org",
                "anställd",
                a.admin_unit.code,
                a.cost_centre.code,
                "Rektor",
            ],
            [a.owner.name, "P-100", "Pär", "Ängström", "", "elev", a.school.code, "", ""],
        ],
        delimiter=",",
        encoding="cp1252",
    )
    assert "Åsa".encode("cp1252") in data
    batch = upload("people", data, "personer.csv", world.admin)
    assert batch.status == ImportStatus.VALIDATED, batch.report

    do_commit_import(batch, actor=world.admin)

    asa = Person.objects.get(owner=a.owner, external_id="E-100")
    assert (asa.first_name, asa.last_name, asa.title) == ("Åsa", "Öberg", "Rektor")
    assert (asa.org_unit, asa.cost_centre, asa.kind) == (a.admin_unit, a.cost_centre, "employee")
    par = Person.objects.get(owner=a.owner, external_id="P-100")
    assert (par.first_name, par.kind, par.org_unit, par.cost_centre) == ("Pär", "pupil", a.school, None)


@pytest.mark.django_db
def test_people_xlsx_updates_show_before_and_after(world: Any) -> None:
    a = world.a
    old_email = a.employee.email
    data = xlsx_bytes(
        [
            ["Ägare", "Identitet", "Förnamn", "Efternamn", "E-post", "Titel", "Aktiv"],
            [
                a.owner.municipality_code,
                a.employee.external_id,
                a.employee.first_name,
                "Nyman",
                "ny@example.org",
                "Lärare",
                "ja",
            ],
            [a.owner.municipality_code, a.pupil.external_id, a.pupil.first_name, a.pupil.last_name, "", "", True],
        ]
    )
    batch = upload("people", data, "personer.xlsx", world.admin)
    report = rows_by_number(batch)
    assert report[2]["action"] == "update"
    assert report[2]["changes"] == {
        "last_name": [a.employee.last_name, "Nyman"],
        "email": [a.employee.email, "ny@example.org"],
        "title": ["", "Lärare"],
    }
    assert report[3]["action"] == "unchanged"
    assert (batch.update_count, batch.unchanged_count) == (1, 1)

    page = _admin_client(world).get(reverse("import_detail", args=[batch.pk]))
    html = page.content.decode()
    assert f"{a.employee.email} → ny@example.org" in html

    do_commit_import(batch, actor=world.admin)
    a.employee.refresh_from_db()
    assert (a.employee.last_name, a.employee.email, a.employee.title) == ("Nyman", "ny@example.org", "Lärare")
    (event,) = [e for e in import_events(batch) if e.event_type == AuditEventType.UPDATED]
    assert event.changes["email"] == [old_email, "ny@example.org"]
    assert event.extra == {"import_batch": batch.pk, "row": 2}


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("kind", "header", "values", "model", "lookup"),
    [
        ("org_units", ["ägare", "kod", "namn", "typ"], ["NY-E", "Ny enhet", "skola"], OrgUnit, {"code": "NY-E"}),
        (
            "cost_centres",
            ["ägare", "kod", "namn", "fakturareferens"],
            ["NY-K", "Nytt kst", "REF 1"],
            CostCentre,
            {"code": "NY-K"},
        ),
        (
            "people",
            ["ägare", "identitet", "förnamn", "efternamn", "typ"],
            ["NY-P", "Ny", "Person", "extern"],
            Person,
            {"external_id": "NY-P"},
        ),
    ],
)
def test_every_kind_imports_from_csv_and_xlsx(
    world: Any, file_format: str, kind: str, header: list[str], values: list[str], model: Any, lookup: dict[str, str]
) -> None:
    rows = [header, [world.b.owner.municipality_code, *values]]
    data = csv_bytes(rows) if file_format == "csv" else xlsx_bytes(rows)
    batch = upload(kind, data, f"fil.{file_format}", world.admin)
    assert batch.status == ImportStatus.VALIDATED, batch.report
    assert not model.objects.filter(**lookup).exists()
    do_commit_import(batch, actor=world.admin)
    obj = model.objects.get(owner=world.b.owner, **lookup)
    (event,) = [e for e in import_events(batch) if e.event_type == AuditEventType.CREATED]
    assert (event.object_id, event.owner_id) == (str(obj.pk), world.b.owner.pk)


# --- failures write nothing ----------------------------------------------------------------------


@pytest.mark.django_db
def test_one_bad_row_in_the_middle_writes_nothing(world: Any) -> None:
    a = world.a
    data = csv_bytes(
        [
            ["ägare", "identitet", "förnamn", "efternamn", "e-post"],
            [a.owner.municipality_code, "N-1", "Ett", "Första", "ett@example.org"],
            [a.owner.municipality_code, "N-2", "Två", "Andra", "inte-en-adress"],
            [a.owner.municipality_code, "N-3", "Tre", "Tredje", "tre@example.org"],
        ]
    )
    people_before = Person.objects.count()
    batch = upload("people", data, "personer.csv", world.admin)

    assert batch.status == ImportStatus.FAILED_VALIDATION
    report = rows_by_number(batch)
    assert report[3]["action"] == "error"
    assert any("inte-en-adress" in message for message in report[3]["errors"])
    assert [report[n]["action"] for n in (2, 4)] == ["create", "create"]
    with pytest.raises(ValidationError):
        do_commit_import(batch, actor=world.admin)
    assert Person.objects.count() == people_before
    assert not [e for e in import_events(batch) if e.event_type != AuditEventType.UPDATED]


@pytest.mark.django_db
def test_a_row_that_fails_at_commit_time_writes_nothing_of_the_file(world: Any) -> None:
    a, b = world.a, world.b
    data = csv_bytes(
        [
            ["ägare", "kod", "namn"],
            [a.owner.municipality_code, "X-1", "Ett"],
            [b.owner.municipality_code, "X-2", "Två"],
            [a.owner.municipality_code, "X-3", "Tre"],
        ]
    )
    batch = upload("org_units", data, "enheter.csv", world.admin)
    assert batch.status == ImportStatus.VALIDATED
    actions.do_set_owner_active(b.owner, False, actor=None)  # owner B is closed after the dry run

    with pytest.raises(ValidationError):
        do_commit_import(batch, actor=world.admin)

    assert not OrgUnit.objects.filter(code__startswith="X-").exists()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED_VALIDATION
    assert rows_by_number(batch)[3]["action"] == "error"
    assert "deactivated" in " ".join(rows_by_number(batch)[3]["errors"])


@pytest.mark.django_db
def test_data_changed_since_the_dry_run_needs_a_new_confirmation(world: Any) -> None:
    a = world.a
    data = csv_bytes([["ägare", "kod", "namn"], [a.owner.municipality_code, "NY", "Ny enhet"]])
    batch = upload("org_units", data, "enheter.csv", world.admin)
    actions.do_create_org_unit({"owner": a.owner, "code": "NY", "name": "Redan skapad"}, actor=None)

    with pytest.raises(ValidationError, match="changed since the dry run"):
        do_commit_import(batch, actor=world.admin)

    batch.refresh_from_db()
    assert OrgUnit.objects.get(owner=a.owner, code="NY").name == "Redan skapad"
    assert batch.status == ImportStatus.VALIDATED
    assert rows_by_number(batch)[2]["changes"] == {"name": ["Redan skapad", "Ny enhet"]}
    do_commit_import(batch, actor=world.admin)  # confirming the new report imports it
    assert OrgUnit.objects.get(owner=a.owner, code="NY").name == "Ny enhet"
    with pytest.raises(ValidationError, match="already been imported"):
        do_commit_import(batch, actor=world.admin)


@pytest.mark.django_db
def test_a_database_error_during_commit_writes_nothing_and_can_be_retried(world: Any, monkeypatch: Any) -> None:
    from django.db import IntegrityError

    from samdrift.tenancy import imports

    a = world.a
    data = csv_bytes([["ägare", "kod", "namn"], [a.owner.municipality_code, "R-1", "Ett"]])
    batch = upload("org_units", data, "enheter.csv", world.admin)
    real_apply = imports._apply

    def failing_apply(plan: Any, batch: Any) -> Any:
        real_apply(plan, batch)
        raise IntegrityError("simulated")

    monkeypatch.setattr(imports, "_apply", failing_apply)
    with pytest.raises(ValidationError, match="database error"):
        do_commit_import(batch, actor=world.admin)
    assert not OrgUnit.objects.filter(code="R-1").exists()
    assert batch.status == ImportStatus.ERROR
    assert batch.file.storage.exists(batch.file.name)

    monkeypatch.setattr(imports, "_apply", real_apply)
    check_import(batch, actor=world.admin)
    do_commit_import(batch, actor=world.admin)
    assert OrgUnit.objects.filter(owner=a.owner, code="R-1").exists()


@pytest.mark.django_db
def test_row_errors_are_named(world: Any) -> None:
    a = world.a
    code = a.owner.municipality_code
    data = csv_bytes(
        [
            ["ägare", "identitet", "förnamn", "efternamn", "typ", "telefon", "enhet", "kostnadsställe"],
            [code, "D-1", "Ett", "Ettan", "anställd", "", "", ""],
            [code, "D-1", "Dubbel", "Dubbelsson", "anställd", "", "", ""],
            ["Ingen kommun", "D-2", "Två", "Tvåan", "", "", "", ""],
            [code, "D-3", "Tre", "Trean", "elev", "070-1234567", "", ""],
            [code, "D-4", "Fyra", "Fyran", "rektor", "", "", ""],
            [code, "D-5", "Fem", "Femman", "", "", "FINNS-INTE", "KST-INTE"],
            [code, "D-6", "x" * 101, "Sexan", "", "", "", ""],
            [code, "D-7", "", "Sjuan", "", "", "", ""],
            [code, "D-8", "Åtta", "Åttan", "", "", world.b.school.code, ""],
        ]
    )
    batch = upload("people", data, "personer.csv", world.admin)
    report = rows_by_number(batch)
    errors = {n: " ".join(row["errors"]) for n, row in report.items()}
    assert report[2]["action"] == "create"
    assert "also on row 2" in errors[3]
    assert "Ingen kommun" in errors[4]
    assert "pupils" in errors[5]
    assert "rektor" in errors[6]
    assert "FINNS-INTE" in errors[7] and "KST-INTE" in errors[7]
    assert "too long" in errors[8] and "101" in errors[8]
    assert "förnamn" in errors[9]
    assert world.b.school.code in errors[10], "another owner's unit is not found for this owner"
    assert batch.error_count == 8


@pytest.mark.django_db
def test_org_unit_cycles_are_refused(world: Any) -> None:
    a = world.a
    code = a.owner.municipality_code
    data = csv_bytes(
        [
            ["ägare", "kod", "namn", "förälder"],
            [code, a.admin_unit.code, a.admin_unit.name, a.school.code],  # the school is already under it
            [code, "SJÄLV", "Själv", "SJÄLV"],
        ]
    )
    batch = upload("org_units", data, "enheter.csv", world.admin)
    report = rows_by_number(batch)
    assert report[2]["action"] == "error"
    assert report[3]["action"] == "error"


@pytest.mark.django_db
def test_retry_after_fixing_the_data_the_file_refers_to(world: Any) -> None:
    a = world.a
    data = csv_bytes(
        [["ägare", "kod", "namn", "fakturareferens", "enhet"], [a.owner.municipality_code, "K-1", "Kst", "R", "SENARE"]]
    )
    batch = upload("cost_centres", data, "kst.csv", world.admin)
    assert batch.status == ImportStatus.FAILED_VALIDATION
    actions.do_create_org_unit({"owner": a.owner, "code": "SENARE", "name": "Senare"}, actor=None)
    check_import(batch, actor=world.admin)
    assert batch.status == ImportStatus.VALIDATED
    do_commit_import(batch, actor=world.admin)
    assert CostCentre.objects.get(owner=a.owner, code="K-1").org_unit.code == "SENARE"


# --- files that cannot be used ----------------------------------------------------------------


def _refused(world: Any, data: bytes, name: str = "fil.csv", kind: str = "people") -> str:
    batches = ImportBatch.objects.count()
    with pytest.raises(ValidationError) as info:
        do_upload_import(kind, SimpleUploadedFile(name, data), actor=world.admin)
    assert ImportBatch.objects.count() == batches, "a refused file created a batch"
    return " ".join(info.value.messages)


@pytest.mark.django_db
def test_unusable_files_are_refused_with_a_clear_message(world: Any, settings: Any, _media: Any) -> None:
    def stored() -> set[Any]:
        return {p for p in _media.rglob("*") if p.is_file()} if _media.exists() else set()

    before = stored()  # the world's other apps keep files of their own (received email, attachments)
    assert "empty" in _refused(world, b"")
    assert "empty" in _refused(world, b"\r\n  \r\n")
    assert "not readable" in _refused(world, bytes(range(256)) * 8)
    assert "Required columns are missing" in _refused(world, "Hej, det här är ett brev.\n".encode())
    assert "no rows" in _refused(world, csv_bytes([["ägare", "identitet", "förnamn", "efternamn"]]))
    assert ".xls" in _refused(world, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "gammal.xls")
    assert "not an Excel workbook" in _refused(world, "ägare;kod\n".encode(), "fel.xlsx")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("hej.txt", "hej")
    assert "Excel workbook" in _refused(world, zipped.getvalue(), "arkiv.xlsx")
    assert "Only CSV" in _refused(world, b"%PDF-1.4", "fil.pdf")
    message = _refused(world, csv_bytes([["ägare", "kod", "namn"], ["9901", "A", "B"]]), kind="people")
    assert "identitet (external_id)" in message and "org units" in message.lower()
    settings.SAMDRIFT_IMPORT_MAX_BYTES = 200
    assert "larger than" in _refused(world, csv_bytes([["ägare", "identitet"]] + [["9901", "x" * 50]] * 10))
    assert stored() == before, "a refused file was stored"


def test_parsing_accepts_bom_tabs_utf16_and_sniffs_the_delimiter() -> None:
    rows = [["Ägare", "Kod", "Namn"], ["0114", "A;B", "Upplands Väsby, norr"]]
    for data in (
        csv_bytes(rows, delimiter=";"),
        csv_bytes(rows, delimiter=",", encoding="utf-8"),
        csv_bytes(rows, delimiter="\t", encoding="utf-16"),
        csv_bytes(rows, delimiter=";", encoding="cp1252"),
    ):
        parsed = parse_file("org_units", data, "x.csv")
        assert parsed.columns == ["owner", "code", "name"]
        assert parsed.rows == [(2, {"owner": "0114", "code": "A;B", "name": "Upplands Väsby, norr"})]


# --- who may import -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_administrators_may_import(world: Any, web: Any, api: Any) -> None:
    data = csv_bytes([["ägare", "kod", "namn"], [world.a.owner.municipality_code, "Z", "Z"]])
    batch = upload("org_units", data, "enheter.csv", world.admin)
    for user in (world.agent, world.finance, world.a.viewer, world.a.orderer, world.nobody):
        with pytest.raises(PermissionDenied):
            do_upload_import("org_units", SimpleUploadedFile("e.csv", data), actor=user)
        with pytest.raises(PermissionDenied):
            do_commit_import(batch, actor=user)
        assert not ImportBatch.objects.for_user(user).exists()
        client = web(user)
        for name, args in (("import_list", []), ("import_create", []), ("import_detail", [batch.pk])):
            assert client.get(reverse(name, args=args)).status_code in {403, 404}
        assert client.post(reverse("import_commit", args=[batch.pk])).status_code in {403, 404}
        assert api(user).get("/api/v1/imports/").status_code == 403
        assert api(user).post(f"/api/v1/imports/{batch.pk}/commit/").status_code in {403, 404}
    assert not OrgUnit.objects.filter(code="Z").exists()


# --- the pages and the API -----------------------------------------------------------------------


def _admin_client(world: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(world.admin)
    return client


@pytest.mark.django_db
def test_upload_page_report_and_confirm(world: Any) -> None:
    client = _admin_client(world)
    a = world.a
    assert client.get(reverse("import_list")).status_code == 200
    assert client.get(reverse("import_create")).status_code == 200
    bad = csv_bytes(
        [["ägare", "kod", "namn"], [a.owner.municipality_code, "OK-1", "Bra"], ["0000", "OK-2", "Okänd ägare"]]
    )
    response = client.post(reverse("import_create"), {"kind": "org_units", "file": SimpleUploadedFile("e.csv", bad)})
    assert response.status_code == 302
    batch = ImportBatch.objects.latest("id")
    html = client.get(response["Location"]).content.decode()
    assert 'class="table-danger"' in html and "0000" in html
    assert reverse("import_commit", args=[batch.pk]) not in html, "no confirm button for a file with errors"

    good = csv_bytes([["ägare", "kod", "namn"], [a.owner.municipality_code, "OK-1", "Bra"]])
    response = client.post(reverse("import_create"), {"kind": "org_units", "file": SimpleUploadedFile("e.csv", good)})
    batch = ImportBatch.objects.latest("id")
    html = client.get(response["Location"]).content.decode()
    assert reverse("import_commit", args=[batch.pk]) in html
    response = client.post(reverse("import_commit", args=[batch.pk]))
    assert response.status_code == 302
    assert OrgUnit.objects.filter(owner=a.owner, code="OK-1").exists()
    assert client.get(reverse("import_list")).status_code == 200
    assert client.get(reverse("import_file", args=[batch.pk])).status_code == 200

    response = client.post(reverse("import_create"), {"kind": "org_units", "file": SimpleUploadedFile("e.csv", b"")})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


@pytest.mark.django_db
def test_templates_have_the_columns(world: Any) -> None:
    client = _admin_client(world)
    for kind, first in (("org_units", "ägare;kod;namn"), ("cost_centres", "ägare;kod"), ("people", "ägare;identitet")):
        response = client.get(reverse("import_template", args=[kind]))
        assert response.status_code == 200
        text = response.content.decode("utf-8-sig")
        assert text.startswith(first)
        parse_file(kind, (text + "9901;x;y;z;w\n").encode(), "mall.csv")
    assert client.get(reverse("import_template", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_api_upload_runs_the_dry_run_and_commit_imports(world: Any, api: Any) -> None:
    client = api(world.admin)
    a = world.a
    data = csv_bytes([["ägare", "kod", "namn"], [a.owner.municipality_code, "API-1", "Via API"]])
    response = client.post(
        "/api/v1/imports/", {"kind": "org_units", "file": SimpleUploadedFile("e.csv", data)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "validated"
    assert body["report"]["rows"][0]["action"] == "create"
    assert not OrgUnit.objects.filter(code="API-1").exists()
    assert client.get("/api/v1/imports/").json()["results"][0]["id"] == body["id"]
    assert client.get(f"/api/v1/imports/{body['id']}/").json()["report"]["counts"]["create"] == 1

    response = client.post(f"/api/v1/imports/{body['id']}/commit/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "committed"
    assert OrgUnit.objects.filter(owner=a.owner, code="API-1").exists()
    assert client.post(f"/api/v1/imports/{body['id']}/commit/").status_code == 400

    bad = csv_bytes([["ägare", "kod", "namn"], ["0000", "API-2", "Okänd"]])
    response = client.post(
        "/api/v1/imports/", {"kind": "org_units", "file": SimpleUploadedFile("e.csv", bad)}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "failed_validation"
    response = client.post(f"/api/v1/imports/{response.json()['id']}/commit/")
    assert response.status_code == 400
    assert response.json()["non_field_errors"]


@pytest.mark.django_db
def test_api_refuses_bad_uploads_with_400(world: Any, api: Any) -> None:
    client = api(world.admin)
    batches = ImportBatch.objects.count()
    cases = [
        {"kind": "org_units", "file": SimpleUploadedFile("e.csv", bytes(range(256)) * 8)},
        {"kind": "org_units", "file": SimpleUploadedFile("e.csv", b"")},
        {"kind": "nonsense", "file": SimpleUploadedFile("e.csv", b"a;b\n")},
        {"kind": "org_units"},
        {"kind": "people", "file": SimpleUploadedFile("e.csv", csv_bytes([["kod", "namn"], ["a", "b"]]))},
    ]
    for payload in cases:
        response = client.post("/api/v1/imports/", payload, format="multipart")
        assert response.status_code == 400, (payload, response.content)
        assert response.json()
    assert client.post("/api/v1/imports/", {"kind": "org_units"}, format="json").status_code == 415
    assert ImportBatch.objects.count() == batches


# --- set-based: the dry run costs the same for 50 rows as for 500 -------------------------------------


@pytest.mark.django_db
def test_dry_run_query_count_does_not_grow_with_rows(world: Any, django_assert_max_num_queries: Any) -> None:
    a = world.a
    header = ["ägare", "identitet", "förnamn", "efternamn", "e-post", "enhet", "kostnadsställe"]

    def people(n: int) -> bytes:
        rows = [header]
        for i in range(n):
            rows.append(
                [
                    a.owner.municipality_code,
                    f"Q-{i}",
                    f"För{i}",
                    f"Efter{i}",
                    f"p{i}@example.org",
                    a.school.code,
                    a.cost_centre.code,
                ]
            )
        rows.append([a.owner.municipality_code, a.employee.external_id, "Ändrad", "Person", "", "", ""])
        return csv_bytes(rows)

    counts = []
    for n in (50, 500):
        batch = do_upload_import("people", SimpleUploadedFile("p.csv", people(n)), actor=world.admin)
        actor = User.objects.get(pk=world.admin.pk)
        with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as captured:
            check_import(batch, actor=actor)
        assert batch.status == ImportStatus.VALIDATED, batch.report["rows"][:3]
        assert batch.create_count == n
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- the one reader (samdrift.core.tabular) ----------------------------------------------------------


def test_one_reader_for_every_encoding_delimiter_and_xlsx() -> None:
    from samdrift.core.tabular import read_table

    rows = [["Artikel", "Benämning", "Pris"], ["A-1", "Skärm, 24 tum", "1 234,50"]]
    for data, file_format in (
        (csv_bytes(rows, delimiter=";", encoding="utf-8-sig"), "csv"),  # UTF-8 with BOM, as Excel writes
        (csv_bytes(rows, delimiter=",", encoding="utf-8"), "csv"),
        (csv_bytes(rows, delimiter="\t", encoding="utf-16"), "csv"),
        (csv_bytes(rows, delimiter=";", encoding="cp1252"), "csv"),  # Windows-1252
        (csv_bytes(rows, delimiter=";").replace(b"\r\n", b"\r"), "csv"),  # old Mac line ends
        (xlsx_bytes(rows), "xlsx"),
    ):
        table = read_table(data, "x")
        assert table.file_format == file_format
        assert table.rows == [(1, rows[0]), (2, rows[1])], data[:40]


def test_one_rule_for_formula_cells() -> None:
    from samdrift.core.tabular import cell_text, looks_like_formula

    for formula in ('=HYPERLINK("http://x";"y")', "+SUM(A1)", "-1+A2", "@SUM(A1)", "\t=1", "=1+1"):
        assert looks_like_formula(formula), formula
    for value in ("-12,50", "+46 70-123 45 67", "+46701234567", "(08) 123 45", "Anna", "", "1=1"):
        assert not looks_like_formula(value), value
    # What our own exports escape with an apostrophe reads back as the number it is.
    assert cell_text("'+46701234567") == "+46701234567"
    assert cell_text("'=1+1") == "'=1+1"


def test_one_upload_limit(settings: Any) -> None:
    from samdrift.core.tabular import read_table, read_upload

    settings.SAMDRIFT_IMPORT_MAX_BYTES = 100
    for call in (
        lambda: read_upload(SimpleUploadedFile("x.csv", b"a;b\n" * 50)),
        lambda: read_table(b"a;b\n" * 50, "x.csv"),
    ):
        with pytest.raises(ValidationError, match="larger than 100"):
            call()
    with translation.override("sv"), pytest.raises(ValidationError) as caught:
        read_upload(SimpleUploadedFile("x.csv", b"a;b\n" * 50))
    assert "större än" in " ".join(caught.value.messages)


@pytest.mark.django_db
def test_formula_cells_make_their_row_an_error_in_the_people_import(world: Any) -> None:
    a = world.a
    data = csv_bytes(
        [
            ["ägare", "identitet", "förnamn", "efternamn", "telefon"],
            [a.owner.municipality_code, "F-1", '=HYPERLINK("http://x";"Anna")', "Berg", ""],
            [a.owner.municipality_code, "F-2", "Bo", "Ek", "+46 70-123 45 67"],
        ]
    )
    batch = upload("people", data, "personer.csv", world.admin)
    rows = rows_by_number(batch)
    assert rows[2]["action"] == "error" and "formulas are not imported" in rows[2]["errors"][0]
    assert rows[3]["action"] == "create", rows[3]
    assert batch.status == ImportStatus.FAILED_VALIDATION


# --- people imports are jobs ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_large_people_file_runs_as_a_job_with_progress(
    world: Any, web: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SAMDRIFT_IMPORT_SYNC_ROWS = 5
    a = world.a
    rows = [["ägare", "identitet", "förnamn", "efternamn"]]
    rows += [[a.owner.municipality_code, f"JOB-{i}", f"F{i}", f"E{i}"] for i in range(12)]
    client = web(world.admin)
    # Queued, not run: the page shows the job's progress and polls it.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("import_create"), {"kind": "people", "file": SimpleUploadedFile("p.csv", csv_bytes(rows))}
        )
    batch = ImportBatch.objects.latest("id")
    assert response.status_code == 302 and batch.status == ImportStatus.CHECKING
    assert batch.lease_expires is not None  # queued: found by the sweep if its task is lost
    page = client.get(batch.get_absolute_url())
    assert b'id="job-progress"' in page.content and b"hx-get" in page.content
    fragment = client.get(batch.get_absolute_url() + "?part=progress", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and b'role="progressbar"' in fragment.content
    # Run by a worker: the dry run, then the all-or-nothing commit.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.UPLOADED)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_check", args=[batch.pk]))
    batch.refresh_from_db()
    assert (batch.status, batch.progress, batch.create_count) == (ImportStatus.VALIDATED, 100, 12)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED and batch.lease_expires is None
    assert Person.objects.filter(external_id__startswith="JOB-").count() == 12


@pytest.mark.django_db
def test_a_job_whose_queued_task_was_lost_is_swept_and_can_run_again(
    world: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from samdrift.core.jobs import sweep_expired_jobs
    from samdrift.tenancy.imports import start_check

    settings.SAMDRIFT_IMPORT_SYNC_ROWS = 1
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    a = world.a
    rows = [["ägare", "identitet", "förnamn", "efternamn"]]
    rows += [[a.owner.municipality_code, f"LOST-{i}", "F", "E"] for i in range(3)]
    batch = do_upload_import("people", SimpleUploadedFile("p.csv", csv_bytes(rows)), actor=world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        start_check(batch, actor=world.admin)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKING
    later = batch.lease_expires + timedelta(seconds=1)
    # Still waiting in the queue (a busy worker): not lost, its lease starts again.
    assert sweep_expired_jobs(later) == []
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKING and batch.lease_expires > timezone.now()
    # The queued task is lost (a Redis flush, a row removed by hand) before any worker took it.
    DBTaskResult.objects.filter(task_path="samdrift.core.tasks.run_import_job").delete()
    with translation.override("sv"):
        marked = sweep_expired_jobs(batch.lease_expires + timedelta(seconds=1))
    assert marked == [("tenancy.import", batch.pk)]
    batch.refresh_from_db()
    assert batch.status == ImportStatus.ERROR and batch.expired_at is not None
    assert "köades" in batch.message  # Swedish, says what happened
    # Rerunnable at once.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        start_check(batch, actor=world.admin)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED and batch.create_count == 3


@pytest.mark.django_db
def test_a_running_job_queued_without_a_lease_is_swept_too(world: Any) -> None:
    """A kind whose code queued the job without starting a lease (and whose task is gone) is
    found as well: the sweep starts its lease, and fails it when that runs out."""
    from datetime import timedelta

    from django.utils import timezone

    from samdrift.core.jobs import sweep_expired_jobs

    data = csv_bytes([["ägare", "kod", "namn"], [world.a.owner.municipality_code, "NL-1", "N"]])
    batch = do_upload_import("org_units", SimpleUploadedFile("e.csv", data), actor=world.admin)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.CHECKING, lease_expires=None)
    now = timezone.now()
    assert sweep_expired_jobs(now) == []
    batch.refresh_from_db()
    assert batch.lease_expires is not None
    assert sweep_expired_jobs(batch.lease_expires + timedelta(seconds=1)) == [("tenancy.import", batch.pk)]
    batch.refresh_from_db()
    assert batch.status == ImportStatus.ERROR


# --- price lists on the same reader and pipeline ------------------------------------------------------


@pytest.mark.django_db
def test_a_large_price_list_runs_as_jobs_and_a_formula_is_a_row_error(
    world: Any, web: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import timedelta

    from samdrift.ordering import imports as price_imports
    from samdrift.ordering.models import AgreementArticle, PriceImport

    settings.SAMDRIFT_IMPORT_SYNC_ROWS = 2
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    agreement = world.extra["ordering"]["agreement"]
    day = agreement.start + timedelta(days=400)
    rows = [["article_number", "description", "unit", "category", "unit_price"]]
    rows += [[f"JOB-{i}", f"Artikel {i}", "st", "laptop", f"{100 + i},50"] for i in range(5)]
    bad = [*rows, ["JOB-X", '=HYPERLINK("http://x";"Klicka")', "st", "laptop", "1"]]
    with django_capture_on_commit_callbacks(execute=True):
        refused = price_imports.do_check_price_list(agreement, csv_bytes(bad), "fel.csv", day, actor=world.admin)
    refused.refresh_from_db()
    assert refused.status == "checked" and refused.error_count == 1
    assert "formulas are not imported" in refused.report["errors"][0]["error"]
    with pytest.raises(ValidationError):
        price_imports.do_apply_price_list(refused, actor=world.admin)
    assert not AgreementArticle.objects.filter(article_number__startswith="JOB-").exists()

    with django_capture_on_commit_callbacks(execute=True):
        imp = price_imports.do_check_price_list(agreement, csv_bytes(rows), "ny.csv", day, actor=world.admin)
    assert imp.status == "checking"  # what the request answered: queued as a job
    imp.refresh_from_db()
    assert (imp.status, imp.progress, imp.new_count, imp.error_count) == ("checked", 100, 5, 0)
    client = web(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(imp.get_absolute_url()).status_code == 302
    imp = PriceImport.objects.get(pk=imp.pk)
    assert imp.status == "imported" and imp.lease_expires is None
    assert AgreementArticle.objects.filter(article_number__startswith="JOB-", valid_from=day).count() == 5
    page = client.get(imp.get_absolute_url() + "?part=progress", HTTP_HX_REQUEST="true")
    assert page.status_code == 200 and b"job-progress" in page.content


def test_confirmation_files_with_a_formula_are_refused_naming_the_row() -> None:
    from samdrift.ordering.imports import read_table

    data = csv_bytes([["purchase_order", "supplier_reference"], ["IO-1", "=cmd|' /C calc'!A0"]])
    with pytest.raises(ValidationError) as caught:
        read_table(data, "ob.csv")
    assert caught.value.messages[0].startswith("Row 2: supplier_reference begins with “=”")
