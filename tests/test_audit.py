"""The audit trail: every action writes an event, the chain verifies, the database refuses edits,
and tampering (done by someone who lifts the triggers) is found by `samdrift audit verify`."""

import itertools
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from samdrift.core import triggers
from samdrift.core.audit import GENESIS, record_event, verify_chain
from samdrift.core.models import AuditEvent, AuditEventType
from samdrift.tenancy import actions

pytestmark = pytest.mark.django_db


def test_chain_of_a_fresh_world_verifies(world: Any) -> None:
    report = verify_chain()
    assert report.ok
    assert report.checked == AuditEvent.objects.count() > 20
    first = AuditEvent.objects.order_by("id").first()
    assert first is not None and first.prev_hash == GENESIS


def test_each_event_links_to_the_one_before(world: Any) -> None:
    events = list(AuditEvent.objects.order_by("id"))
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash


def test_database_refuses_update_and_delete(world: Any) -> None:
    event = AuditEvent.objects.order_by("id").first()
    assert event is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET actor_label = 'x'")
    assert AuditEvent.objects.get(pk=event.pk).object_repr == event.object_repr


def _tamper(sql: str, params: list[Any]) -> None:
    """What an intruder with database rights would do: lift the triggers, edit, put them back."""
    triggers.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        triggers.install(connection)


def test_verify_names_an_edited_event(world: Any) -> None:
    target = AuditEvent.objects.order_by("id")[5]
    _tamper("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["forged", target.pk])
    report = verify_chain()
    assert not report.ok
    assert report.broken_at == target.pk
    assert "edited" in report.reason
    with pytest.raises(CommandError, match=f"BROKEN at event {target.pk}"):
        call_command("audit", "verify")


def test_verify_names_the_event_after_a_removed_one(world: Any) -> None:
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [ids[3]])
    report = verify_chain()
    assert report.broken_at == ids[4]
    assert "removed" in report.reason


def test_verify_detects_changed_json_changes(world: Any) -> None:
    target = AuditEvent.objects.filter(event_type=AuditEventType.CREATED).order_by("id")[2]
    _tamper("UPDATE core_auditevent SET changes = %s WHERE id = %s", ['{"name": [null, "x"]}', target.pk])
    assert verify_chain().broken_at == target.pk


def test_verify_command_reports_ok(world: Any, capsys: Any) -> None:
    call_command("audit", "verify")
    assert "Audit chain OK" in capsys.readouterr().out


def test_event_records_who_in_which_role_for_which_owner(world: Any) -> None:
    person = actions.do_update_person(world.a.employee, {"title": "Rektor"}, actor=world.admin)
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert event.event_type == AuditEventType.UPDATED
    assert event.actor_id == world.admin.pk
    assert event.actor_role == "admin"
    assert event.owner_id == world.a.owner.pk
    assert event.object_type == "tenancy.person"
    assert event.object_id == str(person.pk)
    assert event.changes == {"title": ["", "Rektor"]}


@pytest.mark.django_db(transaction=True)
def test_events_outside_a_transaction_are_refused() -> None:
    with pytest.raises(RuntimeError):
        record_event(None, "system", AuditEventType.CREATED)


def test_logins_and_failed_logins_are_audited(world: Any, client: Any) -> None:
    from tests.conftest import PASSWORD

    assert client.post("/accounts/login/", {"username": "admin_op", "password": "wrong"}).status_code == 200
    failed = AuditEvent.objects.order_by("-id").first()
    assert failed is not None and failed.event_type == AuditEventType.LOGIN_FAILED
    assert failed.object_repr == "admin_op"
    response = client.post("/accounts/login/", {"username": "admin_op", "password": PASSWORD})
    assert response.status_code == 302
    login = AuditEvent.objects.filter(event_type=AuditEventType.LOGIN).order_by("-id").first()
    assert login is not None and login.actor_id == world.admin.pk


def test_exports_are_audited(world: Any, web: Any) -> None:
    response = web(world.admin).get("/people/?export=csv")
    assert response.status_code == 200
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and event.event_type == AuditEventType.EXPORTED
    assert event.object_type == "tenancy.person"
    assert event.extra["rows"] == 6


def test_history_tab_shows_the_events_of_the_object(world: Any, web: Any) -> None:
    actions.do_update_person(world.a.employee, {"title": "Rektor"}, actor=world.admin)
    response = web(world.a.orderer).get(f"/people/{world.a.employee.pk}/history/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rektor" in body and "admin_op" in body


def test_audit_search_is_for_admins_and_records_officers(world: Any, web: Any) -> None:
    assert web(world.admin).get("/audit/?event_type=created").status_code == 200
    assert web(world.records).get("/audit/").status_code == 200
    assert web(world.agent).get("/audit/").status_code == 403
    assert web(world.a.viewer).get("/audit/").status_code == 403
