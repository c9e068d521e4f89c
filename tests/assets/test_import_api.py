"""The asset import API: upload → columns → dry run → report → commit, the refusals (bad files,
bad columns, another owner's mapping, commit without a clean dry run), who may import, owner
isolation, large files as tasks, saved mappings, and constant query counts on the lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samdrift.assets import imports
from samdrift.assets.models import Asset, AssetAssignment, AssetImport, AssetImportMapping, AssetImportRow
from samdrift.core.models import AuditEvent
from samdrift.tenancy.models import User

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
URL = "/api/v1/asset-imports/"
MAPPINGS = "/api/v1/asset-import-mappings/"
# The columns of the delivery files in tests/assets/data, as the import recognises them.
DELIVERY_COLUMNS = {
    "manufacturer": "Tillverkare",
    "model": "Modell",
    "serial_number": "Serienummer",
    "purchase_date": "Leveransdatum",
    "price": "Styckpris",
    "order_reference": "Ordernummer",
    "cost_centre": "Kostnadsställe",
    "site": "Plats",
}


def sample(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (DATA / name).read_bytes(), content_type="text/csv")


def csv_file(text: str, name: str = "leverans.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def rows_text(world: Any, serials: list[str]) -> str:
    m = world.a.marker
    return "Serienummer;Tillverkare;Modell\n" + "".join(f"{s};Tillverkare {m};Modell {m}\n" for s in serials)


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def tech(world: Any, api: Any) -> Any:
    client = api(world.technician)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages in English (Swedish by default)
    return client


def upload(client: Any, owner: Any, file: Any, **fields: Any) -> Any:
    """POST a file as multipart form data; dicts are sent as JSON text, as curl -F would."""
    data = {"owner": getattr(owner, "pk", owner), "file": file}
    data.update({k: json.dumps(v) if isinstance(v, dict) else v for k, v in fields.items()})
    return client.post(URL, data, format="multipart")


# --- the flow ----------------------------------------------------------------------------------


def test_upload_choose_columns_check_read_rows_and_commit(world: Any, tech: Any) -> None:
    a = world.a
    response = upload(tech, a.owner, sample("leverans-rattad.csv"))
    assert response.status_code == 201, response.json()
    body = response.json()
    batch_id = body["id"]
    # Without a mapping the columns are guessed and shown; nothing is checked yet.
    assert body["status"] == "uploaded"
    assert body["columns"] == DELIVERY_COLUMNS
    assert "Artikelnummer" in body["headers"]  # kept, not mapped
    assert body["row_count"] == 3 and body["checked_at"] is None
    assert not AssetImportRow.objects.filter(batch_id=batch_id).exists()

    # Confirm the columns (and save them by name): the dry run runs and writes no asset.
    response = tech.post(
        f"{URL}{batch_id}/columns/",
        {"columns": body["columns"], "options": {"default_status": "ordered"}, "save_as": "Leverantör AB"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["create_count"], body["error_count"], body["progress"]) == ("validated", 3, 0, 100)
    assert body["options"] == {"default_status": "ordered", "date_order": "dmy", "tag_from_serial": True}
    mapping = AssetImportMapping.objects.get(name="Leverantör AB")
    assert (mapping.owner_id, body["mapping"]) == (a.owner.pk, mapping.pk)
    assert not Asset.objects.filter(serial_number__startswith="LEV-").exists()

    # The dry run again, as after fixing data the file refers to: same outcome.
    response = tech.post(f"{URL}{batch_id}/check/")
    assert response.status_code == 200 and response.json()["status"] == "validated"

    # The report, row by row in file order, with what each row would write.
    response = tech.get(f"{URL}{batch_id}/rows/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["row"], r["key"], r["action"]) for r in rows] == [
        (2, "LEV-0001", "create"),
        (3, "LEV-0002", "create"),
        (4, "LEV-0003", "create"),
    ]
    assert rows[0]["changes"]["price"] == [None, "12345.50"]
    assert rows[0]["warnings"] == ["No asset tag: the serial number is used as the tag."]

    events = AuditEvent.objects.count()
    response = tech.post(f"{URL}{batch_id}/commit/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "committed" and body["committed_by"] == world.technician.pk

    assets = {x.serial_number: x for x in Asset.objects.filter(serial_number__startswith="LEV-")}
    assert set(assets) == {"LEV-0001", "LEV-0002", "LEV-0003"}
    first = assets["LEV-0001"]
    assert (first.owner_id, first.asset_tag, str(first.price), str(first.purchase_date)) == (
        a.owner.pk,
        "LEV-0001",
        "12345.50",
        "2026-03-02",
    )
    assert (first.status, first.cost_centre_id, first.order_reference) == ("ordered", a.cost_centre.pk, "PO-2026-0412")
    assert AssetAssignment.objects.filter(asset__in=assets.values(), reason="import").count() == 3
    created = AuditEvent.objects.filter(object_type="assets.asset", event_type="created", extra__import=batch_id)
    assert sorted(int(e.object_id) for e in created) == sorted(x.pk for x in assets.values())
    assert all(e.actor_id == world.technician.pk for e in created)
    imported = AuditEvent.objects.get(object_type="assets.assetimport", object_id=str(batch_id), event_type="imported")
    assert imported.extra["counts"]["create"] == 3
    assert AuditEvent.objects.count() == events + 4

    # Imported once: a second commit is refused and writes nothing.
    response = tech.post(f"{URL}{batch_id}/commit/")
    assert response.status_code == 400
    assert "already been imported" in json.dumps(response.json())
    assert Asset.objects.filter(serial_number__startswith="LEV-").count() == 3
    assert AuditEvent.objects.count() == events + 4


def test_erroneous_row_is_flagged_and_commit_refused_until_a_corrected_file(world: Any, tech: Any) -> None:
    a = world.a
    response = upload(tech, a.owner, sample("leverans-med-fel.csv"), columns=DELIVERY_COLUMNS)
    assert response.status_code == 201, response.json()
    body = response.json()
    # With columns given, the dry run runs at once.
    assert (body["status"], body["create_count"], body["error_count"]) == ("failed_validation", 2, 1)

    errors = tech.get(f"{URL}{body['id']}/rows/", {"action": "error"}).json()["results"]
    assert [(r["row"], r["key"]) for r in errors] == [(4, "LEV-0003")]
    assert errors[0]["errors"] == ["Unknown model “Modell X999”; add it to the catalogue first."]
    changes = tech.get(f"{URL}{body['id']}/rows/", {"action": ["create", "update"]}).json()["results"]
    assert [r["row"] for r in changes] == [2, 3]

    events = AuditEvent.objects.count()
    response = tech.post(f"{URL}{body['id']}/commit/")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Run the dry run and correct every error before importing."]}
    assert not Asset.objects.filter(serial_number__startswith="LEV-").exists()
    assert AssetImport.objects.get(pk=body["id"]).status == "failed_validation"
    assert AuditEvent.objects.count() == events

    # The corrected file goes through.
    fixed = upload(tech, a.owner, sample("leverans-rattad.csv"), columns=DELIVERY_COLUMNS).json()
    assert (fixed["status"], fixed["error_count"]) == ("validated", 0)
    assert tech.post(f"{URL}{fixed['id']}/commit/").status_code == 200
    assert Asset.objects.filter(owner=a.owner, serial_number__startswith="LEV-").count() == 3


def test_commit_without_a_dry_run_is_refused(world: Any, tech: Any) -> None:
    body = upload(tech, world.a.owner, sample("leverans-rattad.csv")).json()
    assert body["status"] == "uploaded"
    response = tech.post(f"{URL}{body['id']}/commit/")
    assert response.status_code == 400
    assert "Run the dry run" in response.json()["non_field_errors"][0]
    assert not Asset.objects.filter(serial_number__startswith="LEV-").exists()


def test_a_register_changed_since_the_dry_run_is_refused_with_the_new_report(world: Any, tech: Any) -> None:
    body = upload(tech, world.a.owner, sample("leverans-rattad.csv"), columns=DELIVERY_COLUMNS).json()
    assert body["status"] == "validated"
    from samdrift.assets import actions

    actions.do_create_asset(
        {
            "owner": world.a.owner,
            "asset_tag": "HAND-1",
            "model": world.a.extra["asset_model"],
            "serial_number": "LEV-0002",
        },
        actor=world.technician,
    )
    response = tech.post(f"{URL}{body['id']}/commit/")
    assert response.status_code == 400
    assert "changed since the dry run" in response.json()["non_field_errors"][0]
    assert Asset.objects.filter(serial_number__startswith="LEV-").count() == 1  # only the hand-made one
    again = tech.get(f"{URL}{body['id']}/").json()
    assert (again["status"], again["create_count"], again["update_count"]) == ("validated", 2, 1)
    assert tech.post(f"{URL}{body['id']}/commit/").status_code == 200  # confirming the new report
    assert Asset.objects.filter(serial_number__startswith="LEV-").count() == 3


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error_field", "message"),
    [
        ({"file": SimpleUploadedFile("data.csv", b"\x00\x01\x02\x03binary")}, "file", "not readable text"),
        ({"file": SimpleUploadedFile("trasig.xlsx", b"PK\x03\x04 not a zip")}, "file", "could not be read"),
        ({"file": SimpleUploadedFile("tom.csv", b"")}, "file", "empty"),
        ({"file": SimpleUploadedFile("bild.png", b"a;b\n1;2\n")}, "file", "Only CSV and Excel"),
        ({"columns": {"serial_number": "Serienummer", "colour": "Färg"}}, "columns", "Unknown field “colour”"),
        ({"columns": {"serial_number": "Finns inte"}}, "columns", "no column “Finns inte”"),
        ({"columns": {"model": "Modell"}}, "columns", "serial number or the asset tag"),
        ({"columns": {"serial_number": "Modell", "model": "Modell"}}, "columns", "chosen for both"),
        ({"columns": "{not json"}, "columns", "Not valid JSON"),
        ({"columns": "[1, 2]"}, "columns", "Expected a JSON object"),
        ({"options": {"date_order": "mdy"}}, "options", "Only together with columns"),
        ({"columns": DELIVERY_COLUMNS, "save_as": "x" * 101}, "save_as", "no more than 100"),
        ({"columns": DELIVERY_COLUMNS, "options": {"default_status": "in_use"}}, "options", "not a valid choice"),
        ({"owner": 999999}, "owner", "does not exist"),
        ({"mapping": 999999}, "mapping", "does not exist"),
    ],
)
def test_bad_input_is_a_clear_400_and_stores_nothing(
    world: Any, tech: Any, settings: Any, fields: dict[str, Any], error_field: str, message: str
) -> None:
    imports_before, events = AssetImport.objects.count(), AuditEvent.objects.count()
    files_before = stored_files(settings)
    data: dict[str, Any] = {"owner": world.a.owner, "file": sample("leverans-rattad.csv"), **fields}
    response = upload(tech, data.pop("owner"), data.pop("file"), **data)
    assert response.status_code == 400, response.content
    body = response.json()
    assert error_field in body, body
    assert message in json.dumps(body, ensure_ascii=False), body
    assert AssetImport.objects.count() == imports_before
    assert AuditEvent.objects.count() == events
    assert stored_files(settings) == files_before  # no orphan file either


def test_another_owners_mapping_is_refused_and_nothing_stored(world: Any, tech: Any, settings: Any) -> None:
    mapping = world.a.extra["import_mapping"]  # saved for owner A
    before, files = AssetImport.objects.count(), stored_files(settings)
    response = upload(tech, world.b.owner, sample("leverans-rattad.csv"), mapping=mapping.pk)
    assert response.status_code == 400
    assert response.json() == {"mapping": ["This mapping belongs to another owner."]}
    assert (AssetImport.objects.count(), stored_files(settings)) == (before, files)


def test_a_mapping_that_does_not_fit_the_file_is_refused_and_nothing_stored(
    world: Any, tech: Any, settings: Any
) -> None:
    mapping = imports.do_save_import_mapping(
        "Annan leverantör", world.a.owner, {"serial_number": "Serial No"}, {}, actor=world.technician
    )
    before, files = AssetImport.objects.count(), stored_files(settings)
    response = upload(tech, world.a.owner, sample("leverans-rattad.csv"), mapping=mapping.pk)
    assert response.status_code == 400
    assert response.json()["columns"][0] == "The file has no column “Serial No”."
    assert (AssetImport.objects.count(), stored_files(settings)) == (before, files)


def test_bad_columns_on_an_import_change_nothing(world: Any, tech: Any) -> None:
    body = upload(tech, world.a.owner, sample("leverans-rattad.csv"), columns=DELIVERY_COLUMNS).json()
    batch = AssetImport.objects.get(pk=body["id"])
    events = AuditEvent.objects.count()
    for payload, message in [
        ({"columns": {"serial_number": "Saknas"}}, "no column “Saknas”"),
        ({"columns": {"serial_number": "Serienummer", "owner": "Ägare"}}, "Unknown field “owner”"),
        ({"columns": {"model": "Modell"}}, "serial number or the asset tag"),
        ({"columns": DELIVERY_COLUMNS, "options": {"date_order": "ymd"}}, "not a valid choice"),
        ({"columns": DELIVERY_COLUMNS, "options": {"colour": "red"}}, "Unknown key “colour”"),
        ({}, "This field is required"),
    ]:
        response = tech.post(f"{URL}{batch.pk}/columns/", payload, format="json")
        assert response.status_code == 400, payload
        assert message in json.dumps(response.json(), ensure_ascii=False), response.json()
    # Form data is not what this endpoint takes.
    assert tech.post(f"{URL}{batch.pk}/columns/", {"columns": "x"}, format="multipart").status_code == 415
    fresh = AssetImport.objects.get(pk=batch.pk)
    assert (fresh.columns, fresh.status, fresh.checked_at) == (batch.columns, batch.status, batch.checked_at)
    assert AuditEvent.objects.count() == events


def test_a_committed_import_cannot_be_checked_or_remapped(world: Any, tech: Any) -> None:
    body = upload(tech, world.a.owner, sample("leverans-rattad.csv"), columns=DELIVERY_COLUMNS).json()
    assert tech.post(f"{URL}{body['id']}/commit/").status_code == 200
    events = AuditEvent.objects.count()
    assert tech.post(f"{URL}{body['id']}/check/").status_code == 400
    response = tech.post(f"{URL}{body['id']}/columns/", {"columns": DELIVERY_COLUMNS}, format="json")
    assert response.status_code == 400 and "cannot be changed now" in response.json()["non_field_errors"][0]
    assert AuditEvent.objects.count() == events


# --- who may import ----------------------------------------------------------------------------


def test_only_operator_staff_who_write_assets_import(world: Any, api: Any) -> None:
    batch = world.a.extra["asset_import"]
    for user in (world.a.viewer, world.a.orderer, world.a.approver, world.agent, world.finance, world.records):
        client = api(user)
        response = upload(client, world.a.owner, sample("leverans-rattad.csv"), columns=DELIVERY_COLUMNS)
        assert response.status_code == 403, user
        mapping = {"name": "X", "owner": world.a.owner.pk, "columns": {"serial_number": "S"}}
        assert client.post(MAPPINGS, mapping, format="json").status_code == 403, user
        # They see no import at all: the list is empty, an import is "not found".
        assert client.get(URL).json()["results"] == [], user
        assert client.get(f"{URL}{batch.pk}/").status_code == 404, user
        assert client.get(f"{URL}{batch.pk}/rows/").status_code == 404, user
        for path in ("check/", "commit/", "columns/"):
            assert client.post(f"{URL}{batch.pk}/{path}", {}, format="json").status_code == 404, (user, path)
    assert not Asset.objects.filter(serial_number__startswith="LEV-").exists()
    # Operator administrators import as technicians do.
    admin = api(world.admin)
    response = upload(admin, world.b.owner, csv_file(rows_text(world, []) + "ADM-1;;\n"))
    assert response.status_code == 201 and response.json()["owner"] == world.b.owner.pk


def test_owner_b_import_is_not_found_for_owner_a_and_nothing_changes(world: Any, api: Any) -> None:
    b_batch = world.b.extra["asset_import"]
    b_mapping = world.b.extra["import_mapping"]
    rows = list(AssetImportRow.objects.filter(batch=b_batch).values())
    events = AuditEvent.objects.count()
    for user in (world.a.viewer, world.a.orderer, world.a.approver, world.a.end_user):
        client = api(user)
        # Filtering by owner B is refused exactly as filtering by an owner that does not exist.
        listed = client.get(URL, {"owner": world.b.owner.pk})
        assert listed.status_code == 400
        assert listed.json() == client.get(URL, {"owner": 999999}).json()
        assert client.get(URL).json()["results"] == []
        assert client.get(f"{URL}{b_batch.pk}/").status_code == 404
        assert client.get(f"{URL}{b_batch.pk}/rows/").status_code == 404
        assert client.post(f"{URL}{b_batch.pk}/check/").status_code == 404
        assert client.post(f"{URL}{b_batch.pk}/commit/").status_code == 404
        assert client.post(f"{URL}{b_batch.pk}/columns/", {"columns": {}}, format="json").status_code == 404
        assert client.get(f"{MAPPINGS}{b_mapping.pk}/").status_code == 404
        assert client.post(f"{MAPPINGS}{b_mapping.pk}/deactivate/").status_code == 404
        assert client.get(MAPPINGS).json()["results"] == []
    b_batch_after = AssetImport.objects.get(pk=b_batch.pk)
    assert (b_batch_after.status, b_batch_after.checked_at) == (b_batch.status, b_batch.checked_at)
    assert list(AssetImportRow.objects.filter(batch=b_batch).values()) == rows
    assert AssetImportMapping.objects.get(pk=b_mapping.pk).active
    assert AuditEvent.objects.count() == events
    assert not Asset.objects.filter(serial_number=f"IMP-{world.b.marker}").exists()


def test_list_filters_by_owner_and_status(world: Any, tech: Any) -> None:
    a_batch, b_batch = world.a.extra["asset_import"], world.b.extra["asset_import"]
    fresh = upload(tech, world.a.owner, sample("leverans-rattad.csv")).json()
    ids = [r["id"] for r in tech.get(URL).json()["results"]]
    assert ids == sorted([a_batch.pk, b_batch.pk, fresh["id"]], reverse=True)  # newest first
    owned = tech.get(URL, {"owner": world.a.owner.pk}).json()["results"]
    assert {r["id"] for r in owned} == {a_batch.pk, fresh["id"]}
    uploaded = tech.get(URL, {"status": "uploaded"}).json()["results"]
    assert [r["id"] for r in uploaded] == [fresh["id"]]
    assert tech.get(URL, {"status": "nonsense"}).status_code == 400


# --- large files as tasks ------------------------------------------------------------------------


def test_large_file_is_checked_and_committed_by_tasks(
    world: Any, tech: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.SAMDRIFT_IMPORT_SYNC_ROWS = 10
    text = rows_text(world, [f"BIG-{i:03d}" for i in range(30)])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = upload(
            tech, world.a.owner, csv_file(text), columns={"serial_number": "Serienummer", "model": "Modell"}
        )
    # The request answers at once: the dry run is queued, its progress shown on the import.
    assert response.status_code == 201 and response.json()["status"] == "checking"
    assert response.json()["is_running"] is True
    batch_id = response.json()["id"]
    for callback in queued:
        callback()  # the worker runs the task
    body = tech.get(f"{URL}{batch_id}/").json()
    assert (body["status"], body["progress"], body["create_count"]) == ("validated", 100, 30)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = tech.post(f"{URL}{batch_id}/commit/")
    assert response.status_code == 202 and response.json()["status"] == "committing"
    assert not Asset.objects.filter(serial_number__startswith="BIG-").exists()
    # While it runs, it cannot be remapped or checked again.
    assert tech.post(f"{URL}{batch_id}/check/").status_code == 400
    for callback in queued:
        callback()
    assert tech.get(f"{URL}{batch_id}/").json()["status"] == "committed"
    assert Asset.objects.filter(serial_number__startswith="BIG-").count() == 30


# --- the report ----------------------------------------------------------------------------------


def test_rows_page_in_file_order_and_filter(world: Any, tech: Any) -> None:
    m = world.a.marker
    lines = [f"RPT-{i:03d};Tillverkare {m};Modell {m}" for i in range(70)]
    lines[10] = f"RPT-010;Tillverkare {m};Finns inte"  # file row 12: an error
    lines[20] = f"SN-{m};Tillverkare {m};Modell {m}"  # file row 22: the existing asset, unchanged
    text = "Serienummer;Tillverkare;Modell\n" + "\n".join(lines) + "\n"
    body = upload(
        tech,
        world.a.owner,
        csv_file(text),
        columns={"serial_number": "Serienummer", "model": "Modell", "manufacturer": "Tillverkare"},
    ).json()
    assert (body["create_count"], body["unchanged_count"], body["error_count"]) == (68, 1, 1)

    first = tech.get(f"{URL}{body['id']}/rows/").json()
    assert [r["row"] for r in first["results"]] == list(range(2, 52))
    second = tech.get(first["next"]).json()
    assert [r["row"] for r in second["results"]] == list(range(52, 72)) and second["next"] is None
    errors = tech.get(f"{URL}{body['id']}/rows/", {"action": "error"}).json()["results"]
    assert [(r["row"], r["action"]) for r in errors] == [(12, "error")]
    unchanged = tech.get(f"{URL}{body['id']}/rows/", {"action": "unchanged"}).json()["results"]
    assert [r["row"] for r in unchanged] == [22]
    # Every new row is warned that its serial number becomes its tag; the unchanged one is not.
    warned = tech.get(f"{URL}{body['id']}/rows/", {"has_warnings": "true", "page_size": 500}).json()["results"]
    assert len(warned) == 69 and all(r["warnings"] for r in warned)
    quiet = tech.get(f"{URL}{body['id']}/rows/", {"has_warnings": "false"}).json()["results"]
    assert [r["row"] for r in quiet] == [22]
    assert tech.get(f"{URL}{body['id']}/rows/", {"action": "bogus"}).status_code == 400
    # Only this import's rows.
    other = world.a.extra["asset_import"]
    assert all(r["key"] != f"IMP-{m}" for r in first["results"] + second["results"])
    assert [r["key"] for r in tech.get(f"{URL}{other.pk}/rows/").json()["results"]] == [f"IMP-{m}"]


# --- saved mappings ------------------------------------------------------------------------------


def test_saved_mapping_created_used_and_deactivated(world: Any, tech: Any) -> None:
    payload = {
        "name": "Leverantör AB",
        "owner": world.a.owner.pk,
        "columns": DELIVERY_COLUMNS,
        "options": {"date_order": "mdy"},
    }
    response = tech.post(MAPPINGS, payload, format="json")
    assert response.status_code == 201, response.json()
    mapping = response.json()
    assert mapping["columns"] == DELIVERY_COLUMNS
    assert mapping["options"] == {"default_status": "in_stock", "date_order": "mdy", "tag_from_serial": True}
    assert AuditEvent.objects.filter(
        object_type="assets.assetimportmapping", object_id=str(mapping["id"]), event_type="created"
    ).exists()
    listed = tech.get(MAPPINGS, {"owner": world.a.owner.pk, "active": "true"}).json()["results"]
    assert mapping["id"] in {r["id"] for r in listed}

    # Uploading with the mapping checks the file at once.
    body = upload(tech, world.a.owner, sample("leverans-rattad.csv"), mapping=mapping["id"]).json()
    assert (body["status"], body["mapping"], body["columns"]) == ("validated", mapping["id"], DELIVERY_COLUMNS)

    # Withdrawn, it is no longer offered.
    response = tech.post(f"{MAPPINGS}{mapping['id']}/deactivate/")
    assert response.status_code == 200 and response.json()["active"] is False
    assert AuditEvent.objects.filter(object_id=str(mapping["id"]), event_type="deactivated").exists()
    response = upload(tech, world.a.owner, sample("leverans-rattad.csv"), mapping=mapping["id"])
    assert response.status_code == 400 and "mapping" in response.json()

    # A mapping for every owner.
    shared = tech.post(MAPPINGS, {**payload, "name": "Alla", "owner": None}, format="json")
    assert shared.status_code == 201 and shared.json()["owner"] is None
    assert [r["id"] for r in tech.get(MAPPINGS, {"shared": "true"}).json()["results"]] == [shared.json()["id"]]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"columns": {"model": "Modell"}}, "serial number or the asset tag"),
        ({"columns": {"serial_number": "X", "asset_tag": "X"}}, "chosen for both"),
        ({"columns": {"serial_number": "X", "price_each": "Y"}}, "Unknown field “price_each”"),
        ({"columns": {"serial_number": "X"}, "options": {"date_order": "ymd"}}, "not a valid choice"),
        ({"name": ""}, "may not be blank"),
        ({"owner": 999999}, "does not exist"),
    ],
)
def test_bad_mapping_is_refused(world: Any, tech: Any, payload: dict[str, Any], message: str) -> None:
    before, events = AssetImportMapping.objects.count(), AuditEvent.objects.count()
    data = {"name": "Ny", "owner": world.a.owner.pk, "columns": {"serial_number": "Serienummer"}, **payload}
    response = tech.post(MAPPINGS, data, format="json")
    assert response.status_code == 400
    assert message in json.dumps(response.json(), ensure_ascii=False), response.json()
    assert (AssetImportMapping.objects.count(), AuditEvent.objects.count()) == (before, events)


# --- query counts --------------------------------------------------------------------------------


def _queries(client: Any, url: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), response.json()


def test_list_and_rows_query_counts_do_not_grow_with_rows(world: Any, api: Any) -> None:
    def client() -> Any:  # a fresh user per request, as in production (the scope is cached on it)
        return api(User.objects.get(pk=world.technician.pk))

    few, _ = _queries(client(), URL)
    few_filtered, _ = _queries(client(), URL, {"owner": world.a.owner.pk, "status": "uploaded"})
    for i in range(60):
        imports.do_upload_asset_import(
            world.a.owner if i % 2 else world.b.owner, csv_file(f"Serienummer\nQ-{i}\n"), actor=world.technician
        )
    many, body = _queries(client(), URL)
    assert len(body["results"]) == 50 and body["next"]
    assert many == few, f"list: {few} queries with 2 imports, {many} with a full page"
    second, _ = _queries(client(), body["next"])
    assert second == few
    filtered, body = _queries(client(), URL, {"owner": world.a.owner.pk, "status": "uploaded"})
    assert len(body["results"]) == 30 and filtered == few_filtered

    small = world.a.extra["asset_import"]  # one row
    few, body = _queries(client(), f"{URL}{small.pk}/rows/")
    assert len(body["results"]) == 1
    big = upload(
        api(world.technician), world.a.owner, csv_file(rows_text(world, [f"R-{i}" for i in range(120)])),
        columns={"serial_number": "Serienummer", "model": "Modell"},
    ).json()  # fmt: skip
    many, body = _queries(client(), f"{URL}{big['id']}/rows/")
    assert len(body["results"]) == 50 and body["next"]
    assert many == few, f"rows: {few} queries with 1 row, {many} with a full page"
    second, body = _queries(client(), body["next"])
    assert second == few and len(body["results"]) == 50
    filtered_few, _ = _queries(client(), f"{URL}{small.pk}/rows/", {"action": "error"})
    filtered_many, _ = _queries(client(), f"{URL}{big['id']}/rows/", {"action": "create"})
    assert filtered_few == filtered_many == few
