"""Issue 18: deleting the newest audit events is detected. The head is exported as a signed
checkpoint file (HMAC, key from the settings) by a daily task and mailed to the records officers;
`samdrift audit verify --head FILE` fails once the newest events are gone, although the chain that
is left still verifies on its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from samdrift.core import triggers
from samdrift.core.audit import verify_chain
from samdrift.core.checkpoint import current_head, do_export_audit_checkpoint, verify_head
from samdrift.core.models import AuditEvent, OutgoingMessage
from samdrift.core.outbox import send_due
from samdrift.core.scheduling import PERIODIC_TASKS
from samdrift.core.tasks import export_audit_checkpoint
from samdrift.tenancy import actions as tenancy
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(settings: Any, tmp_path: Path) -> Any:
    settings.SAMDRIFT_AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    settings.SAMDRIFT_AUDIT_CHECKPOINT_KEY = "a-key-kept-in-the-environment"
    records = make_user("arkivarie", "records_officer")
    owner = tenancy.do_create_owner(
        {"name": "Kommun", "municipality_code": "1260", "org_number": "2120000142", "population": 1}, actor=None
    )
    for n in range(3):
        tenancy.do_update_owner(owner, {"population": n + 2}, actor=None)
    return records


def _delete_newest(n: int) -> None:
    """What an intruder with database rights does: lift the triggers, delete, put them back."""
    ids = list(AuditEvent.objects.order_by("-id").values_list("id", flat=True)[:n])
    triggers.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM core_auditevent WHERE id IN ({','.join(str(i) for i in ids)})")
    finally:
        triggers.install(connection)


def test_deleting_the_newest_events_fails_verify_head(trail: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        path = do_export_audit_checkpoint(actor=None)
    call_command("audit", "verify", "--head", str(path))  # passes while the trail is whole
    # More events after the checkpoint do not disturb it.
    tenancy.do_update_owner(tenancy.Owner.objects.get(), {"population": 99}, actor=None)
    call_command("audit", "verify", "--head", str(path))

    checkpoint = json.loads(path.read_text())
    newest_at_checkpoint = checkpoint["head_id"]
    after = AuditEvent.objects.filter(id__gt=newest_at_checkpoint).count()
    _delete_newest(after + 2)  # everything after the checkpoint and the two newest before it

    assert verify_chain().ok, "the chain alone cannot see deleted newest events"
    with pytest.raises(CommandError, match="missing"):
        call_command("audit", "verify", "--head", str(path))
    assert not verify_head(checkpoint).ok


def test_a_forged_or_edited_checkpoint_is_refused(trail: Any, settings: Any, tmp_path: Path) -> None:
    path = do_export_audit_checkpoint(actor=None)
    checkpoint = json.loads(path.read_text())
    # An intruder who deleted events writes a new checkpoint naming the new, shorter head.
    _delete_newest(2)
    forged = {**checkpoint, "head_id": checkpoint["head_id"] - 2, "events": checkpoint["events"] - 2}
    forged_path = tmp_path / "forged.json"
    forged_path.write_text(json.dumps(forged))
    with pytest.raises(CommandError, match="signature"):
        call_command("audit", "verify", "--head", str(forged_path))
    # Signed with another key (say, a checkpoint made on another installation): refused too.
    settings.SAMDRIFT_AUDIT_CHECKPOINT_KEY = "another-key"
    assert "signature" in verify_head(checkpoint).reason
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("audit", "verify", "--head", str(garbage))


def test_daily_task_writes_the_file_mails_the_records_officer_and_is_audited(
    trail: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert any(p.task_path == "samdrift.core.tasks.export_audit_checkpoint" for p in PERIODIC_TASKS)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = export_audit_checkpoint.call()
    path = Path(result["file"])
    checkpoint = json.loads(path.read_text())
    assert set(checkpoint) == {"format", "created", "head_id", "head_hash", "events", "heads", "signature"}
    assert checkpoint["format"] == "samdrift-audit-checkpoint/2"
    assert sum(head["events"] for head in checkpoint["heads"].values()) == checkpoint["events"]
    assert path.parent == settings.SAMDRIFT_AUDIT_CHECKPOINT_DIR
    # Queued in the outbox in the action's transaction, then sent by the outbox's sender.
    queued = OutgoingMessage.objects.get(kind="audit_checkpoint")
    assert queued.to == [trail.email]
    send_due()
    (message,) = mail.outbox
    assert message.to == [trail.email]
    assert "granskningsloggen" in message.subject
    (name, content, mimetype) = message.attachments[0]
    assert name == path.name and json.loads(content) == checkpoint and mimetype == "application/json"
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and event.event_type == "exported" and event.extra["action"] == "audit_checkpoint"
    assert verify_head(checkpoint).ok


def test_deleting_the_newest_event_of_one_owner_fails_verify_head(trail: Any) -> None:
    """Chains per owner: an owner's newest events deleted while other chains went on (so the trail's
    newest event is still there) are found by that chain's head in the checkpoint."""
    from django.db import transaction

    from samdrift.core.audit import chain_of, record_event
    from samdrift.core.models import AuditEventType

    owner = tenancy.Owner.objects.get()
    with transaction.atomic():  # the operator's chain goes on after the owner's newest event
        record_event(None, "system", AuditEventType.UPDATED, object_type="core.test")
    path = do_export_audit_checkpoint(actor=None)
    checkpoint = json.loads(path.read_text())
    assert chain_of(owner.pk) in checkpoint["heads"] and "operator" in checkpoint["heads"]
    newest_of_owner = AuditEvent.objects.filter(chain=chain_of(owner.pk)).latest("id").pk
    assert newest_of_owner < checkpoint["head_id"]
    triggers.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [newest_of_owner])
    finally:
        triggers.install(connection)
    assert verify_chain().ok, "each chain alone is still whole"
    report = verify_head(checkpoint)
    assert not report.ok and "missing" in report.reason and chain_of(owner.pk) in report.reason


def test_a_checkpoint_of_the_first_format_is_still_understood(trail: Any) -> None:
    from samdrift.core.checkpoint import FORMAT_1, SIGNED_FIELDS_1, sign

    body = {k: v for k, v in current_head().items() if k in SIGNED_FIELDS_1}
    body["format"] = FORMAT_1
    assert verify_head(sign(body)).ok
    _delete_newest(1)
    assert "missing" in verify_head(sign(body)).reason
