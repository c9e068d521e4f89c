"""Legal holds and disposal: proposing a batch of records past their retention, approving,
rejecting and executing it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import require_role
from samdrift.core.actions import update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.records import sources
from samdrift.records.actions.roles import officer_role
from samdrift.records.models import (
    OFFICER_ROLES,
    BatchStatus,
    DisposalBatch,
    DisposalItem,
    LegalHold,
    RecordType,
    holds_on,
    is_held,
)

# --- legal holds --------------------------------------------------------------------------------


@transaction.atomic
def do_set_hold(content_type: ContentType, object_id: Any, reason: str, *, actor: Any) -> LegalHold:
    """Put one record (of any kind: a register entry, a ticket, an invoice) under a legal hold
    (bevarandebeslut), with the reason: disposal leaves it out until the hold is released."""
    role = officer_role(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the record must be kept.")})
    hold = LegalHold(
        content_type=content_type,
        object_id=str(object_id),
        reason=reason.strip(),
        set_by=actor if getattr(actor, "pk", None) else None,
    )
    hold.save(force_insert=True)
    record_event(actor, role, AuditEventType.CREATED, hold, changes={"reason": [None, hold.reason]})
    return hold


@transaction.atomic
def do_release_hold(hold: LegalHold, *, actor: Any) -> LegalHold:
    """Release a legal hold; the row stays, with when it was released."""
    role = officer_role(actor)
    # Locked and read again: of two officers releasing the same hold, the second is told it is done.
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        raise ValidationError(_("The hold is already released."))
    return update_audited(hold, {"released_at": timezone.now()}, actor=actor, role=role)


@transaction.atomic
def do_release_holds_on(obj: Any, *, actor: Any) -> int:
    """Release every active legal hold on one record (all of them, or none); how many."""
    holds = list(holds_on(obj))
    if not holds:
        raise ValidationError(_("The register entry has no legal hold."))
    for hold in holds:
        do_release_hold(hold, actor=actor)
    return len(holds)


# --- disposal -----------------------------------------------------------------------------------


def _cutoff(record_type: RecordType, now: datetime) -> datetime:
    years = int(record_type.retention_years or 0)
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


@transaction.atomic
def propose_disposal(
    record_type: RecordType, *, actor: Any = None, now: datetime | None = None
) -> DisposalBatch | None:
    """Find the records of the type past retention (legal holds left out) and propose a batch.

    Nothing is disposed of here. A type with an undecided batch gets no second one."""
    role = officer_role(actor)
    if record_type.keep or not record_type.active or record_type.content_type is None or not record_type.decision:
        return None
    if DisposalBatch.objects.filter(
        record_type=record_type, status__in=[BatchStatus.PROPOSED, BatchStatus.APPROVED]
    ).exists():
        return None
    source = sources.disposer_for_ct(record_type.content_type)
    if source is None:
        return None
    now = now or timezone.now()
    cutoff = _cutoff(record_type, now)
    qs = source.disposal_queryset(cutoff, record_type.retention_event)
    if qs is None:
        return None
    qs = qs.exclude(is_held(record_type.content_type))
    if not qs.exists():
        return None
    batch = DisposalBatch.objects.create(
        record_type=record_type, cutoff=cutoff, proposed_at=now, method=record_type.disposal_method
    )
    identifier = source.identifier_field if source.identifier_field != "pk" else "id"
    select_sql, params = qs.values_list("id", identifier).order_by().query.sql_with_params()
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        # One set-based INSERT ... SELECT: a million candidates never pass through Python.
        sql = (
            "INSERT INTO records_disposalitem (batch_id, object_id, identifier, disposed, skipped) "  # noqa: S608 - SQL compiled by the ORM
            f"SELECT %s, sub.{qn('id')}, sub.{qn(identifier)}, %s, %s FROM ({select_sql}) sub"
        )
        cursor.execute(sql, [batch.pk, False, False, *params])
    count = DisposalItem.objects.filter(batch=batch).count()
    batch.item_count = count
    batch.save(update_fields=["item_count"])
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        batch,
        changes={"record_type": [None, record_type.code], "item_count": [None, count], "cutoff": [None, cutoff]},
    )
    return batch


@transaction.atomic
def do_approve_batch(batch: DisposalBatch, decision: str, *, actor: Any) -> DisposalBatch:
    """A records officer approves the batch, citing the disposal decision (gallringsbeslut)."""
    role = require_role(actor, owner_id=None, operator_roles=OFFICER_ROLES)
    if role == "system":
        raise PermissionDenied  # a person approves, never the system
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError({"decision": _("Cite the disposal decision that allows this.")})
    batch = DisposalBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.PROPOSED:
        raise ValidationError(_("Only a proposed batch can be approved."))
    batch.status, batch.approved_by, batch.approved_at, batch.decision = (
        BatchStatus.APPROVED,
        actor,
        timezone.now(),
        decision,
    )
    batch.save(update_fields=["status", "approved_by", "approved_at", "decision"])
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        batch,
        changes={"status": ["proposed", "approved"], "decision": [None, decision]},
    )
    return batch


@transaction.atomic
def do_reject_batch(batch: DisposalBatch, *, actor: Any) -> DisposalBatch:
    role = officer_role(actor)
    batch = DisposalBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.PROPOSED:
        raise ValidationError(_("Only a proposed batch can be rejected."))
    batch.status = BatchStatus.REJECTED
    batch.save(update_fields=["status"])
    record_event(actor, role, AuditEventType.UPDATED, batch, changes={"status": ["proposed", "rejected"]})
    return batch


@transaction.atomic
def do_execute_batch(batch: DisposalBatch, *, actor: Any) -> DisposalBatch:
    """Dispose of an approved batch, set-based: records put under a legal hold since the proposal
    are skipped; the batch's items remain as the log (type, identifier, decision; no content)."""
    role = officer_role(actor)
    batch = (
        DisposalBatch.objects.select_for_update(of=("self",))
        .select_related("record_type__content_type")
        .get(pk=batch.pk)
    )
    if batch.status != BatchStatus.APPROVED:
        raise ValidationError(_("Nothing is disposed of without an approved batch."))
    content_type = batch.record_type.content_type
    source = sources.disposer_for_ct(content_type) if content_type else None
    if source is None or content_type is None:
        raise ValidationError(_("This record type cannot be disposed of by the system."))
    items = DisposalItem.objects.filter(batch=batch)
    items.filter(is_held(content_type, "object_id")).update(skipped=True)
    ids = items.filter(skipped=False).values("object_id")
    source.dispose(ids, batch.method, actor=actor)
    disposed = items.filter(skipped=False).update(disposed=True)
    skipped = items.filter(skipped=True).count()
    batch.status, batch.executed_at = BatchStatus.EXECUTED, timezone.now()
    batch.disposed_count, batch.skipped_count = disposed, skipped
    batch.save(update_fields=["status", "executed_at", "disposed_count", "skipped_count"])
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        batch,
        changes={"status": ["approved", "executed"]},
        extra={"disposed": disposed, "skipped": skipped, "decision": batch.decision, "method": batch.method},
    )
    return batch
