"""GDPR rectification (art. 16) and restriction of processing (art. 18), for the records officer:
corrections through the audited update with a report of old and new values and of what the law
keeps as it was; a restriction that stops new orders and tickets for the person until it is lifted;
bad input that changes nothing; and nobody but the records officer doing any of it."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.urls import reverse

from samdrift.core.models import AuditEvent
from samdrift.ordering import actions as ordering
from samdrift.ordering.models import Order
from samdrift.records import actions
from samdrift.records.models import AccessLogEntry, GdprRequest
from samdrift.servicedesk import actions as sd
from samdrift.servicedesk.models import Ticket
from samdrift.tenancy import actions as tenancy
from samdrift.tenancy.models import Person
from tests.records.conftest import events_for

pytestmark = pytest.mark.django_db

GDPR_API = "/api/v1/records/gdpr-requests/"


def _snapshot(person: Person) -> dict[str, Any]:
    return model_to_dict(Person.objects.get(pk=person.pk))


def _changes() -> int:
    """Audit events other than logins (the test clients log in)."""
    return AuditEvent.objects.exclude(event_type="login").count()


def _service(rw: Any) -> Any:
    """A one-time service the owner's orderer may order, with a price valid today."""
    from samdrift.billing import actions as billing

    article = billing.do_create_article(
        {"code": "GDPR-INST", "name": "Installation", "unit_code": "C62", "revenue_account": "3020"}, actor=None
    )
    return ordering.do_create_service(
        {
            "code": "GDPR-INST",
            "name": "Installation",
            "kind": "one_time",
            "billing_article": article,
            "price": Decimal("400"),
            "price_from": date(2020, 1, 1),
        },
        actor=None,
    )


def _order_for(rw: Any, person: Person, service: Any) -> Any:
    return ordering.do_create_order(
        {"cost_centre": rw.hoor.cost_centre, "delivery_address": "Storgatan 1, Höör"},
        [ordering.OrderItem(recipients=[person], service=service)],
        actor=rw.hoor.orderer,
    )


# --- rectification -----------------------------------------------------------------------------


def test_rectification_corrects_the_fields_with_audit_events_and_a_report(rw: Any) -> None:
    person = rw.hoor.employee
    old_email, old_last = person.email, person.last_name
    gdpr = actions.do_gdpr_rectify(
        person,
        {"last_name": "Lindqvist", "email": "anna.lindqvist@hoor.example", "title": "Bibliotekarie",
         "org_unit": rw.hoor.school.pk, "first_name": person.first_name},
        "Namnbyte efter giftermål; styrkt med körkort.",
        actor=rw.officer,
    )  # fmt: skip
    stored = Person.objects.get(pk=person.pk)
    assert (stored.last_name, stored.email, stored.title, stored.org_unit_id) == (
        "Lindqvist",
        "anna.lindqvist@hoor.example",
        "Bibliotekarie",
        rw.hoor.school.pk,
    )
    assert person.last_name == "Lindqvist", "the caller's object follows the row"
    # One audited update of the person with every corrected field before and after.
    update = events_for(person)[-1]
    assert update.event_type == "updated" and update.actor_role == "records_officer"
    assert update.changes["last_name"] == [old_last, "Lindqvist"]
    assert update.changes["email"] == [old_email, "anna.lindqvist@hoor.example"]
    assert update.changes["org_unit"] == [rw.hoor.admin_unit.pk, rw.hoor.school.pk]
    assert "first_name" not in update.changes, "an unchanged value is not a correction"
    # The request and its report: each field with old and new value, in field order.
    assert gdpr.kind == "rectify" and gdpr.handler == rw.officer and gdpr.person_label == str(stored)
    report = gdpr.report
    assert [(c["field"], c["old"], c["new"]) for c in report["changes"]] == [
        ("last_name", old_last, "Lindqvist"),
        ("email", old_email, "anna.lindqvist@hoor.example"),
        ("title", "", "Bibliotekarie"),
        ("org_unit", rw.hoor.admin_unit.name, rw.hoor.school.name),
    ]
    assert report["note"] == "Namnbyte efter giftermål; styrkt med körkort."
    assert report["audit_event"] == update.pk
    kept = {k["what"]: k for k in report["kept"]}
    # The two tickets of the world keep what was written in them; the audit trail keeps the old values.
    assert kept["Tickets where the person is the requester"]["count"] == 2
    assert "stays as written" in kept["Tickets where the person is the requester"]["why"]
    assert kept["Audit trail events about the person"]["count"] == len(events_for(person))
    created = events_for(gdpr)
    assert [e.event_type for e in created] == ["created"]
    assert created[0].extra["fields"] == ["email", "last_name", "org_unit", "title"]
    assert old_email not in json.dumps(created[0].extra), "the request's event carries no values"


def test_rectification_names_issued_invoices_and_leaves_them_as_they_were(rw: Any) -> None:
    """An order for the person was delivered and invoiced with the name of the time: the invoice
    stays as issued and the report says so; the running charge is for Finance to follow up."""
    from samdrift.billing import actions as billing
    from samdrift.billing.models import InvoiceLine

    person, service = rw.hoor.employee, _service(rw)
    order = _order_for(rw, person, service)
    line = order.lines.get()
    today = date.today()
    for text in ("invoiced", "running"):
        billing.do_create_charge(
            {"owner": rw.hoor.owner, "cost_centre": rw.hoor.cost_centre, "article": service.billing_article,
             "description": f"Installation · {person} ({text})", "charge_date": today if text == "invoiced"
             else date(today.year + 1, 1, 15), "quantity": Decimal(1), "unit_price": Decimal(400),
             "external_ref": f"ordering.line:{line.pk}"},
            actor=None,
        )  # fmt: skip
    period = billing.do_create_period(today.year, today.month, actor=None)
    billing.do_run_billing(period, actor=None)
    invoiced = InvoiceLine.objects.filter(source_type="charge", invoice__isnull=False)
    assert invoiced.count() == 1, "the billing run issued the invoice"
    before = list(invoiced.values_list("description", flat=True))

    gdpr = actions.do_gdpr_rectify(person, {"first_name": "Annika"}, actor=rw.officer)
    kept = {k["what"]: k for k in gdpr.report["kept"]}
    assert kept["Lines of issued invoices that name the person (on 1 invoice)"]["count"] == 1
    assert "credit note" in kept["Lines of issued invoices that name the person (on 1 invoice)"]["why"]
    assert [f["count"] for f in gdpr.report["follow_up"]] == [1]
    assert list(invoiced.values_list("description", flat=True)) == before, "an issued invoice is never changed"


def test_a_pupils_rectification_masks_the_values_in_the_report(rw: Any, web: Any) -> None:
    pupil = rw.hoor.pupil
    old_first = pupil.first_name
    with pytest.raises(ValidationError) as caught:
        actions.do_gdpr_rectify(pupil, {"phone": "0701234567"}, actor=rw.officer)
    assert "leave phone and title empty" in str(caught.value)
    gdpr = actions.do_gdpr_rectify(pupil, {"first_name": "Alva"}, actor=rw.officer)
    assert Person.objects.get(pk=pupil.pk).first_name == "Alva"
    (change,) = gdpr.report["changes"]
    assert change == {"field": "first_name", "label": "First name", "masked": "OSL 23 kap."}
    assert old_first not in json.dumps(gdpr.report), "the report copies no secret value"
    # The values are in the audit trail (which only records roles read), and nowhere else new.
    assert events_for(pupil)[-1].changes["first_name"] == [old_first, "Alva"]
    page = web(rw.officer).get(gdpr.get_absolute_url()).content.decode()
    assert "OSL 23 kap." in page and old_first not in page
    # Opening the rectification page shows the pupil's data: that read is logged.
    reads = AccessLogEntry.objects.filter(reason="pupil", purpose="gdpr_rectify").count()
    form = web(rw.officer).get(reverse("gdpr_rectify", args=[pupil.pk])).content.decode()
    assert 'name="phone"' not in form and 'value="Alva"' in form
    assert AccessLogEntry.objects.filter(reason="pupil", purpose="gdpr_rectify").count() == reads + 1


@pytest.mark.parametrize(
    ("changes", "note", "key", "message"),
    [
        ({"email": "inte-en-adress"}, "", "email", "Enter a valid email address."),
        ({"shoe_size": "42"}, "", "changes", "shoe_size cannot be corrected here"),
        ({"external_id": "X-1"}, "", "changes", "external_id cannot be corrected here"),
        ({"last_name": "   "}, "", "last_name", "A name cannot be empty."),
        ({"first_name": "Ny", "email": "fel@"}, "", "email", "Enter a valid email address."),
        ({"title": "x" * 101}, "", "title", "at most 100 characters"),
        ({"org_unit": "other-owner"}, "", "org_unit", "Choose an org unit of the person's owner."),
        ({"org_unit": "99999999999999999999999"}, "", "org_unit", "Choose an org unit of the person's owner."),
        ({}, "", "changes", "Say which data are wrong"),
        ({"first_name": "same"}, "", "changes", "Nothing to correct"),
        ({"first_name": "Ny"}, "x" * 2001, "note", "At most 2000 characters."),
    ],
)
def test_bad_corrections_change_nothing(rw: Any, changes: dict, note: str, key: str, message: str) -> None:
    person = rw.hoor.employee
    if changes.get("org_unit") == "other-owner":
        changes = {"org_unit": rw.other.school.pk}
    if changes.get("first_name") == "same":
        changes = {"first_name": person.first_name}
    before, events, requests = _snapshot(person), AuditEvent.objects.count(), GdprRequest.objects.count()
    with pytest.raises(ValidationError) as caught:
        actions.do_gdpr_rectify(person, changes, note, actor=rw.officer)
    assert key in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[key])
    assert _snapshot(person) == before and model_to_dict(person) == before
    assert AuditEvent.objects.count() == events and GdprRequest.objects.count() == requests


def test_rectification_through_the_records_pages(rw: Any, web: Any) -> None:
    person, client = rw.hoor.employee, web(rw.officer)
    # Started where extracts and erasures are: the kind leads to the person's rectification page.
    response = client.post(reverse("gdprrequest_create"), {"person": person.pk, "kind": "rectify"})
    url = reverse("gdpr_rectify", args=[person.pk])
    assert response.status_code == 302 and response.url == url
    page = client.get(url).content.decode()
    assert f'value="{person.email}"' in page and 'name="note"' in page
    before = _snapshot(person)
    bad = client.post(url, {"first_name": person.first_name, "last_name": "", "email": "nej"})
    assert bad.status_code == 200
    text = bad.content.decode()  # the pages speak the user's language (Swedish): look for the markup
    assert 'id="error-summary"' in text and 'id="id_email_error"' in text and 'id="id_last_name_error"' in text
    assert _snapshot(person) == before
    good = client.post(
        url,
        {"first_name": person.first_name, "last_name": person.last_name, "email": "ny.adress@hoor.example",
         "phone": "", "title": "", "org_unit": rw.hoor.admin_unit.pk, "note": "Fel adress i personalsystemet."},
    )  # fmt: skip
    gdpr = GdprRequest.objects.get(kind="rectify")
    assert good.status_code == 302 and good.url == gdpr.get_absolute_url()
    assert Person.objects.get(pk=person.pk).email == "ny.adress@hoor.example"
    assert [c["field"] for c in gdpr.report["changes"]] == ["email"]
    detail = client.get(gdpr.get_absolute_url()).content.decode()
    assert before["email"] in detail and "ny.adress@hoor.example" in detail and "Fel adress" in detail


# --- restriction -------------------------------------------------------------------------------


def test_restriction_blocks_orders_and_tickets_until_it_is_lifted(rw: Any, api: Any) -> None:
    person, service = rw.hoor.employee, _service(rw)
    gdpr = actions.do_gdpr_restrict(person, "Bestrider att uppgifterna är riktiga.", actor=rw.officer)
    stored = Person.objects.get(pk=person.pk)
    assert stored.processing_restricted and stored.processing_restricted_since is not None
    assert person.processing_restricted, "the caller's object follows the row"
    assert gdpr.kind == "restrict" and gdpr.report["action"] == "restrict"
    assert gdpr.report["reason"] == "Bestrider att uppgifterna är riktiga."
    assert "New orders cannot name the person as recipient." in gdpr.report["effects"]
    assert events_for(person)[-1].changes["processing_restricted"] == [False, True]
    assert events_for(gdpr)[0].extra["action"] == "restrict"

    # Orders: the action refuses, so the API does too.
    orders = Order.objects.count()
    with pytest.raises(ValidationError) as caught:
        _order_for(rw, person, service)
    assert "(GDPR art. 18)" in str(caught.value)
    response = api(rw.hoor.orderer).post(
        "/api/v1/ordering/orders/",
        {"cost_centre": rw.hoor.cost_centre.pk, "delivery_address": "Storgatan 1",
         "items": [{"recipients": [person.pk], "service": service.pk, "quantity": 1}]},
        format="json",
    )  # fmt: skip
    # The API answers in the user's language (Swedish).
    assert response.status_code == 400 and "begränsad (GDPR art. 18)" in response.json()["non_field_errors"][0]
    assert Order.objects.count() == orders
    # Someone else of the owner can still be ordered for.
    assert _order_for(rw, rw.hoor.pupil, service).lines.get().recipient_id == rw.hoor.pupil.pk

    # Tickets: not by the desk, the owner's orderer or the system (e-mail intake); an admin may.
    tickets = Ticket.objects.count()
    for actor in (rw.agent, rw.hoor.orderer, None):
        with pytest.raises(ValidationError) as caught:
            sd.do_create_ticket({"requester": person, "subject": "Ny dator"}, actor=actor)
        assert "(GDPR art. 18)" in caught.value.message_dict["requester"][0]
    response = api(rw.agent).post("/api/v1/tickets/", {"requester": person.pk, "subject": "Via API"}, format="json")
    assert response.status_code == 400 and "requester" in response.json()
    assert Ticket.objects.count() == tickets
    by_admin = sd.do_create_ticket({"requester": person, "subject": "Begärt av registrator"}, actor=rw.admin)
    assert by_admin.requester_id == person.pk

    # Lifted: ordering and tickets work again.
    lifted = actions.do_gdpr_lift_restriction(person, "Uppgifterna rättade.", actor=rw.officer)
    assert not Person.objects.get(pk=person.pk).processing_restricted
    assert lifted.kind == "restrict" and lifted.report["action"] == "lift"
    assert lifted.report["restricted_by_request"] == gdpr.pk and lifted.report["restricted_since"]
    assert events_for(person)[-1].changes["processing_restricted"] == [True, False]
    assert _order_for(rw, person, service).lines.get().recipient_id == person.pk
    response = api(rw.agent).post("/api/v1/tickets/", {"requester": person.pk, "subject": "Via API"}, format="json")
    assert response.status_code == 201, response.content


def test_email_from_a_restricted_person_waits_in_the_error_queue(rw: Any) -> None:
    """Received e-mail is kept but not turned into a ticket; retried after the lift, it is. A later
    correction of the address names the kept message as what keeps the old value."""
    from email.message import EmailMessage

    from samdrift.servicedesk import intake
    from samdrift.servicedesk.models import InboundStatus

    person = rw.hoor.employee
    mailbox = intake.do_create_mailbox(
        {"owner": rw.hoor.owner, "name": "Support", "address": "support@hoor.example", "host": "imap.invalid",
         "port": 993, "username": "support", "password": "hemligt"},
        actor=rw.admin,
    )  # fmt: skip
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = person.email.upper(), "support@hoor.example", "Skrivaren igen"
    mail.set_content("Papper fastnar fortfarande.")
    actions.do_gdpr_restrict(person, "Bestrider riktigheten", actor=rw.officer)
    tickets = Ticket.objects.count()
    received = intake.do_store_inbound_message(mailbox, 1, 1, mail.as_bytes())
    assert received is not None
    received = intake.do_process_inbound_message(received)
    assert received.status == InboundStatus.FAILED and "GDPR art. 18" in received.reason
    assert Ticket.objects.count() == tickets and received.raw.size == received.size
    actions.do_gdpr_lift_restriction(person, "Prövat", actor=rw.officer)
    received = intake.do_process_inbound_message(received, actor=rw.admin)
    assert received.status == InboundStatus.PROCESSED and received.ticket.requester_id == person.pk

    gdpr = actions.do_gdpr_rectify(person, {"email": "ny.adress@hoor.example"}, actor=rw.officer)
    kept = {k["what"]: k["count"] for k in gdpr.report["kept"]}
    assert kept["E-mail received from the old address"] == 1
    assert kept["Tickets where the person is the requester"] == 3


def test_the_person_page_and_list_show_the_restriction_but_not_its_reason(rw: Any, web: Any) -> None:
    person = rw.hoor.employee
    actions.do_gdpr_restrict(person, "Rättslig tvist hemlig", actor=rw.officer)
    badge = "Behandling begränsad"  # the pages speak Swedish, the users' language
    for user in (rw.hoor.viewer, rw.agent, rw.officer):
        page = web(user).get(reverse("person_detail", args=[person.pk])).content.decode()
        assert badge in page and "Rättslig tvist" not in page
        listing = web(user).get(reverse("person_list"), {"q": person.last_name}).content.decode()
        assert listing.count(badge) == 1
    assert badge not in web(rw.officer).get(reverse("person_detail", args=[rw.hoor.pupil.pk])).content.decode()
    assert badge not in web(rw.officer).get(reverse("person_list"), {"q": rw.hoor.pupil.last_name}).content.decode()
    # The records officer gets the GDPR links on the person's page; others do not.
    assert reverse("gdpr_restrict", args=[person.pk]) in web(rw.officer).get(person.get_absolute_url()).content.decode()
    assert (
        reverse("gdpr_restrict", args=[person.pk]) not in web(rw.agent).get(person.get_absolute_url()).content.decode()
    )


def test_restriction_through_the_records_pages(rw: Any, web: Any) -> None:
    person, client = rw.hoor.employee, web(rw.officer)
    response = client.post(reverse("gdprrequest_create"), {"person": person.pk, "kind": "restrict"})
    url = reverse("gdpr_restrict", args=[person.pk])
    assert response.status_code == 302 and response.url == url
    assert 'value="restrict"' in client.get(url).content.decode()
    empty = client.post(url, {"step": "restrict", "reason": "  "})
    assert empty.status_code == 200 and 'id="id_reason_error"' in empty.content.decode()
    assert not Person.objects.get(pk=person.pk).processing_restricted
    done = client.post(url, {"step": "restrict", "reason": "Invänder mot behandlingen."})
    gdpr = GdprRequest.objects.get(kind="restrict")
    assert done.status_code == 302 and done.url == gdpr.get_absolute_url()
    assert Person.objects.get(pk=person.pk).processing_restricted
    # A second submit of the stale page changes nothing and says why.
    again = client.post(url, {"step": "restrict", "reason": "Dubbelklick"}, follow=True)
    assert again.redirect_chain == [(url, 302)] and GdprRequest.objects.count() == 1
    assert 'value="lift"' in client.get(url).content.decode()
    client.post(url, {"step": "lift", "reason": "Invändningen prövad."})
    assert not Person.objects.get(pk=person.pk).processing_restricted
    lift = GdprRequest.objects.get(kind="restrict", report__action="lift")
    page = client.get(lift.get_absolute_url()).content.decode()
    assert "Invändningen prövad." in page and gdpr.get_absolute_url() in page
    assert "Invänder mot behandlingen." in client.get(gdpr.get_absolute_url()).content.decode()


def test_restriction_needs_a_reason_and_the_right_state(rw: Any) -> None:
    person = rw.hoor.employee
    before, events = _snapshot(person), AuditEvent.objects.count()
    for reason in ("", "   ", "x" * 501):
        with pytest.raises(ValidationError) as caught:
            actions.do_gdpr_restrict(person, reason, actor=rw.officer)
        assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError, match="not restricted"):
        actions.do_gdpr_lift_restriction(person, "Inget att häva", actor=rw.officer)
    assert _snapshot(person) == before and AuditEvent.objects.count() == events
    actions.do_gdpr_restrict(person, "Bestrider riktigheten", actor=rw.officer)
    restricted, events = _snapshot(person), AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="already restricted"):
        actions.do_gdpr_restrict(person, "Igen", actor=rw.officer)
    with pytest.raises(ValidationError) as caught:
        actions.do_gdpr_lift_restriction(person, "", actor=rw.officer)
    assert "reason" in caught.value.message_dict
    assert _snapshot(person) == restricted and AuditEvent.objects.count() == events


# --- who may -----------------------------------------------------------------------------------


def test_only_the_records_officer_rectifies_restricts_and_lifts(rw: Any, web: Any, api: Any) -> None:
    person = rw.hoor.employee
    before, events = _snapshot(person), _changes()
    for actor in (rw.admin, rw.agent, rw.technician, rw.hoor.orderer, rw.hoor.viewer):
        with pytest.raises(PermissionDenied):
            actions.do_gdpr_rectify(person, {"first_name": "Hackad"}, actor=actor)
        with pytest.raises(PermissionDenied):
            actions.do_gdpr_restrict(person, "Nej", actor=actor)
        with pytest.raises(PermissionDenied):
            actions.do_gdpr_lift_restriction(person, "Nej", actor=actor)
    for user in (rw.admin, rw.agent, rw.hoor.orderer):
        client = web(user)
        for name in ("gdpr_rectify", "gdpr_restrict"):
            url = reverse(name, args=[person.pk])
            assert client.get(url).status_code == 403
            assert client.post(url, {"first_name": "Hackad", "step": "restrict", "reason": "x"}).status_code == 403
        for kind in ("rectify", "restrict", "lift"):
            body = {"person": person.pk, "kind": kind, "changes": {"first_name": "Hackad"}, "reason": "x"}
            assert api(user).post(GDPR_API, body, format="json").status_code == 403
    assert _snapshot(person) == before and _changes() == events
    # Administrators read the requests (as they read extracts and erasures); owner users see none.
    gdpr = actions.do_gdpr_restrict(person, "Bestrider riktigheten", actor=rw.officer)
    assert web(rw.admin).get(gdpr.get_absolute_url()).status_code == 200
    assert api(rw.admin).get(f"{GDPR_API}{gdpr.pk}/").json()["action"] == "restrict"
    assert web(rw.hoor.orderer).get(gdpr.get_absolute_url()).status_code == 404
    assert api(rw.hoor.orderer).get(f"{GDPR_API}{gdpr.pk}/").status_code == 404
    assert api(rw.hoor.orderer).get(GDPR_API).json()["results"] == []


# --- API ---------------------------------------------------------------------------------------


def test_the_api_rectifies_restricts_and_lifts(rw: Any, api: Any) -> None:
    person, client = rw.hoor.employee, api(rw.officer)
    before = _snapshot(person)
    bad = client.post(GDPR_API, {"person": person.pk, "kind": "rectify", "changes": {"email": "fel"}}, format="json")
    assert bad.status_code == 400 and "email" in bad.json()
    missing = client.post(GDPR_API, {"person": person.pk, "kind": "rectify"}, format="json")
    assert missing.status_code == 400 and "changes" in missing.json()
    nobody = client.post(GDPR_API, {"person": 10**9, "kind": "restrict", "reason": "x"}, format="json")
    assert nobody.status_code == 400 and "person" in nobody.json()
    no_reason = client.post(GDPR_API, {"person": person.pk, "kind": "restrict"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert _snapshot(person) == before and not GdprRequest.objects.exists()

    done = client.post(
        GDPR_API,
        {"person": person.pk, "kind": "rectify", "changes": {"phone": "0413-123 45", "org_unit": None},
         "note": "Via e-post"},
        format="json",
    )  # fmt: skip
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["kind"] == "rectify" and body["action"] == "rectify" and body["handler"] == rw.officer.username
    assert [(c["field"], c["new"]) for c in body["report"]["changes"]] == [("phone", "0413-123 45"), ("org_unit", "")]
    stored = Person.objects.get(pk=person.pk)
    assert stored.phone == "0413-123 45" and stored.org_unit_id is None

    restricted = client.post(GDPR_API, {"person": person.pk, "kind": "restrict", "reason": "Invändning"}, format="json")
    assert restricted.status_code == 201 and restricted.json()["action"] == "restrict"
    assert Person.objects.get(pk=person.pk).processing_restricted
    assert api(rw.agent).get(f"/api/v1/people/{person.pk}/").json()["processing_restricted"] is True
    twice = client.post(GDPR_API, {"person": person.pk, "kind": "restrict", "reason": "Igen"}, format="json")
    assert twice.status_code == 400 and twice.json() == {
        "non_field_errors": ["Behandlingen av personens uppgifter är redan begränsad."]
    }
    lifted = client.post(GDPR_API, {"person": person.pk, "kind": "lift", "reason": "Prövad"}, format="json")
    assert lifted.status_code == 201 and lifted.json()["kind"] == "restrict" and lifted.json()["action"] == "lift"
    assert not Person.objects.get(pk=person.pk).processing_restricted
    listed = client.get(GDPR_API, {"kind": "restrict"}).json()["results"]
    assert [r["action"] for r in listed] == ["lift", "restrict"]
    # The person API cannot set the restriction around the records officer.
    response = api(rw.admin).patch(
        f"/api/v1/people/{person.pk}/", {"processing_restricted": True, "title": "Chef"}, format="json"
    )
    assert response.status_code == 200 and not Person.objects.get(pk=person.pk).processing_restricted


def test_the_api_schema_documents_the_gdpr_requests(web: Any, rw: Any) -> None:
    schema = web(rw.admin).get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/v1/records/gdpr-requests/"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = schema["components"]["schemas"][body]["properties"]
    assert {"person", "kind", "changes", "note", "reason"} <= set(fields)
    assert "lift" in json.dumps(schema["components"]["schemas"])
    assert {"201", "400", "403"} <= set(post["responses"])


def test_a_person_is_also_created_unrestricted(rw: Any) -> None:
    """New people start unrestricted, whatever creates them."""
    person = tenancy.do_create_person(
        {"owner": rw.hoor.owner, "first_name": "Ny", "last_name": "Person", "external_id": "N-1"}, actor=None
    )
    assert not person.processing_restricted and person.processing_restricted_since is None


def test_the_register_extract_lists_what_was_ordered_for_the_person(rw: Any) -> None:
    person, service = rw.hoor.employee, _service(rw)
    order = _order_for(rw, person, service)
    _order_for(rw, rw.hoor.pupil, service)  # someone else's order is not theirs
    report = actions.do_gdpr_extract(person, actor=rw.officer).report
    assert [row["order"] for row in report["orders"]] == [str(order)]
    assert report["orders"][0]["line"] == order.lines.get().description
    assert report["orders"][0]["submitted"]
