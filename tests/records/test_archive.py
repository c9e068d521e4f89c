"""Archive export of closed records (arkivleverans): exactly the closed records of an archived type
and closing-date range go into a ZIP whose metadata.xml is valid against the XSD and whose
checksums match; types the plan does not archive and bad input are refused and write nothing;
only records officers and administrators build and download, and both are audited."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from samdrift.core.models import AuditEvent
from samdrift.records import actions, archive
from samdrift.records.models import ArchiveExport, Case, ExportStatus, RecordType
from samdrift.records.tasks import build_archive_export_task
from samdrift.servicedesk.intake import do_add_attachment
from samdrift.servicedesk.models import Comment, Ticket
from tests.records.conftest import SECRET_NOTE, events_for

pytestmark = pytest.mark.django_db

NS = {"a": archive.NS}


def at(year: int, month: int, day: int) -> datetime:
    return timezone.make_aware(datetime(year, month, day, 12, 0))


def close_case(officer: Any, subject: str, when: datetime, **data: Any) -> Case:
    case = actions.do_register_case({"subject": subject, **data}, actor=officer)
    actions.do_close_case(case, actor=officer)
    Case.objects.filter(pk=case.pk).update(closed_at=when)
    case.refresh_from_db()
    return case


def unpack(export: ArchiveExport) -> dict[str, bytes]:
    with export.file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def check_checksums(files: dict[str, bytes]) -> list[str]:
    """What `sha256sum -c checksums.sha256` checks: every listed file, and every file listed."""
    listed = []
    for line in files["checksums.sha256"].decode().splitlines():
        digest, path = line.split("  ", 1)
        assert hashlib.sha256(files[path]).hexdigest() == digest, path
        listed.append(path)
    assert sorted(listed) == sorted(n for n in files if n != "checksums.sha256")
    return listed


def build(officer: Any, code: str, date_from: date, date_to: date) -> ArchiveExport:
    return archive.do_start_archive_export(
        {"record_type": RecordType.objects.get(code=code), "date_from": date_from, "date_to": date_to},
        actor=officer,
        background=False,
    )


def test_the_package_holds_exactly_the_closed_records_with_valid_metadata_and_checksums(rw: Any, settings: Any) -> None:
    officer = rw.officer
    letters = RecordType.objects.get(code="letters")
    inside = close_case(
        officer,
        "Avtal om nätverk",
        at(2025, 3, 10),
        record_type=letters,
        concerns_owner=rw.hoor.owner,
        secrecy_ground=actions.SecrecyGround.objects.get(code="osl_31_16"),
    )
    actions.do_add_attachment(inside, SimpleUploadedFile("avtal.pdf", b"%PDF avtal"), actor=officer)
    actions.do_add_attachment(
        inside,
        SimpleUploadedFile("avtal.pdf", b"%PDF bilaga"),
        actor=officer,
        ground=actions.SecrecyGround.objects.get(code="osl_18_8"),
    )
    edge = close_case(officer, "Sista dagen", timezone.make_aware(datetime(2025, 3, 31, 23, 59)), record_type=letters)
    close_case(officer, "För sent", at(2025, 4, 1), record_type=letters)
    close_case(officer, "För tidigt", at(2025, 2, 28), record_type=letters)
    close_case(officer, "Annan typ", at(2025, 3, 15), record_type=RecordType.objects.get(code="decisions"))
    actions.do_register_case({"subject": "Öppet ärende", "record_type": letters}, actor=officer)

    export = build(officer, "letters", date(2025, 3, 1), date(2025, 3, 31))

    assert export.status == ExportStatus.DONE and export.record_count == 2 and export.file_count == 4
    with export.file.open("rb") as handle:
        content = handle.read()
    assert hashlib.sha256(content).hexdigest() == export.sha256 and len(content) == export.size
    files = unpack(export)
    check_checksums(files)
    document = etree.fromstring(files["metadata.xml"])
    archive.schema().assertValid(etree.ElementTree(document))
    records = document.findall("a:record", NS)
    assert [r.findtext("a:registrationNumber", namespaces=NS) for r in records] == [
        inside.registration_number,
        edge.registration_number,
    ]
    first = records[0]
    assert first.get("type") == "records.case" and first.get("id") == str(inside.pk)
    assert first.findtext("a:subject", namespaces=NS) == "Avtal om nätverk"
    assert first.findtext("a:whoseRecord", namespaces=NS) == "operator"
    assert first.find("a:owner", NS).get("orgNumber") == rw.hoor.owner.org_number
    grounds = {(m.get("part"), m.get("ground")) for m in first.findall("a:markings/a:marking", NS)}
    assert ("", "osl_31_16") in grounds and ("file:avtal-2.pdf", "osl_18_8") in grounds
    entries = first.findall("a:files/a:file", NS)
    assert [e.get("kind") for e in entries] == ["content", "attachment", "attachment"]
    for entry in entries:
        data = files[entry.get("path")]
        assert int(entry.get("size")) == len(data) and entry.get("sha256") == hashlib.sha256(data).hexdigest()
    folder = entries[0].get("path").rsplit("/", 1)[0]
    assert files[f"{folder}/avtal.pdf"] == b"%PDF avtal" and files[f"{folder}/avtal-2.pdf"] == b"%PDF bilaga"
    assert entries[2].get("ground") == "osl_18_8"


def test_closed_tickets_go_with_their_attachments_and_secret_notes_unmasked(rw: Any) -> None:
    tickets = RecordType.objects.get(code="tickets")
    actions.do_update_record_type(tickets, {"archived": True}, actor=rw.officer)
    note = Comment.objects.get(ticket=rw.wifi, confidential=True)
    do_add_attachment(rw.wifi, SimpleUploadedFile("karta.png", b"PNG network map"), actor=rw.agent, comment=note)
    Ticket.objects.filter(pk=rw.wifi.pk).update(status="closed", closed_at=at(2025, 10, 30))
    Ticket.objects.filter(pk=rw.printer.pk).update(status="resolved", resolved_at=at(2025, 10, 30))

    export = build(rw.officer, "tickets", date(2025, 10, 1), date(2025, 10, 31))

    files = unpack(export)
    check_checksums(files)
    document = etree.fromstring(files["metadata.xml"])
    (record,) = document.findall("a:record", NS)
    assert record.findtext("a:identifier", namespaces=NS) == rw.wifi.number
    assert record.findtext("a:owner", namespaces=NS) == rw.hoor.owner.name
    markings = {m.get("ground") for m in record.findall("a:markings/a:marking", NS)}
    assert "osl_18_8" in markings
    text = next(v for k, v in files.items() if k.endswith("/record.txt")).decode()
    assert SECRET_NOTE in text and "OSL 18 kap. 8 §" in text
    attachment = record.find("a:files/a:file[@kind='attachment']", NS)
    assert attachment.get("ground") == "osl_18_8" and files[attachment.get("path")] == b"PNG network map"


def test_a_type_the_plan_does_not_archive_is_refused_and_nothing_is_written(rw: Any) -> None:
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        build(rw.officer, "tickets", date(2025, 1, 1), date(2025, 12, 31))
    assert "does not deliver" in str(refused.value.message_dict["record_type"])
    assert ArchiveExport.objects.count() == 0 and AuditEvent.objects.count() == events


def test_bad_input_is_refused(rw: Any, api: Any, web: Any) -> None:
    with pytest.raises(ValidationError) as backwards:
        build(rw.officer, "letters", date(2025, 3, 31), date(2025, 3, 1))
    assert "date_to" in backwards.value.message_dict
    client = api(rw.officer)
    url = "/api/v1/records/archive-exports/"
    assert (
        client.post(url, {"record_type": "nope", "date_from": "2025-01-01", "date_to": "2025-01-31"}).status_code == 400
    )
    response = client.post(url, {"record_type": "letters", "date_from": "2025-02-01", "date_to": "2025-01-01"})
    assert response.status_code == 400 and "date_to" in response.json()
    response = client.post(url, {"record_type": "tickets", "date_from": "2025-01-01", "date_to": "2025-01-31"})
    assert response.status_code == 400 and "record_type" in response.json()
    assert client.post(url, {"record_type": "letters", "date_from": "x", "date_to": "2025-01-31"}).status_code == 400
    page = web(rw.officer).post(
        reverse("archiveexport_create"), {"record_type": "999999", "date_from": "2025-01-01", "date_to": "2025-01-31"}
    )
    assert page.status_code == 200
    assert ArchiveExport.objects.count() == 0


def test_roles_owner_users_and_agents_are_refused(rw: Any, api: Any, web: Any) -> None:
    export = build(rw.officer, "letters", date(2025, 1, 1), date(2025, 1, 31))
    data = {
        "record_type": RecordType.objects.get(code="letters"),
        "date_from": date(2025, 1, 1),
        "date_to": date(2025, 1, 2),
    }
    for user in (rw.agent, rw.technician, rw.hoor.viewer, rw.hoor.orderer):
        with pytest.raises(PermissionDenied):
            archive.do_start_archive_export(dict(data), actor=user, background=False)
        client = api(user)
        body = {"record_type": "letters", "date_from": "2025-01-01", "date_to": "2025-01-31"}
        assert client.post("/api/v1/records/archive-exports/", body).status_code == 403
        assert client.get("/api/v1/records/archive-exports/").json()["results"] == []
        assert client.get(f"/api/v1/records/archive-exports/{export.pk}/download/").status_code == 404
        page = web(user)
        assert page.get(reverse("archiveexport_list")).status_code == 403
        assert page.post(reverse("archiveexport_create"), body).status_code == 403
        assert page.get(reverse("archiveexport_download", args=[export.pk])).status_code == 404
    assert ArchiveExport.objects.count() == 1
    admin = archive.do_start_archive_export(dict(data), actor=rw.admin, background=False)
    assert admin.status == ExportStatus.DONE


def test_build_and_download_are_audited_through_the_ui_task_and_api(rw: Any, web: Any, api: Any) -> None:
    close_case(rw.officer, "Skrivelse", at(2025, 5, 5), record_type=RecordType.objects.get(code="letters"))
    client = web(rw.officer)
    listing = client.get(reverse("archiveexport_list"))
    assert listing.status_code == 200
    form = client.get(reverse("archiveexport_create")).content.decode()
    assert "Inkommande och utgående skrivelser" in form and "Supportärenden" not in form
    letters = RecordType.objects.get(code="letters")
    response = client.post(
        reverse("archiveexport_create"), {"record_type": letters.pk, "date_from": "2025-05-01", "date_to": "2025-05-31"}
    )
    export = ArchiveExport.objects.get()
    assert response.status_code == 302 and response["Location"] == export.get_absolute_url()
    assert export.status == ExportStatus.QUEUED
    page = client.get(export.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'role="progressbar"' in page
    result = build_archive_export_task.call(export.pk)
    assert result["status"] == ExportStatus.DONE and result["records"] == 1
    export.refresh_from_db()
    page = client.get(export.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in page and reverse("archiveexport_download", args=[export.pk]) in page
    download = client.get(reverse("archiveexport_download", args=[export.pk]))
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == export.sha256
    api_download = api(rw.admin).get(f"/api/v1/records/archive-exports/{export.pk}/download/")
    assert api_download.status_code == 200
    kinds = [(e.event_type, e.extra.get("action"), e.actor_id) for e in events_for(export)]
    assert kinds == [
        ("created", "start_archive_export", rw.officer.pk),
        ("updated", "finish_archive_export", rw.officer.pk),
        ("exported", "archive_download", rw.officer.pk),
        ("exported", "archive_download", rw.admin.pk),
    ]
    body = api(rw.officer).get(f"/api/v1/records/archive-exports/{export.pk}/").json()
    assert body["sha256"] == export.sha256 and body["download"].endswith("/download/")
    assert reverse("archiveexport_list") in client.get(reverse("records_plan")).content.decode()


def test_api_create_queues_and_list_has_a_constant_query_count(
    rw: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    client = api(rw.officer)
    response = client.post(
        "/api/v1/records/archive-exports/",
        {"record_type": "letters", "date_from": "2025-01-01", "date_to": "2025-01-31"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "queued" and response.json()["download"] is None
    for _i in range(5):
        build(rw.officer, "letters", date(2025, 1, 1), date(2025, 1, 31))
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/records/archive-exports/").json()["results"]) == 6


def test_a_failed_build_is_recorded_on_the_export(rw: Any, monkeypatch: Any) -> None:
    export = archive.do_start_archive_export(
        {
            "record_type": RecordType.objects.get(code="letters"),
            "date_from": date(2025, 1, 1),
            "date_to": date(2025, 1, 2),
        },
        actor=rw.officer,
    )

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(archive, "write_package", broken)
    assert build_archive_export_task.call(export.pk)["status"] == "failed"
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and "disk full" in export.message and not export.file


def test_the_export_list_has_a_constant_query_count(rw: Any, web: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = web(rw.officer)
    build(rw.officer, "letters", date(2025, 1, 1), date(2025, 1, 31))
    client.get(reverse("archiveexport_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("archiveexport_list"))
    for _i in range(6):
        archive.do_start_archive_export(
            {
                "record_type": RecordType.objects.get(code="letters"),
                "date_from": date(2025, 1, 1),
                "date_to": date(2025, 1, 2),
            },
            actor=rw.admin,
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("archiveexport_list"))
    assert len(many.captured_queries) == len(few.captured_queries)
    assert (
        response.content.decode().count(reverse("archiveexport_detail", args=[ArchiveExport.objects.first().pk])) >= 1
    )
