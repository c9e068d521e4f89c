"""The audit trail: every action writes an event, the chain verifies, the database refuses edits,
and tampering (done by someone who lifts the triggers) is found by `samdrift audit verify`."""

import itertools
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from samdrift.core import triggers
from samdrift.core.audit import (
    GENESIS,
    OPERATOR_CHAIN,
    PendingEvent,
    chain_of,
    record_event,
    record_events_fast,
    verify_chain,
)
from samdrift.core.models import AuditEvent, AuditEventType
from samdrift.tenancy import actions

pytestmark = pytest.mark.django_db


def test_chain_of_a_fresh_world_verifies(world: Any) -> None:
    report = verify_chain()
    assert report.ok
    assert report.checked == AuditEvent.objects.count() > 20
    # One chain per owner and one for the operator, each from its own start.
    chains = set(AuditEvent.objects.values_list("chain", flat=True))
    assert {OPERATOR_CHAIN, chain_of(world.a.owner.pk), chain_of(world.b.owner.pk)} <= chains
    assert report.chains == len(chains)
    for chain in chains:
        first = AuditEvent.objects.filter(chain=chain).order_by("id").first()
        assert first is not None and first.prev_hash == GENESIS
        assert verify_chain(chain).ok


def test_each_event_links_to_the_one_before_in_its_chain(world: Any) -> None:
    for chain in set(AuditEvent.objects.values_list("chain", flat=True)):
        events = list(AuditEvent.objects.filter(chain=chain).order_by("id"))
        for before, after in itertools.pairwise(events):
            assert after.prev_hash == before.hash
    owners = set(AuditEvent.objects.filter(chain=chain_of(world.a.owner.pk)).values_list("owner_id", flat=True))
    assert owners == {world.a.owner.pk}
    assert set(AuditEvent.objects.filter(chain=OPERATOR_CHAIN).values_list("owner_id", flat=True)) == {None}


def test_the_fast_bulk_path_continues_each_chain_and_verifies(world: Any) -> None:
    """record_events_fast (COPY on PostgreSQL) links the events exactly as record_event does."""
    owners = [world.a.owner, world.b.owner, None]
    before = AuditEvent.objects.count()
    with transaction.atomic():
        written = record_events_fast(
            world.admin,
            "admin",
            [
                PendingEvent(
                    AuditEventType.UPDATED,
                    owner_id=owners[i % 3].pk if owners[i % 3] else None,
                    object_type="assets.asset",
                    object_id=str(i),
                    object_repr=f"Tillgång {i} – å",
                    changes={"status": ["awaiting_erasure", "reused"]},
                    extra={"action": "takeback_closed", "value": "1.50", "nested": {"ok": [1, None]}},
                )
                for i in range(30)
            ],
        )
        record_event(world.admin, "admin", AuditEventType.UPDATED, owner_id=world.a.owner.pk, extra={"after": 1})
    assert written == 30 and AuditEvent.objects.count() == before + 31
    newest = AuditEvent.objects.filter(object_type="assets.asset", object_id="29").get()
    assert newest.verb == "takeback_closed" and newest.extra["nested"] == {"ok": [1, None]}
    assert verify_chain().ok
    with transaction.atomic():
        assert record_events_fast(world.admin, "admin", []) == 0


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
    chain = chain_of(world.a.owner.pk)
    ids = list(AuditEvent.objects.filter(chain=chain).order_by("id").values_list("id", flat=True))
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [ids[3]])
    report = verify_chain()
    assert report.broken_at == ids[4], "the next event of the same chain"
    assert "removed" in report.reason


def test_verify_finds_an_event_moved_to_another_chain_or_given_another_verb(world: Any) -> None:
    target = AuditEvent.objects.filter(chain=chain_of(world.a.owner.pk)).order_by("id")[4]
    _tamper("UPDATE core_auditevent SET verb = %s WHERE id = %s", ["forged", target.pk])
    assert verify_chain().broken_at == target.pk
    _tamper("UPDATE core_auditevent SET verb = %s WHERE id = %s", [target.verb, target.pk])
    assert verify_chain().ok
    _tamper("UPDATE core_auditevent SET chain = %s WHERE id = %s", [chain_of(world.b.owner.pk), target.pk])
    assert not verify_chain().ok


def test_events_written_before_the_split_still_verify_as_their_one_chain(world: Any) -> None:
    """Events of the single chain (chain "") that the trail had before chains per owner: their
    hash covers neither chain nor verb; their verb must match their sealed extra["action"]."""
    from samdrift.core.audit import LEGACY_CHAIN, _digest, _hashed_fields

    prev = GENESIS
    legacy = []
    for n, owner in enumerate([world.a.owner.pk, None, world.b.owner.pk]):
        event = AuditEvent(
            created=timezone.now(), actor_label="system", actor_role="system", owner_id=owner,
            event_type=AuditEventType.UPDATED, object_type="x.y", object_id=str(n),
            extra={"action": "reopen"}, verb="reopen", chain=LEGACY_CHAIN, prev_hash=prev,
        )  # fmt: skip
        event.hash = _digest(prev, _hashed_fields(event))
        prev = event.hash
        legacy.append(event)
    with transaction.atomic():
        AuditEvent.objects.bulk_create(legacy)
    assert verify_chain().ok
    _tamper("UPDATE core_auditevent SET verb = %s WHERE hash = %s", ["merge", legacy[1].hash])
    report = verify_chain()
    assert not report.ok and "verb" in report.reason


def test_the_verb_is_stored_in_its_column_and_declared_by_its_app(world: Any) -> None:
    from samdrift.core.events import VERBS, is_declared

    ticket_events = AuditEvent.objects.filter(verb="reopen")
    with transaction.atomic():
        event = record_event(None, "system", AuditEventType.UPDATED, extra={"action": "purchase"})
        named = record_event(None, "system", AuditEventType.UPDATED, verb="dispose", extra={"action": "x"})
    assert (event.verb, named.verb) == ("purchase", "dispose")
    assert ticket_events.count() == AuditEvent.objects.filter(extra__action="reopen").count()
    assert VERBS["purchase"] == "ordering" and VERBS["reopen"] == "servicedesk"
    stored = set(AuditEvent.objects.exclude(verb="").values_list("verb", flat=True))
    assert stored, "the world's actions wrote verbs"
    assert {v for v in stored if not is_declared(v)} == set(), "every verb an action wrote is declared"


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


def test_every_verb_named_in_the_code_is_declared() -> None:
    """Each `"action": "<verb>"` an action writes in its event's details is one of the verbs
    its app declares in events.py (registered from ready())."""
    import ast
    from pathlib import Path

    from samdrift.core.events import is_declared

    named: set[str] = set()
    for path in (Path(__file__).resolve().parent.parent / "samdrift").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "action" and isinstance(value, ast.Constant):
                        named.add(str(value.value))
    assert len(named) > 40
    assert {v for v in named if not is_declared(v)} == set()


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="in-memory SQLite (the test database) cannot hold concurrent writers; the chain lock tested is PostgreSQL's",
)
@pytest.mark.django_db(transaction=True)
def test_a_writer_of_one_owner_does_not_wait_for_another_owners_chain() -> None:
    """DESIGN.md rule 3: while one owner's action holds its chain (its transaction is open), another
    owner's event is written at once, and a second event of the same owner waits for the lock."""
    from django.db import OperationalError
    from django.db import connection as main

    from tests.concurrency import held_in_another_transaction

    def hold_owner_a() -> None:
        record_event(None, "system", AuditEventType.UPDATED, owner_id=9_200_001, object_type="t.a")

    with held_in_another_transaction(hold_owner_a):
        with transaction.atomic():
            with main.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            other = record_event(None, "system", AuditEventType.UPDATED, owner_id=9_200_002, object_type="t.b")
        assert other.chain == chain_of(9_200_002) and other.prev_hash == GENESIS
        with pytest.raises(OperationalError), transaction.atomic():
            with main.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            record_event(None, "system", AuditEventType.UPDATED, owner_id=9_200_001, object_type="t.a")
    assert verify_chain().ok
