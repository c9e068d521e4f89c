"""A register entry's legal hold (issue 12): one mechanism, the `LegalHold` row. The entry's page
sets one with a reason and releases it, only for records officers; a held entry is not disposed
of; the API says whether an entry is held without a query per entry; and migration 0007 turned
the entries' old `legal_hold` flags into holds."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from samdrift.core.models import AuditEvent
from samdrift.records import actions
from samdrift.records.models import BatchStatus, Case, LegalHold, RecordType, holds_on

pytestmark = pytest.mark.django_db

MIGRATION = "samdrift.records.migrations.0007_case_legal_hold_to_legalhold"


def _case(world: Any, subject: str = "Avtal om nätet") -> Case:
    return actions.do_register_case({"subject": subject, "counterparty": "Leverantör AB"}, actor=world.records)


def _hold_url(case: Case) -> str:
    return reverse("case_hold", args=[case.pk])


def _hold_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="records.legalhold").order_by("id"))


def _records_events() -> int:
    """Audit events about records rows (a sign-in of the test client is an event of its own)."""
    return AuditEvent.objects.filter(object_type__startswith="records.").count()


def test_an_officer_sets_a_hold_with_its_reason_from_the_case_page(world: Any, web: Any) -> None:
    case = _case(world)
    officer = web(world.records)
    response = officer.post(_hold_url(case), {"hold": "1", "reason": "  Pågående tvist med leverantören "}, follow=True)
    assert response.redirect_chain[-1][0] == case.get_absolute_url()
    page = response.content.decode()
    assert "Diarieposten omfattas av bevarandebeslut." in page

    hold = LegalHold.objects.get()
    assert hold.content_type == ContentType.objects.get_for_model(Case) and hold.object_id == str(case.pk)
    assert (hold.reason, hold.set_by, hold.released_at) == ("Pågående tvist med leverantören", world.records, None)
    [event] = _hold_events()
    assert (event.event_type, event.object_id, event.actor_id) == ("created", str(hold.pk), world.records.pk)
    assert event.changes == {"reason": [None, "Pågående tvist med leverantören"]}
    # the page says the entry is held, why, since when and by whom, and offers the release
    assert "Pågående tvist med leverantören" in page
    assert f"sedan {timezone.localdate():%Y-%m-%d}, satt av {world.records}" in page
    assert "Häv bevarandebeslutet" in page and "Sätt bevarandebeslut" not in page


def test_a_hold_without_a_reason_is_refused_and_changes_nothing(world: Any, web: Any) -> None:
    case = _case(world)
    officer = web(world.records)
    events = _records_events()
    for data in ({"hold": "1", "reason": "   "}, {"hold": "1"}):
        response = officer.post(_hold_url(case), data, follow=True)
        page = response.content.decode()
        assert response.status_code == 200
        assert "Skäl för bevarandebeslutet: Ange varför handlingen måste bevaras." in page
        assert "Inget bevarandebeslut." in page
    assert not LegalHold.objects.exists()
    assert _records_events() == events
    # a button value that is neither set nor release is refused too
    officer.post(_hold_url(case), {"hold": "ja", "reason": "Tvist"})
    assert not LegalHold.objects.exists()


def test_nobody_but_a_records_officer_sets_or_releases_a_hold(world: Any, web: Any) -> None:
    case = _case(world)
    held = _case(world, "Anbud under prövning")
    hold = actions.do_set_hold(ContentType.objects.get_for_model(Case), held.pk, "Överprövning", actor=world.records)
    events = _records_events()
    # the agent and owner A's viewer do not see the register (404); the admin reads it but may not (403)
    for user, status in ((world.agent, 404), (world.a.viewer, 404), (world.admin, 403)):
        client = web(user)
        assert client.post(_hold_url(case), {"hold": "1", "reason": "Tvist"}).status_code == status
        assert client.post(_hold_url(held), {"hold": "0"}).status_code == status
    assert list(LegalHold.objects.values_list("pk", "released_at")) == [(hold.pk, None)]
    assert _records_events() == events
    # the admin sees the hold, without the buttons
    page = web(world.admin).get(held.get_absolute_url()).content.decode()
    assert "Överprövning" in page and "Häv bevarandebeslutet" not in page


def test_releasing_ends_every_active_hold_of_the_case(world: Any, web: Any) -> None:
    case = _case(world)
    officer = web(world.records)
    officer.post(_hold_url(case), {"hold": "1", "reason": "Pågående tvist"})
    # a second hold on the same entry (set by the action, e.g. the auditors' request)
    actions.do_set_hold(ContentType.objects.get_for_model(Case), case.pk, "Revisorernas begäran", actor=world.records)
    assert holds_on(case).count() == 2
    page = officer.get(case.get_absolute_url()).content.decode()
    assert "Pågående tvist" in page and "Revisorernas begäran" in page

    response = officer.post(_hold_url(case), {"hold": "0"}, follow=True)
    page = response.content.decode()
    assert "Bevarandebeslutet är hävt." in page
    assert not holds_on(case).exists()
    assert LegalHold.objects.filter(released_at__isnull=False).count() == 2  # the history stays
    released = [e for e in _hold_events() if e.event_type == "updated"]
    assert len(released) == 2 and all("released_at" in e.changes for e in released)
    assert "Inget bevarandebeslut." in page and "Sätt bevarandebeslut" in page

    # releasing an entry that is not held says so and changes nothing
    events = _records_events()
    response = officer.post(_hold_url(case), {"hold": "0"}, follow=True)
    assert "Diarieposten omfattas inte av något bevarandebeslut." in response.content.decode()
    assert _records_events() == events


def test_a_held_case_is_not_disposed_of(world: Any, web: Any) -> None:
    """The register's own type, disposed of two years after creation: the entry held from its page
    is left out of the proposal; one held after the proposal is skipped when the batch runs."""
    register = actions.do_update_record_type(
        RecordType.objects.get(code="register"),
        {"keep": False, "retention_years": 2, "retention_event": "created", "decision": "Styrelsebeslut § 14"},
        actor=world.records,
    )
    held, old, later = _case(world, "Tvisten"), _case(world, "Gammalt brev"), _case(world, "Revisionen")
    Case.objects.filter(pk__in=[held.pk, old.pk, later.pk]).update(created=timezone.now() - timedelta(days=3 * 365))
    recent = _case(world, "Nytt brev")
    officer = web(world.records)
    officer.post(_hold_url(held), {"hold": "1", "reason": "Pågående tvist"})

    batch = actions.propose_disposal(register, actor=world.records)
    assert batch is not None
    proposed = set(batch.items.values_list("identifier", flat=True))
    assert {old.registration_number, later.registration_number} <= proposed
    assert held.registration_number not in proposed and recent.registration_number not in proposed

    officer.post(_hold_url(later), {"hold": "1", "reason": "Revisorernas begäran"})
    batch = actions.do_approve_batch(batch, "Styrelsebeslut § 14", actor=world.records)
    batch = actions.do_execute_batch(batch, actor=world.records)
    assert batch.status == BatchStatus.EXECUTED and batch.skipped_count == 1
    assert not Case.objects.filter(pk=old.pk).exists()
    assert Case.objects.filter(pk__in=[held.pk, later.pk, recent.pk]).count() == 3


def _list(client: Any) -> tuple[int, dict[int, bool]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/records/cases/")
    assert response.status_code == 200, response.content[:300]
    return len(queries.captured_queries), {row["id"]: row["legal_hold"] for row in response.json()["results"]}


def test_the_api_says_whether_a_case_is_held_without_a_query_per_case(world: Any, api: Any) -> None:
    ct = ContentType.objects.get_for_model(Case)
    client = api(world.records)
    created = client.post("/api/v1/records/cases/", {"subject": "Brev via API"}, format="json")
    assert created.status_code == 201 and created.json()["legal_hold"] is False
    held, free = _case(world, "Hållen"), _case(world, "Fri")
    hold = actions.do_set_hold(ct, held.pk, "Pågående tvist", actor=world.records)
    assert client.get(f"/api/v1/records/cases/{held.pk}/").json()["legal_hold"] is True
    assert client.get(f"/api/v1/records/cases/{free.pk}/").json()["legal_hold"] is False
    # read-only: a client cannot set it
    assert (
        client.post("/api/v1/records/cases/", {"subject": "x", "legal_hold": True}, format="json").json()["legal_hold"]
        is False
    )

    _list(client)  # the first request warms caches (content types, the user's roles)
    few, rows = _list(client)
    assert rows[held.pk] is True and rows[free.pk] is False
    more = [_case(world, f"Brev {n}") for n in range(12)]
    for case in more[::2]:
        actions.do_set_hold(ct, case.pk, "Tvist", actor=world.records)
    many, rows = _list(client)
    assert many == few, f"{few} queries with few entries, {many} with more"
    assert [rows[c.pk] for c in more] == [n % 2 == 0 for n in range(12)]

    actions.do_release_hold(hold, actor=world.records)
    assert client.get(f"/api/v1/records/cases/{held.pk}/").json()["legal_hold"] is False


def test_the_migration_turns_each_flag_into_an_active_hold(world: Any) -> None:
    """Migration 0007's data step, run with the models as they stood before it (records 0006) on
    a table given the old column again inside this test's transaction (rolled back with it)."""
    migration = importlib.import_module(MIGRATION)
    old_apps = MigrationLoader(connection).project_state(("records", "0006_job_lease")).apps
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE records_case ADD COLUMN legal_hold boolean NOT NULL DEFAULT false")
    flagged, free, already = _case(world, "Flaggad"), _case(world, "Fri"), _case(world, "Redan hållen")
    ct = ContentType.objects.get_for_model(Case)
    existing = actions.do_set_hold(ct, already.pk, "Pågående tvist", actor=world.records)

    def set_flags(ids: list[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE records_case SET legal_hold = %s", [False])
            for pk in ids:
                cursor.execute("UPDATE records_case SET legal_hold = %s WHERE id = %s", [True, pk])

    def flags() -> set[int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM records_case WHERE legal_hold = %s", [True])
            return {row[0] for row in cursor.fetchall()}

    set_flags([flagged.pk, already.pk])
    migration.holds_from_flags(old_apps, None)
    [hold] = holds_on(flagged)
    assert (hold.reason, hold.set_by, hold.released_at) == (migration.REASON, None, None)
    assert not holds_on(free).exists()
    assert list(holds_on(already)) == [existing]  # no second hold on an entry already held
    migration.holds_from_flags(old_apps, None)  # run again: nothing more
    assert LegalHold.objects.count() == 2

    # backwards: the flag is set again on every entry with an active hold, the holds stay
    set_flags([])
    migration.flags_from_holds(old_apps, None)
    assert flags() == {flagged.pk, already.pk}
    assert LegalHold.objects.count() == 2
