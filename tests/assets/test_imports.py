"""Asset import from CSV and XLSX: column mapping (saved and reused), dry run with a row-by-row
report, all-or-nothing commit that checks the file again, large files as tasks, bad files."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from samdrift.assets import actions, imports
from samdrift.assets.models import (
    Asset,
    AssetAssignment,
    AssetImport,
    AssetImportMapping,
    AssetImportRow,
    AssetStatus,
    ImportState,
)
from samdrift.core.models import AuditEvent

pytestmark = pytest.mark.django_db

HEADER = "Serienummer;Tillverkare;Modell;Inköpsdatum;Pris;Ordernummer;Kostnadsställe;Plats\n"


def csv_file(text: str, name: str = "leverans.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows: list[list[Any]], name: str = "mdm.xlsx") -> SimpleUploadedFile:
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def delivery(world: Any, rows: list[str]) -> str:
    m = world.a.marker
    return HEADER + "".join(
        r.format(maker=f"Tillverkare {m}", model=f"Modell {m}", cc=f"CC-{m}", site=f"Plats {m}") + "\n" for r in rows
    )


def upload(world: Any, text: str, **kwargs: Any) -> AssetImport:
    with translation.override("en"):
        return imports.do_upload_asset_import(world.a.owner, csv_file(text), actor=world.technician, **kwargs)


def checked(world: Any, text: str) -> AssetImport:
    batch = upload(world, text)
    with translation.override("en"):
        return imports.check_asset_import(batch, actor=world.technician)


def errors_of(batch: AssetImport) -> dict[int, list[str]]:
    return {r.row: r.errors for r in AssetImportRow.objects.filter(batch=batch, action=imports.ERROR)}


def test_delivery_file_dry_run_then_commit_creates_assets_with_history_and_audit(world: Any) -> None:
    text = delivery(
        world,
        [
            "NEW-1;{maker};{model};2026-03-01;12 345,50;PO-77;{cc};{site}",
            "NEW-2;{maker};{model};01.03.2026;9999;PO-77;{cc};",
        ],
    )
    batch = checked(world, text)
    assert batch.status == ImportState.VALIDATED, errors_of(batch)
    assert (batch.create_count, batch.update_count, batch.error_count) == (2, 0, 0)
    assert not Asset.objects.filter(serial_number__startswith="NEW-").exists()  # the dry run writes no asset

    events = AuditEvent.objects.count()
    batch = imports.do_commit_asset_import(batch, actor=world.technician)
    assert batch.status == ImportState.COMMITTED
    first = Asset.objects.get(serial_number="NEW-1")
    assert first.owner == world.a.owner
    assert first.asset_tag == "NEW-1"  # no tag column: the serial number is the tag (a warning says so)
    assert first.price == Decimal("12345.50")
    assert str(first.purchase_date) == "2026-03-01"
    assert first.cost_centre == world.a.cost_centre
    assert first.site == world.a.extra["site"]
    assert first.status == AssetStatus.IN_STOCK
    assert str(Asset.objects.get(serial_number="NEW-2").purchase_date) == "2026-03-01"
    assert AssetAssignment.objects.filter(asset=first, ended_at__isnull=True, reason="import").count() == 1
    created = AuditEvent.objects.filter(object_type="assets.asset", object_id=str(first.pk), event_type="created").get()
    assert created.extra["import"] == batch.pk
    assert AuditEvent.objects.filter(event_type="imported", object_id=str(batch.pk)).exists()
    assert AuditEvent.objects.count() == events + 3


def test_update_of_known_serial_and_unchanged_rows(world: Any) -> None:
    asset = world.a.extra["asset"]  # serial SN-<marker>
    m = world.a.marker
    text = delivery(world, [f"SN-{m};{{maker}};{{model}};2025-01-02;8000;PO-1;{{cc}};{{site}}"])
    batch = checked(world, text)
    assert batch.update_count == 1, errors_of(batch)
    row = AssetImportRow.objects.get(batch=batch)
    assert row.changes["price"] == [None, "8000.00"]
    imports.do_commit_asset_import(batch, actor=world.technician)
    asset.refresh_from_db()
    assert asset.price == Decimal("8000.00")
    assert asset.assigned_to is not None  # the import does not touch who has it
    again = checked(world, text)
    assert (again.unchanged_count, again.update_count) == (1, 0)


def test_bad_rows_are_reported_one_by_one_and_nothing_is_written(world: Any) -> None:
    m = world.a.marker
    Asset.objects.filter(pk=world.b.extra["asset"].pk).update(
        manufacturer=world.a.extra["manufacturer"], model=world.a.extra["asset_model"], serial_number="B-OWNS"
    )
    text = delivery(
        world,
        [
            "D-1;{maker};{model};2026-01-01;100;;{cc};",  # 2: fine
            "D-1;{maker};{model};2026-01-01;100;;{cc};",  # 3: duplicate serial in the file
            "B-OWNS;{maker};{model};2026-01-01;100;;{cc};",  # 4: another owner's device
            "D-4;{maker};{model};2026-02-30;100;;{cc};",  # 5: no such date
            "D-5;{maker};{model};2026-01-01;12,345.678;;{cc};",  # 6: three decimals
            "D-6;{maker};{model};2026-01-01;gratis;;{cc};",  # 7: not an amount
            "D-7;Okänd;{model};;;;;",  # 8: unknown manufacturer
            "D-8;{maker};Finns inte;;;;;",  # 9: unknown model
            "D-9;{maker};{model};;;;NOPE;",  # 10: unknown cost centre
            "D-10;{maker};{model};;-5;;;",  # 11: negative price
            f'D-11;{{maker}};{{model}};;;=HYPERLINK("http://x","{m}");;',  # 12: formula
        ],
    )
    batch = checked(world, text)
    assert batch.status == ImportState.FAILED_VALIDATION
    errors = errors_of(batch)
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
    assert "also on row 2" in errors[3][0]
    assert "another owner" in errors[4][0]
    assert "not a date" in errors[5][0]
    assert "two decimals" in errors[6][0]
    assert "not an amount" in errors[7][0]
    assert "Unknown manufacturer" in errors[8][0]
    assert "Unknown model" in errors[9][0]
    assert "does not exist" in errors[10][0]
    assert "negative" in errors[11][0]
    assert "formulas are not imported" in errors[12][0]
    with pytest.raises(ValidationError):
        imports.do_commit_asset_import(batch, actor=world.technician)
    assert not Asset.objects.filter(serial_number__startswith="D-").exists()


def test_duplicate_against_the_database_by_tag(world: Any) -> None:
    m = world.a.marker
    text = "Inventarienummer;Serienummer;Modell\n" + f"T-{m};OTHER-SERIAL;Modell {m}\n"
    batch = checked(world, text)
    errors = errors_of(batch)
    assert errors and "has the serial number" in next(iter(errors.values()))[0]


def test_commit_checks_the_file_again_and_refuses_a_changed_register(world: Any) -> None:
    text = delivery(world, ["RACE-1;{maker};{model};;;;;"])
    batch = checked(world, text)
    assert batch.status == ImportState.VALIDATED
    # Meanwhile someone registers the same device by hand.
    actions.do_create_asset(
        {
            "owner": world.a.owner,
            "asset_tag": "HAND-1",
            "model": world.a.extra["asset_model"],
            "serial_number": "RACE-1",
        },
        actor=world.technician,
    )
    with translation.override("en"), pytest.raises(ValidationError, match="changed since the dry run"):
        imports.do_commit_asset_import(batch, actor=world.technician)
    batch.refresh_from_db()
    assert batch.status == ImportState.VALIDATED  # the new report: the row is now the hand-made asset
    assert (batch.create_count, batch.unchanged_count) == (0, 1)
    assert Asset.objects.filter(serial_number="RACE-1").count() == 1


def test_all_or_nothing_when_the_database_refuses(world: Any) -> None:
    """A row the check could not foresee (a tag taken by a concurrent insert) rolls back every row."""
    text = "Inventarienummer;Serienummer;Modell\n" + "".join(
        f"ALL-{i};ALLSN-{i};Modell {world.a.marker}\n" for i in range(5)
    )
    batch = checked(world, text)
    assert batch.status == ImportState.VALIDATED
    from django.db import connection

    # Simulate the race by making the tag unique constraint fail on insert of the fourth row only.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER t_refuse BEFORE INSERT ON assets_asset FOR EACH ROW WHEN NEW.asset_tag = 'ALL-3' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            if connection.vendor == "sqlite"
            else "CREATE FUNCTION f_refuse() RETURNS trigger AS $$ BEGIN IF NEW.asset_tag = 'ALL-3' THEN "
            "RAISE EXCEPTION 'refused' USING ERRCODE = '23505'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql; "
            "CREATE TRIGGER t_refuse BEFORE INSERT ON assets_asset FOR EACH ROW EXECUTE FUNCTION f_refuse()"
        )
    with pytest.raises(ValidationError):
        imports.do_commit_asset_import(batch, actor=world.technician)
    assert not Asset.objects.filter(asset_tag__startswith="ALL-").exists()
    batch.refresh_from_db()
    assert batch.status == ImportState.ERROR


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "tom.csv", "empty"),
        (b"   \n\n", "tom.csv", "empty"),
        (b"Serienummer;Modell\n", "bara-rubrik.csv", "no rows"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "gammal.xls", "old Excel"),
        (b"PK\x03\x04 not really a zip", "trasig.xlsx", "could not be read"),
        (b"\x00\x01\x02\x03binary", "data.csv", "not readable text"),
        (b"a;b\n1;2\n", "bild.png", "Only CSV and Excel"),
    ],
)
def test_unusable_files_are_refused_and_nothing_is_stored(world: Any, content: bytes, name: str, message: str) -> None:
    before = AssetImport.objects.count()
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        imports.do_upload_asset_import(world.a.owner, SimpleUploadedFile(name, content), actor=world.technician)
    assert AssetImport.objects.count() == before


def test_windows_1252_and_utf16_files_are_read(world: Any) -> None:
    m = world.a.marker
    text = "Serienummer;Modell;Anteckning\n" + f"ENC-1;Modell {m};Köpt på rea\n"
    for encoding in ("cp1252", "utf-16"):
        batch = imports.do_upload_asset_import(world.a.owner, csv_file(text, encoding=encoding), actor=world.technician)
        batch = imports.check_asset_import(batch, actor=world.technician)
        row = AssetImportRow.objects.get(batch=batch)
        assert row.changes["notes"] == [None, "Köpt på rea"], encoding


def test_missing_columns_are_a_clear_error(world: Any) -> None:
    batch = upload(world, "Färg;Vikt\nröd;2\n")
    assert batch.columns == {}
    with translation.override("en"), pytest.raises(ValidationError, match="serial number or the asset tag"):
        imports.do_set_import_columns(batch, {}, {}, actor=world.technician)
    with translation.override("en"), pytest.raises(ValidationError, match="no column"):
        imports.do_set_import_columns(batch, {"serial_number": "Saknas"}, {}, actor=world.technician)
    with translation.override("en"), pytest.raises(ValidationError, match="chosen for both"):
        imports.do_set_import_columns(batch, {"serial_number": "Färg", "asset_tag": "Färg"}, {}, actor=world.technician)


def test_xlsx_mdm_export_with_chosen_columns_saved_and_reused(world: Any) -> None:
    m = world.a.marker
    rows = [
        ["Device serial", "Model", "Enrolled", "Device name"],
        ["MDM-1", f"Tillverkare {m} Modell {m}", "2025-11-05T08:12:00Z", "ELEV-001"],
        ["MDM-2", f"Modell {m}", "11/05/2025 8:12:00 AM", "ELEV-002"],
    ]
    batch = imports.do_upload_asset_import(world.a.owner, xlsx_file(rows), actor=world.technician)
    assert "serial_number" not in batch.columns  # "Device serial" is not a known header
    columns = {
        "serial_number": "Device serial",
        "model": "Model",
        "purchase_date": "Enrolled",
        "hostname": "Device name",
    }
    batch = imports.do_set_import_columns(
        batch,
        columns,
        {"default_status": "ordered", "date_order": "mdy", "tag_from_serial": True},
        actor=world.technician,
        save_as="Intune",
    )
    mapping = AssetImportMapping.objects.get(name="Intune")
    assert mapping.owner == world.a.owner
    batch = imports.check_asset_import(batch, actor=world.technician)
    assert batch.create_count == 2, errors_of(batch)
    imports.do_commit_asset_import(batch, actor=world.technician)
    second = Asset.objects.get(serial_number="MDM-2")
    assert (str(second.purchase_date), second.hostname, second.status) == ("2025-11-05", "ELEV-002", "ordered")

    # Next month's export: the saved mapping is chosen at upload and the file checks at once.
    rows[1][3] = "ELEV-001-NY"
    again = imports.do_upload_asset_import(world.a.owner, xlsx_file(rows), actor=world.technician, mapping=mapping)
    assert again.columns == columns
    again = imports.check_asset_import(again, actor=world.technician)
    assert (again.update_count, again.unchanged_count) == (1, 1)
    # A mapping of one owner is not offered for another.
    with pytest.raises(ValidationError):
        imports.do_upload_asset_import(world.b.owner, xlsx_file(rows), actor=world.technician, mapping=mapping)


def test_formulas_in_xlsx_are_refused(world: Any) -> None:
    m = world.a.marker
    rows = [
        ["Serienummer", "Modell", "Pris", "Anteckning"],
        ["F-1", f"Modell {m}", "=1+1", "ok"],
        ["F-2", f"Modell {m}", 5, "@SUM(A1)"],
    ]
    batch = imports.do_upload_asset_import(world.a.owner, xlsx_file(rows), actor=world.technician)
    with translation.override("en"):
        batch = imports.check_asset_import(batch, actor=world.technician)
    errors = errors_of(batch)
    assert set(errors) == {2, 3}
    assert all("formulas are not imported" in e[0] for e in errors.values())


def test_row_limit(world: Any, settings: Any) -> None:
    from samdrift.tenancy import imports as people_imports

    text = "Serienummer;Modell\n" + "".join(f"X{i};M\n" for i in range(people_imports.MAX_ROWS + 2))
    with translation.override("en"), pytest.raises(ValidationError, match="more than"):
        imports.do_upload_asset_import(world.a.owner, csv_file(text), actor=world.technician)


def test_only_staff_import(world: Any) -> None:
    for user in (world.a.viewer, world.a.orderer, world.agent):
        with pytest.raises(PermissionDenied):
            imports.do_upload_asset_import(world.a.owner, csv_file("Serienummer\nX\n"), actor=user)


def test_large_file_runs_as_a_task_with_progress(
    world: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.SAMDRIFT_IMPORT_SYNC_ROWS = 10
    text = delivery(world, [f"BIG-{i};{{maker}};{{model}};2026-01-01;100;;{{cc}};" for i in range(30)])
    batch = upload(world, text)
    with django_capture_on_commit_callbacks(execute=True):
        queued = imports.start_check(batch, actor=world.technician)
    assert queued.status == ImportState.CHECKING  # what the request answered: queued
    batch.refresh_from_db()
    assert (batch.status, batch.progress, batch.create_count) == (ImportState.VALIDATED, 100, 30)
    with django_capture_on_commit_callbacks(execute=True):
        imports.start_commit(batch, actor=world.technician)
    batch.refresh_from_db()
    assert batch.status == ImportState.COMMITTED
    assert Asset.objects.filter(serial_number__startswith="BIG-").count() == 30


def test_pages_upload_choose_columns_check_and_commit(world: Any, web: Any) -> None:
    client = web(world.technician)
    text = delivery(world, ["WEB-1;{maker};{model};2026-01-01;100;PO-9;{cc};{site}"])
    response = client.post(
        reverse("assetimport_create"), {"owner": world.a.owner.pk, "file": csv_file(text)}, follow=False
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = AssetImport.objects.get(original_filename="leverans.csv")
    page = client.get(reverse("assetimport_columns", args=[batch.pk]))
    assert page.status_code == 200
    assert "Serienummer" in page.content.decode()
    data = {f"col_{name}": header for name, header in batch.columns.items()}
    data.update({"default_status": "in_stock", "date_order": "dmy", "tag_from_serial": "on", "save_as": "Leverantör X"})
    response = client.post(reverse("assetimport_columns", args=[batch.pk]), data)
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportState.VALIDATED
    assert AssetImportMapping.objects.filter(name="Leverantör X", owner=world.a.owner).exists()
    detail = client.get(reverse("assetimport_detail", args=[batch.pk]))
    assert "WEB-1" in detail.content.decode()
    response = client.post(reverse("assetimport_commit", args=[batch.pk]))
    assert response.status_code == 302
    assert Asset.objects.filter(serial_number="WEB-1").exists()
    # An owner's viewer sees no import.
    assert web(world.a.viewer).get(reverse("assetimport_detail", args=[batch.pk])).status_code == 404
    # The saved mapping is offered at the next upload, and can be withdrawn.
    mapping = AssetImportMapping.objects.get(name="Leverantör X")
    offered = f"Leverantör X ({world.a.owner.name})"
    assert offered in client.get(reverse("assetimport_create")).content.decode()
    client.post(reverse("assetimportmapping_delete", args=[mapping.pk]))
    mapping.refresh_from_db()
    assert not mapping.active
    assert offered not in client.get(reverse("assetimport_create")).content.decode()
    assert AuditEvent.objects.filter(object_type="assets.assetimportmapping", event_type="deactivated").exists()
