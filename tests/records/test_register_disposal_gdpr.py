"""The records register (gap-free numbers per series and year), the information management plan
and disposal (nothing without an approved batch, legal holds skipped, a content-free log), and
GDPR (a pupil's extract, erasure with what was kept and why)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from samdrift.core.models import AuditEvent
from samdrift.records import actions
from samdrift.records.models import (
    BatchStatus,
    Case,
    DisposalBatch,
    DisposalItem,
    GdprRequest,
    RecordType,
    Series,
)
from samdrift.records.tasks import propose_disposals
from samdrift.servicedesk import actions as sd
from samdrift.servicedesk.models import Comment, Ticket
from tests.concurrency import run_side_by_side
from tests.records.conftest import events_for

pytestmark = pytest.mark.django_db


# --- register -----------------------------------------------------------------------------------


def test_registration_numbers_run_per_series_and_year(rw: Any) -> None:
    other = actions.do_create_series({"code": "UPH", "name": "Upphandlingar"}, actor=rw.officer)
    a = actions.do_register_case({"subject": "Brev 1", "registered": date(2025, 12, 30)}, actor=rw.officer)
    b = actions.do_register_case({"subject": "Brev 2", "registered": date(2025, 12, 31)}, actor=rw.officer)
    c = actions.do_register_case({"subject": "Brev 3", "registered": date(2026, 1, 2)}, actor=rw.officer)
    d = actions.do_register_case(
        {"subject": "Anbud", "series": other, "registered": date(2026, 1, 2)}, actor=rw.officer
    )
    assert [x.registration_number for x in (a, b, c, d)] == ["SAM 2025/1", "SAM 2025/2", "SAM 2026/1", "UPH 2026/1"]
    assert events_for(a)[0].changes["registration_number"] == [None, "SAM 2025/1"]


def test_a_failed_registration_gives_its_number_back(rw: Any) -> None:
    actions.do_register_case({"subject": "Första", "registered": date(2025, 3, 1)}, actor=rw.officer)
    with pytest.raises(ValidationError):
        actions.do_register_case({"subject": "x" * 301, "registered": date(2025, 3, 2)}, actor=rw.officer)
    with pytest.raises(ValidationError):
        actions.do_register_case({"subject": "  ", "registered": date(2025, 3, 2)}, actor=rw.officer)
    with pytest.raises(ValidationError):
        actions.do_register_case(
            {"subject": "Framtid", "registered": timezone.localdate() + timedelta(days=1)}, actor=rw.officer
        )
    with pytest.raises(PermissionDenied):
        actions.do_register_case({"subject": "Agent"}, actor=rw.agent)
    nxt = actions.do_register_case({"subject": "Andra", "registered": date(2025, 3, 3)}, actor=rw.officer)
    assert nxt.registration_number == "SAM 2025/2"


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="in-memory SQLite (the test database) cannot hold concurrent writers; the row lock tested is PostgreSQL's",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_distinct_numbers_without_gaps(rw: Any) -> None:
    """Four threads register at once; on PostgreSQL the counter row lock serialises them."""
    officer = rw.officer

    def work() -> None:
        for i in range(5):
            actions.do_register_case({"subject": f"Samtidigt {i}"}, actor=officer)

    assert run_side_by_side(work, threads=4) == []
    numbers = sorted(Case.objects.filter(series=Series.objects.get(code="SAM")).values_list("number", flat=True))
    assert numbers == list(range(1, 21))


def test_register_pages(rw: Any, web: Any, settings: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    client = web(rw.officer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("case_create"),
        {"direction": "incoming", "subject": "Brev från leverantören", "counterparty": "Leverantör AB",
         "file": SimpleUploadedFile("brev.pdf", b"%PDF-1.4 brev")},
    )  # fmt: skip
    case = Case.objects.get()
    assert response.status_code == 302 and case.attachments.count() == 1
    page = client.get(case.get_absolute_url()).content.decode()
    assert case.registration_number in page and "brev.pdf" in page
    download = client.get(reverse("attachment_download", args=[case.attachments.get().pk]))
    assert b"".join(download.streaming_content) == b"%PDF-1.4 brev"
    listing = client.get(reverse("case_list"), {"q": "Brev"}).content.decode()
    assert case.registration_number in listing
    assert client.post(reverse("case_create"), {"direction": "incoming", "subject": ""}).status_code == 200
    assert Case.objects.count() == 1
    assert web(rw.hoor.viewer).get(case.get_absolute_url()).status_code == 404


# --- disposal -----------------------------------------------------------------------------------


def _closed_long_ago(rw: Any, subject: str, years: int = 3) -> Ticket:
    ticket = sd.do_create_ticket({"requester": rw.hoor.employee, "subject": subject}, actor=rw.agent)
    sd.do_add_comment(ticket, f"Svar om {subject}", actor=rw.agent)
    sd.do_change_ticket_status(ticket, "resolved", actor=rw.agent)
    sd.do_change_ticket_status(ticket, "closed", actor=rw.agent)
    when = timezone.now() - timedelta(days=365 * years)
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=when)
    ticket.refresh_from_db()
    return ticket


def test_disposal_of_closed_tickets_past_retention(rw: Any) -> None:
    old = _closed_long_ago(rw, "Gammal skrivare")
    held = _closed_long_ago(rw, "Tvist om skrivare")
    _closed_long_ago(rw, "Ny skrivare", years=1)
    tickets = RecordType.objects.get(code="tickets")
    assert tickets.retention_years == 2 and tickets.decision == ""
    # without a decided rule nothing is proposed
    assert actions.propose_disposal(tickets, actor=rw.officer) is None
    tickets = actions.do_update_record_type(tickets, {"decision": "Styrelsebeslut 2026-03-12 § 14"}, actor=rw.officer)
    ct = ContentType.objects.get_for_model(Ticket)
    hold = actions.do_set_hold(ct, held.pk, "Pågående tvist", actor=rw.officer)
    result = propose_disposals.call()
    batch = DisposalBatch.objects.get()
    assert result == {"proposed": {"tickets": 1}}
    assert list(batch.items.values_list("identifier", flat=True)) == [old.number]
    assert propose_disposals.call() == {"proposed": {}}  # one undecided batch per type
    # nothing is disposed of without approval, and approval cites the decision
    with pytest.raises(ValidationError):
        actions.do_execute_batch(batch, actor=rw.officer)
    with pytest.raises(ValidationError):
        actions.do_approve_batch(batch, "  ", actor=rw.officer)
    with pytest.raises(PermissionDenied):
        actions.do_approve_batch(batch, "Beslut", actor=rw.admin)
    with pytest.raises(PermissionDenied):
        actions.do_approve_batch(batch, "Beslut", actor=None)
    assert Ticket.objects.filter(pk=old.pk).exists()
    batch = actions.do_approve_batch(batch, "Styrelsebeslut 2026-03-12 § 14", actor=rw.officer)
    # put under a hold after the proposal: skipped at execution
    actions.do_release_hold(hold, actor=rw.officer)
    actions.do_set_hold(ct, old.pk, "Begärd av revisorn", actor=rw.officer)
    batch = actions.do_execute_batch(batch, actor=rw.officer)
    assert (batch.status, batch.disposed_count, batch.skipped_count) == (BatchStatus.EXECUTED, 0, 1)
    assert Ticket.objects.filter(pk=old.pk).exists()


def test_an_executed_batch_removes_the_tickets_and_its_log_names_them(rw: Any, web: Any) -> None:
    old = _closed_long_ago(rw, "Gammal dator")
    recent = _closed_long_ago(rw, "Ny dator", years=1)
    tickets = actions.do_update_record_type(
        RecordType.objects.get(code="tickets"), {"decision": "Styrelsebeslut § 14"}, actor=rw.officer
    )
    batch = actions.propose_disposal(tickets, actor=rw.officer)
    assert batch is not None and batch.item_count == 1
    client = web(rw.officer)
    client.post(batch.get_absolute_url(), {"step": "approve", "decision": "Styrelsebeslut § 14"})
    client.post(batch.get_absolute_url(), {"step": "execute"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXECUTED and batch.disposed_count == 1
    assert not Ticket.objects.filter(pk=old.pk).exists() and not Comment.objects.filter(ticket_id=old.pk).exists()
    assert Ticket.objects.filter(pk=recent.pk).exists()
    log = DisposalItem.objects.get(batch=batch)
    assert (log.identifier, log.disposed) == (old.number, True)
    page = client.get(batch.get_absolute_url()).content.decode()
    assert old.number in page and "Gammal dator" not in page  # the log has no content
    event = (
        AuditEvent.objects.filter(object_type="records.disposalbatch", object_id=str(batch.pk)).order_by("id").last()
    )
    assert event.extra == {"disposed": 1, "skipped": 0, "decision": "Styrelsebeslut § 14", "method": "delete"}


def test_anonymising_keeps_the_ticket_without_its_content(rw: Any) -> None:
    old = _closed_long_ago(rw, "Känsligt ämne")
    tickets = actions.do_update_record_type(
        RecordType.objects.get(code="tickets"), {"decision": "Beslut", "disposal_method": "anonymise"}, actor=rw.officer
    )
    batch = actions.propose_disposal(tickets, actor=rw.officer)
    actions.do_approve_batch(batch, "Beslut", actor=rw.officer)
    actions.do_execute_batch(batch, actor=rw.officer)
    old.refresh_from_db()
    assert old.subject == "Gallrat" and old.description == "" and not old.comments.exists()


def test_record_type_rules_are_validated(rw: Any) -> None:
    with pytest.raises(ValidationError):
        actions.do_create_record_type({"code": "x", "name": "X", "keep": False}, actor=rw.officer)
    kept = actions.do_create_record_type(
        {"code": "y", "name": "Y", "keep": True, "retention_years": 5}, actor=rw.officer
    )
    assert kept.retention_years is None
    with pytest.raises(PermissionDenied):
        actions.do_create_record_type({"code": "z", "name": "Z"}, actor=rw.agent)


# --- GDPR ---------------------------------------------------------------------------------------


def _chromebook(rw: Any) -> Any:
    from samdrift.assets import actions as assets

    maker = assets.do_create_manufacturer({"name": "Acer"}, actor=rw.admin)
    model = assets.do_create_asset_model(
        {"manufacturer": maker, "name": "Chromebook 311", "category": "laptop"}, actor=rw.admin
    )
    asset = assets.do_create_asset(
        {"owner": rw.hoor.owner, "asset_tag": "CB-0001", "model": model, "serial_number": "CB311-1"}, actor=rw.admin
    )
    assets.do_check_out_asset(asset, rw.hoor.pupil, actor=rw.admin)
    return asset


def test_a_pupils_extract_lists_the_chromebook_and_the_tickets(rw: Any, web: Any) -> None:
    _chromebook(rw)
    ticket = sd.do_create_ticket({"requester": rw.hoor.pupil, "subject": "Chromebooken startar inte"}, actor=rw.agent)
    gdpr = actions.do_gdpr_extract(rw.hoor.pupil, actor=rw.officer)
    report = gdpr.report
    assert [d["asset_tag"] for d in report["devices_held"]] == ["CB-0001"]
    assert "Chromebook 311" in report["devices_held"][0]["device"]
    assert [t["number"] for t in report["tickets"]] == [ticket.number]
    assert report["audit_events"] and report["person"]["kind"] == "Pupil"
    page = web(rw.officer).get(gdpr.get_absolute_url()).content.decode()
    assert "CB-0001" in page and ticket.number in page
    download = web(rw.officer).get(gdpr.get_absolute_url(), {"format": "json"})
    assert download.status_code == 200 and b"CB-0001" in download.content
    assert web(rw.hoor.orderer).get(gdpr.get_absolute_url()).status_code == 404


def test_erasure_anonymises_and_reports_what_is_kept(rw: Any, web: Any) -> None:
    _chromebook(rw)
    sd.do_create_ticket({"requester": rw.hoor.pupil, "subject": "Inloggning"}, actor=rw.agent)
    gdpr = actions.do_gdpr_erase(rw.hoor.pupil, actor=rw.officer)
    pupil = rw.hoor.pupil
    pupil.refresh_from_db()
    assert pupil.first_name == "Raderad" and pupil.external_id == f"erased-{pupil.pk}" and not pupil.active
    kept = {k["what"]: k for k in gdpr.report["kept"]}
    assert kept["Tickets where the person is the requester"]["count"] == 1
    assert "Disposed of 2 years after closure" in kept["Tickets where the person is the requester"]["why"]
    assert kept["Device history (who held which device)"]["count"] == 1
    assert web(rw.agent).post(reverse("gdprrequest_create"), {"person": pupil.pk, "kind": "erase"}).status_code == 403
    response = web(rw.officer).post(reverse("gdprrequest_create"), {"person": rw.hoor.employee.pk, "kind": "extract"})
    latest = GdprRequest.objects.order_by("-id").first()
    assert response.status_code == 302 and response.url == latest.get_absolute_url() and latest.kind == "extract"
    assert web(rw.officer).post(reverse("gdprrequest_create"), {"person": 10**9, "kind": "erase"}).status_code == 302
    assert GdprRequest.objects.count() == 2
