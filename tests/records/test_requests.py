"""Public access requests end to end: register (anonymous), search across the system, add, decide
per record, the written decision with appeal information, the masked release package, deadlines
on the business calendar, and an audit event for every step."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from samdrift.core.models import AuditEvent
from samdrift.records import actions, package, sources
from samdrift.records.calendar import deadline_flag, working_days_between
from samdrift.records.models import AccessLogEntry, AccessRequest, Decision, RequestItem, SecrecyGround, holds_on
from tests.records.conftest import SECRET_NOTE, events_for

pytestmark = pytest.mark.django_db


def _request(rw: Any, **extra: Any) -> AccessRequest:
    data = {"description": "Alla ärenden om wifi på Höörs bibliotek i oktober", **extra}
    return actions.do_register_request(data, actor=rw.officer)


def test_an_anonymous_request_is_registered_in_the_register_with_its_number(rw: Any) -> None:
    request = _request(rw)
    assert request.requester_name == "" and request.requester_display == "Anonymous"
    year = timezone.localdate().year
    assert request.reference == f"SAM {year}/1" and request.case is not None
    assert request.case.counterparty == "Anonymous"
    assert [e.event_type for e in events_for(request)] == ["created"]
    assert events_for(request)[0].changes["anonymous"] == [None, True]


def test_only_a_records_officer_registers_and_bad_input_changes_nothing(rw: Any) -> None:
    for user in (rw.agent, rw.admin, rw.hoor.orderer):
        with pytest.raises(PermissionDenied):
            actions.do_register_request({"description": "x"}, actor=user)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.do_register_request({"description": "  "}, actor=rw.officer)
    assert "description" in exc.value.error_dict
    with pytest.raises(ValidationError):
        actions.do_register_request(
            {"description": "x", "search_from": date(2025, 10, 31), "search_to": date(2025, 10, 1)}, actor=rw.officer
        )
    assert AccessRequest.objects.count() == 0 and AuditEvent.objects.count() == before


def test_search_finds_the_wifi_tickets_of_october_only(rw: Any) -> None:
    source = sources.source_for("servicedesk.ticket")
    assert source is not None
    hits = source.search("wifi Höör bibliotek", date(2025, 10, 1), date(2025, 10, 31))
    assert [h.identifier for h in hits] == [rw.wifi.number]
    assert hits[0].marked  # its confidential note
    assert source.search("wifi Höör", date(2025, 11, 1), date(2025, 11, 30)) == []
    assert {h.identifier for h in source.search("bibliotek", None, None)} == {rw.wifi.number, rw.printer.number}
    assert source.search("", None, None) == []


def test_the_done_when_flow_masks_the_osl_18_8_comment_in_the_pdf(rw: Any) -> None:
    request = _request(rw, search_from=date(2025, 10, 1), search_to=date(2025, 10, 31))
    item = actions.do_add_request_item(request, "servicedesk.ticket", rw.wifi.pk, actor=rw.officer)
    assert actions.do_add_request_item(request, "servicedesk.ticket", rw.wifi.pk, actor=rw.officer) == item
    # Partial release: the grounds default to those of the record's markings.
    actions.do_decide_item(item, Decision.PARTIAL, actor=rw.officer, reason="Säkerhetsåtgärder")
    assert [g.code for g in item.grounds.all()] == ["osl_18_8"]
    request = actions.do_decide_request(request, actor=rw.officer)
    assert request.status == "decided" and request.case.status == "closed"
    text = request.decision_text
    assert "lämnas ut med maskerade uppgifter, med stöd av OSL 18 kap. 8 §" in text
    assert "Hur man överklagar" in text and "tre veckor" in text and request.reference in text

    shown, refused = package.released_records(request)
    assert refused == [] and len(shown) == 1
    parts = {p.label: p for p in shown[0].parts}
    assert parts["Subject"].text == rw.wifi.subject
    masked = [p for p in shown[0].parts if p.masked_ground]
    assert [p.masked_ground for p in masked] == ["OSL 18 kap. 8 §"] and masked[0].text == ""
    html = render_to_string("records/release_package.html", {"request": request, "records": shown, "refused": []})
    assert "[Maskerat enligt OSL 18 kap. 8 §]" in html
    assert "Vi felanmäler accesspunkten." in html  # the public reply is released
    assert SECRET_NOTE not in html and "Hemligt123" not in html
    pdf = package.release_pdf(request)
    assert pdf.startswith(b"%PDF-") and b"Hemligt123" not in pdf
    # every step was an audited action
    kinds = [(e.object_type, e.event_type) for e in AuditEvent.objects.order_by("id")]
    for step in [
        ("records.accessrequest", "created"),
        ("records.requestitem", "created"),
        ("records.requestitem", "updated"),
        ("records.accessrequest", "updated"),
    ]:
        assert step in kinds


def test_release_without_masking_and_refusal(rw: Any) -> None:
    request = _request(rw)
    wifi = actions.do_add_request_item(request, "servicedesk.ticket", rw.wifi.pk, actor=rw.officer)
    printer = actions.do_add_request_item(request, "servicedesk.ticket", rw.printer.pk, actor=rw.officer)
    # nothing marked in the printer ticket: partial release is refused, so is a refusal without a ground
    with pytest.raises(ValidationError):
        actions.do_decide_item(printer, Decision.PARTIAL, actor=rw.officer)
    with pytest.raises(ValidationError):
        actions.do_decide_item(printer, Decision.REFUSE, actor=rw.officer)
    with pytest.raises(ValidationError):
        actions.do_decide_request(request, actor=rw.officer)  # items undecided
    personnel = SecrecyGround.objects.get(code="osl_39")
    actions.do_decide_item(printer, Decision.REFUSE, actor=rw.officer, grounds=[personnel])
    actions.do_decide_item(wifi, Decision.RELEASE, actor=rw.officer)
    request = actions.do_decide_request(request, actor=rw.officer)
    assert "lämnas inte ut, med stöd av OSL 39 kap." in request.decision_text
    shown, refused = package.released_records(request)
    assert [r.identifier for r in shown] == [rw.wifi.number] and refused == [printer]
    assert any(p.text == SECRET_NOTE for p in shown[0].parts)  # released whole: decided so
    with pytest.raises(ValidationError):
        actions.do_add_request_item(request, "servicedesk.ticket", rw.printer.pk, actor=rw.officer)


def test_a_release_of_everything_has_no_appeal_information(rw: Any) -> None:
    request = _request(rw)
    item = actions.do_add_request_item(request, "servicedesk.ticket", rw.printer.pk, actor=rw.officer)
    actions.do_decide_item(item, Decision.RELEASE, actor=rw.officer)
    request = actions.do_decide_request(request, actor=rw.officer)
    assert "lämnas ut." in request.decision_text and "överklagar" not in request.decision_text


def test_a_field_marking_masks_that_field_and_can_be_lifted(rw: Any) -> None:
    request = _request(rw)
    item = actions.do_add_request_item(request, "servicedesk.ticket", rw.printer.pk, actor=rw.officer)
    ground = SecrecyGround.objects.get(code="osl_31_16")
    marking = actions.do_mark_secret(
        item.content_type, rw.printer.pk, ground, actor=rw.officer, field_name="description"
    )
    assert marking.set_by == rw.officer and marking.set_at is not None
    with pytest.raises(ValidationError):
        actions.do_mark_secret(item.content_type, rw.printer.pk, ground, actor=rw.officer, field_name="description")
    with pytest.raises(ValidationError):
        actions.do_mark_secret(item.content_type, rw.printer.pk, ground, actor=rw.officer, field_name="nonsense")
    actions.do_decide_item(item, Decision.PARTIAL, actor=rw.officer)
    shown, _refused = package.released_records(request)
    assert {p.label: p.masked_ground for p in shown[0].parts}["Description"] == "OSL 31 kap. 16 §"
    actions.do_lift_marking(marking, actor=rw.officer)
    rendered = actions.rendered_item(item)
    assert rendered is not None and not rendered.is_marked


def test_zip_holds_the_pdf_the_decision_and_released_attachments_only(rw: Any, settings: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    letter = actions.do_register_case(
        {"subject": "Brev om nätet", "counterparty": "Leverantör AB"},
        actor=rw.officer,
        files=[SimpleUploadedFile("brev.txt", b"Offentligt brev")],
    )
    actions.do_add_attachment(
        letter,
        SimpleUploadedFile("natritning.txt", b"Hemlig ritning"),
        actor=rw.officer,
        ground=SecrecyGround.objects.get(code="osl_18_8"),
    )
    assert letter.attachments.first().sha256 == __import__("hashlib").sha256(b"Offentligt brev").hexdigest()
    request = _request(rw)
    item = actions.do_add_request_item(request, "records.case", letter.pk, actor=rw.officer)
    actions.do_decide_item(item, Decision.PARTIAL, actor=rw.officer)
    request = actions.do_decide_request(request, actor=rw.officer)
    with zipfile.ZipFile(io.BytesIO(package.release_zip(request))) as zf:
        names = zf.namelist()
        assert f"{package._safe(request.reference)}.pdf" in names and "beslut.txt" in names
        assert any(n.endswith("brev.txt") for n in names)
        assert not any("natritning" in n for n in names)
        assert zf.read(next(n for n in names if n.endswith("brev.txt"))) == b"Offentligt brev"


def test_deadlines_count_swedish_working_days() -> None:
    # Thursday 19 June 2025 → midsommarafton (Fri 20) and the weekend are not working days.
    received = timezone.make_aware(datetime(2025, 6, 19, 15, 0))
    assert working_days_between(date(2025, 6, 19), date(2025, 6, 22)) == 0
    assert deadline_flag(received, open_=True, today=date(2025, 6, 22)) == "ok"
    assert deadline_flag(received, open_=True, today=date(2025, 6, 23)) == "warning"
    assert deadline_flag(received, open_=True, today=date(2025, 6, 24)) == "warning"
    assert deadline_flag(received, open_=True, today=date(2025, 6, 25)) == "alarm"
    assert deadline_flag(received, open_=False, today=date(2025, 6, 25)) == "ok"


def test_reading_a_marked_record_is_logged_and_the_log_has_a_page(rw: Any, web: Any) -> None:
    request = _request(rw)
    marked = actions.do_add_request_item(request, "servicedesk.ticket", rw.wifi.pk, actor=rw.officer)
    plain = actions.do_add_request_item(request, "servicedesk.ticket", rw.printer.pk, actor=rw.officer)
    client = web(rw.officer)
    response = client.get(reverse("requestitem_detail", args=[marked.pk]))
    assert response.status_code == 200 and "OSL 18 kap. 8 §" in response.content.decode()
    client.get(reverse("requestitem_detail", args=[plain.pk]))
    entries = list(AccessLogEntry.objects.all())
    assert [(e.user_id, e.object_id, e.reason) for e in entries] == [(rw.officer.pk, str(rw.wifi.pk), "secrecy")]
    page = web(rw.admin).get(reverse("accesslog_list")).content.decode()
    assert rw.wifi.number in page and rw.officer.username in page
    assert web(rw.agent).get(reverse("accesslog_list")).status_code == 403


def test_the_request_pages_work_for_the_officer_and_refuse_others(rw: Any, web: Any) -> None:
    client = web(rw.officer)
    response = client.post(
        reverse("accessrequest_create"), {"description": "Alla ärenden om wifi", "requester_name": ""}
    )
    request = AccessRequest.objects.get()
    assert response.status_code == 302 and response.url == request.get_absolute_url()
    page = client.get(
        request.get_absolute_url(), {"q": "wifi Höör", "date_from": "2025-10-01", "date_to": "2025-10-31"}
    )
    assert rw.wifi.number in page.content.decode() and rw.printer.number not in page.content.decode()
    client.post(reverse("accessrequest_add", args=[request.pk]), {"record": f"servicedesk.ticket:{rw.wifi.pk}"})
    item = RequestItem.objects.get()
    client.post(reverse("requestitem_decide", args=[item.pk]), {"decision": "partial"})
    client.post(reverse("accessrequest_decide", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == "decided"
    pdf = client.get(reverse("accessrequest_pdf", args=[request.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(object_type="records.accessrequest", event_type="exported").count() == 1
    for user in (rw.agent, rw.hoor.orderer, rw.hoor.viewer):
        other = web(user)
        assert other.get(request.get_absolute_url()).status_code == 404
        assert other.get(reverse("accessrequest_pdf", args=[request.pk])).status_code == 404
        assert other.get(reverse("accessrequest_list")).status_code == 403
    # an admin reads but does not decide
    admin = web(rw.admin)
    assert admin.get(request.get_absolute_url()).status_code == 200
    assert admin.post(reverse("accessrequest_create"), {"description": "x"}).status_code == 403


def test_the_officers_buttons_act_say_so_and_refuse_others(rw: Any, web: Any) -> None:
    """Close, legal hold, withdraw and remove: each page button runs its action with a message for the
    officer; anyone else gets 403 (who can see it) or 404, and nothing changes."""
    officer = web(rw.officer)
    case = actions.do_register_case({"subject": "Avtal om nätet", "counterparty": "Leverantör AB"}, actor=rw.officer)
    for user in (rw.agent, rw.hoor.viewer):
        assert web(user).post(reverse("case_close", args=[case.pk])).status_code in (403, 404)
    case.refresh_from_db()
    assert case.status == "open"

    response = officer.post(reverse("case_hold", args=[case.pk]), {"hold": "1", "reason": "Tvist"}, follow=True)
    assert holds_on(case).count() == 1 and "bevarandebeslut" in response.content.decode()
    officer.post(reverse("case_hold", args=[case.pk]), {"hold": "0"})
    assert not holds_on(case).exists()
    response = officer.post(reverse("case_close", args=[case.pk]), follow=True)
    case.refresh_from_db()
    assert case.status != "open" and "Diarieposten är avslutad." in response.content.decode()

    request = _request(rw)
    actions.do_add_request_item(request, "servicedesk.ticket", rw.wifi.pk, actor=rw.officer)
    item = RequestItem.objects.get(request=request)
    response = officer.post(reverse("requestitem_remove", args=[item.pk]), follow=True)
    assert not RequestItem.objects.filter(pk=item.pk).exists()
    assert response.redirect_chain[-1][0] == request.get_absolute_url()
    assert "Handlingen är borttagen ur begäran." in response.content.decode()
    response = officer.post(reverse("accessrequest_withdraw", args=[request.pk]), follow=True)
    request.refresh_from_db()
    assert request.status == "withdrawn" and "Begäran är återkallad." in response.content.decode()


def _post(web: Any, user: Any, name: str, pk: int, data: Any = None) -> tuple[Any, list[str]]:
    """POST as `user` from a fresh session (in English), with what the page then says."""
    client = web(user)
    client.cookies["django_language"] = "en"
    response = client.post(reverse(name, args=[pk]), data or {})
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def test_the_request_and_marking_buttons_refuse_a_reader_and_change_nothing_on_bad_input(rw: Any, web: Any) -> None:
    """Add, decide, mark, lift and attach: an admin reads them all but acts on none (403); a decision
    without its choice, a marking without its ground and an attachment without its file change nothing,
    say why and go back to the page they came from; a lift goes back to the records page it names."""
    request = _request(rw)
    item = actions.do_add_request_item(request, "servicedesk.ticket", rw.printer.pk, actor=rw.officer)
    ground = SecrecyGround.objects.get(code="osl_31_16")
    marking = actions.do_mark_secret(item.content_type, rw.printer.pk, ground, actor=rw.officer, field_name="subject")
    case = actions.do_register_case({"subject": "Avtal om nätet", "counterparty": "Leverantör AB"}, actor=rw.officer)
    before = AuditEvent.objects.filter(object_type__startswith="records.").count()
    for name, pk in [
        ("accessrequest_add", request.pk),
        ("accessrequest_decide", request.pk),
        ("requestitem_decide", item.pk),
        ("requestitem_mark", item.pk),
        ("secrecymarking_lift", marking.pk),
        ("case_attach", case.pk),
    ]:
        response, _said = _post(web, rw.admin, name, pk, {"decision": "release", "ground": ground.pk})
        assert response.status_code == 403, name

    item_page = reverse("requestitem_detail", args=[item.pk])
    response, said = _post(web, rw.officer, "requestitem_decide", item.pk, {"decision": ""})
    assert response.url == item_page and said == ["Choose a decision."]
    response, said = _post(web, rw.officer, "requestitem_mark", item.pk, {"field_name": "description"})
    assert response.url == item_page and said == ["Choose a ground."]
    response, said = _post(web, rw.officer, "case_attach", case.pk)
    assert response.url == case.get_absolute_url() and said == ["Choose a file."]
    assert AuditEvent.objects.filter(object_type__startswith="records.").count() == before
    item.refresh_from_db()
    assert item.decision == Decision.PENDING and not case.attachments.exists()

    response, said = _post(web, rw.officer, "secrecymarking_lift", marking.pk, {"next": item_page})
    marking.refresh_from_db()
    assert response.url == item_page and said == ["The marking is lifted."] and marking.lifted_at is not None
    response, said = _post(web, rw.officer, "secrecymarking_lift", marking.pk, {"next": "https://example.com/"})
    assert response.url == reverse("records_plan") and said == ["The marking is already lifted."]
