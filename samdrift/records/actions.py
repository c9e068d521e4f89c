"""Every write of records management. Each action checks that the actor is a records officer,
validates, writes and records its audit event in the same transaction (DESIGN.md rule 2)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import require_role, scope_for
from samdrift.core.actions import create_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEvent, AuditEventType
from samdrift.records import sources
from samdrift.records.calendar import deadline_flag as deadline_flag  # re-exported for views
from samdrift.records.models import (
    OFFICER_ROLES,
    READ_ROLES,
    AccessLogEntry,
    AccessRequest,
    Attachment,
    BatchStatus,
    Case,
    CaseStatus,
    Decision,
    Direction,
    DisposalBatch,
    DisposalItem,
    GdprKind,
    GdprRequest,
    LegalHold,
    RecordType,
    RequestItem,
    RequestStatus,
    SecrecyGround,
    SecrecyMarking,
    Series,
    SeriesCounter,
)

DEFAULT_SERIES = "SAM"
# Stored in the data, not shown as interface text: the same in every language.
ANONYMISED_NAME = "Raderad"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def officer_role(actor: Any) -> str:
    """The role in which `actor` does records work (records officer, or the system)."""
    return require_role(actor, owner_id=None, operator_roles=OFFICER_ROLES)


def is_officer(user: Any) -> bool:
    return scope_for(user).has_operator_role(OFFICER_ROLES)


def may_read(user: Any) -> bool:
    return scope_for(user).has_operator_role(READ_ROLES)


# --- secrecy grounds, record types, series ------------------------------------------------------------


@transaction.atomic
def do_create_secrecy_ground(data: dict[str, Any], *, actor: Any) -> SecrecyGround:
    return create_audited(SecrecyGround, data, actor=actor, role=officer_role(actor))


@transaction.atomic
def do_update_secrecy_ground(ground: SecrecyGround, data: dict[str, Any], *, actor: Any) -> SecrecyGround:
    return update_audited(ground, data, actor=actor, role=officer_role(actor), immutable=("code",))


def _check_record_type(data: dict[str, Any]) -> None:
    if data.get("keep", True):
        data["retention_years"] = None
    elif not data.get("retention_years"):
        raise ValidationError({"retention_years": _("Say after how many years the records are disposed of.")})


@transaction.atomic
def do_create_record_type(data: dict[str, Any], *, actor: Any) -> RecordType:
    role = officer_role(actor)
    _check_record_type(data)
    return create_audited(RecordType, data, actor=actor, role=role)


@transaction.atomic
def do_update_record_type(record_type: RecordType, data: dict[str, Any], *, actor: Any) -> RecordType:
    role = officer_role(actor)
    merged = {"keep": record_type.keep, "retention_years": record_type.retention_years, **data}
    _check_record_type(merged)
    data["retention_years"] = merged["retention_years"]
    return update_audited(record_type, data, actor=actor, role=role, immutable=("code",))


@transaction.atomic
def do_create_series(data: dict[str, Any], *, actor: Any) -> Series:
    return create_audited(Series, data, actor=actor, role=officer_role(actor))


# --- the register --------------------------------------------------------------------------------


def next_registration_number(series: Series, year: int) -> int:
    """The next number of the series and year, without gaps: the counter row is locked until the
    transaction that takes the number commits, and a rollback gives the number back."""
    if not connection.in_atomic_block:
        raise RuntimeError("registration numbers are taken inside the registering transaction")
    SeriesCounter.objects.bulk_create([SeriesCounter(series=series, year=year)], ignore_conflicts=True)
    counter = SeriesCounter.objects.select_for_update().get(series=series, year=year)
    SeriesCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    return counter.last + 1


def default_series() -> Series:
    series = (
        Series.objects.filter(code=DEFAULT_SERIES).first()
        or Series.objects.filter(active=True).order_by("code").first()
    )
    if series is None:
        raise ValidationError({"series": _("There is no register series; add one first.")})
    return series


CASE_FIELDS = (
    "series",
    "registered",
    "direction",
    "counterparty",
    "subject",
    "record_type",
    "secrecy_ground",
    "concerns_owner",
    "content_type",
    "object_id",
)


@transaction.atomic
def do_register_case(data: dict[str, Any], *, actor: Any, files: list[Any] | None = None) -> Case:
    """Register an entry (diarieföring): the next number of the series for the date's year."""
    role = officer_role(actor)
    data = {k: v for k, v in data.items() if k in CASE_FIELDS and v is not None}
    series = data.pop("series", None) or default_series()
    if not series.active:
        raise ValidationError({"series": _("The series is closed.")})
    subject = (data.get("subject") or "").strip()
    if not subject:
        raise ValidationError({"subject": _("Describe the subject in general terms.")})
    data["subject"] = subject
    registered: date = data.get("registered") or timezone.localdate()
    if registered > timezone.localdate():
        raise ValidationError({"registered": _("The date cannot be in the future.")})
    if bool(data.get("content_type")) != bool(data.get("object_id")):
        raise ValidationError({"object_id": _("Give both the type and the id of the system object.")})
    number = next_registration_number(series, registered.year)
    case = Case(
        series=series,
        year=registered.year,
        number=number,
        registration_number=f"{series.code} {registered.year}/{number}",
        registered_by=actor if getattr(actor, "pk", None) else None,
        **{**data, "registered": registered},
    )
    case.full_clean()
    case.save(force_insert=True)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        case,
        changes={"registration_number": [None, case.registration_number], "direction": [None, case.direction]},
    )
    for upload in files or []:
        _add_attachment(case, upload, None, actor=actor, role=role)
    return case


@transaction.atomic
def do_update_case(case: Case, data: dict[str, Any], *, actor: Any) -> Case:
    role = officer_role(actor)
    allowed = {
        k: v
        for k, v in data.items()
        if k in ("counterparty", "subject", "record_type", "secrecy_ground", "concerns_owner")
    }
    return update_audited(case, allowed, actor=actor, role=role)


@transaction.atomic
def do_close_case(case: Case, *, actor: Any) -> Case:
    role = officer_role(actor)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(_("The entry is already closed."))
    now = timezone.now()
    case.status, case.closed_at = CaseStatus.CLOSED, now
    case.save(update_fields=["status", "closed_at"])
    record_event(actor, role, AuditEventType.UPDATED, case, changes={"status": ["open", "closed"]})
    return case


@transaction.atomic
def do_set_legal_hold(case: Case, hold: bool, *, actor: Any) -> Case:
    role = officer_role(actor)
    return update_audited(case, {"legal_hold": hold}, actor=actor, role=role)


def _add_attachment(case: Case, upload: Any, ground: SecrecyGround | None, *, actor: Any, role: str) -> Attachment:
    size = getattr(upload, "size", 0) or 0
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("The file is larger than 50 MB.")})
    name = (getattr(upload, "name", "") or "fil").rsplit("/", 1)[-1][:200]
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(case=case, filename=name, size=size, sha256=digest.hexdigest(), secrecy_ground=ground)
    attachment.file.save(name, File(upload), save=False)
    attachment.save(force_insert=True)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        attachment,
        changes={"filename": [None, name], "sha256": [None, attachment.sha256]},
        extra={"case": case.pk},
    )
    return attachment


@transaction.atomic
def do_add_attachment(case: Case, upload: Any, *, actor: Any, ground: SecrecyGround | None = None) -> Attachment:
    return _add_attachment(case, upload, ground, actor=actor, role=officer_role(actor))


# --- secrecy markings ----------------------------------------------------------------------------


@transaction.atomic
def do_mark_secret(
    content_type: ContentType,
    object_id: Any,
    ground: SecrecyGround,
    *,
    actor: Any,
    field_name: str = "",
    note: str = "",
) -> SecrecyMarking:
    """Mark a record, or one field of it, as secret under `ground`."""
    role = officer_role(actor)
    source = sources.source_for_ct(content_type)
    obj = source.get(object_id) if source else None
    if obj is None:
        model = content_type.model_class()
        obj = model._default_manager.filter(pk=object_id).first() if model else None  # type: ignore[union-attr]
    if obj is None:
        raise ValidationError({"object_id": _("There is no such record.")})
    if field_name and not any(f.name == field_name for f in obj._meta.get_fields()) and ":" not in field_name:
        raise ValidationError({"field_name": _("The record has no such field.")})
    if not ground.active:
        raise ValidationError({"ground": _("The ground is no longer in use.")})
    if SecrecyMarking.objects.filter(
        content_type=content_type, object_id=str(obj.pk), field_name=field_name, lifted_at__isnull=True
    ).exists():
        raise ValidationError({"field_name": _("That part is already marked.")})
    marking = SecrecyMarking(
        content_type=content_type,
        object_id=str(obj.pk),
        field_name=field_name,
        ground=ground,
        note=note,
        set_by=actor if getattr(actor, "pk", None) else None,
        set_at=timezone.now(),
    )
    marking.full_clean()
    marking.save(force_insert=True)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        marking,
        changes={"ground": [None, ground.code], "field_name": [None, field_name]},
        extra={"object_type": content_type.natural_key(), "object_id": str(obj.pk)},
    )
    return marking


@transaction.atomic
def do_lift_marking(marking: SecrecyMarking, *, actor: Any) -> SecrecyMarking:
    role = officer_role(actor)
    if marking.lifted_at is not None:
        raise ValidationError(_("The marking is already lifted."))
    marking.lifted_at = timezone.now()
    marking.lifted_by = actor if getattr(actor, "pk", None) else None
    marking.save(update_fields=["lifted_at", "lifted_by"])
    record_event(actor, role, AuditEventType.UPDATED, marking, changes={"lifted_at": [None, marking.lifted_at]})
    return marking


# --- public access requests ------------------------------------------------------------------------


REQUEST_FIELDS = (
    "requester_name",
    "requester_contact",
    "channel",
    "description",
    "search_from",
    "search_to",
    "received",
)


@transaction.atomic
def do_register_request(data: dict[str, Any], *, actor: Any) -> AccessRequest:
    """Register a request for official records in the register. The requester may be anonymous."""
    role = officer_role(actor)
    data = {k: v for k, v in data.items() if k in REQUEST_FIELDS and v is not None}
    description = (data.get("description") or "").strip()
    if not description:
        raise ValidationError({"description": _("Say which records are requested.")})
    if data.get("search_from") and data.get("search_to") and data["search_from"] > data["search_to"]:
        raise ValidationError({"search_to": _("The end comes before the start.")})
    received = data.get("received") or timezone.now()
    if received > timezone.now():
        raise ValidationError({"received": _("A request cannot be received in the future.")})
    case = do_register_case(
        {
            "registered": timezone.localtime(received).date(),
            "direction": Direction.INCOMING,
            "counterparty": (data.get("requester_name") or "").strip() or _("Anonymous"),
            "subject": _("Request for official records"),
        },
        actor=actor,
    )
    request = AccessRequest(
        reference=case.registration_number,
        case=case,
        handler=actor if getattr(actor, "pk", None) else None,
        **{**data, "description": description, "received": received},
    )
    request.full_clean()
    request.save(force_insert=True)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        request,
        changes={"reference": [None, request.reference], "anonymous": [None, not request.requester_name]},
    )
    return request


def _open(request: AccessRequest) -> None:
    if request.status != RequestStatus.OPEN:
        raise ValidationError(_("The request is no longer open."))


@transaction.atomic
def do_add_request_item(request: AccessRequest, label: str, object_id: Any, *, actor: Any) -> RequestItem:
    """Add one record found by the search to the request."""
    role = officer_role(actor)
    _open(request)
    source = sources.source_for(label)
    obj = source.get(object_id) if source else None
    if source is None or obj is None:
        raise ValidationError({"object_id": _("There is no such record.")})
    content_type = source.content_type()
    existing = RequestItem.objects.filter(request=request, content_type=content_type, object_id=str(obj.pk)).first()
    if existing is not None:
        return existing
    item = RequestItem(
        request=request,
        content_type=content_type,
        object_id=str(obj.pk),
        label=f"{source.identifier(obj)} {source.title(obj)}"[:300],
    )
    item.save(force_insert=True)
    record_event(
        actor, role, AuditEventType.CREATED, item, changes={"label": [None, item.label]}, extra={"request": request.pk}
    )
    return item


@transaction.atomic
def do_remove_request_item(item: RequestItem, *, actor: Any) -> None:
    role = officer_role(actor)
    _open(item.request)
    record_event(
        actor, role, AuditEventType.UPDATED, item.request, extra={"action": "record_removed", "label": item.label}
    )
    item.delete()


def rendered_item(item: RequestItem) -> sources.Rendered | None:
    source = sources.source_for_ct(item.content_type)
    obj = source.get(item.object_id) if source else None
    if obj is None:
        return None
    return sources.render(item.content_type, obj)


@transaction.atomic
def do_decide_item(
    item: RequestItem, decision: str, *, actor: Any, grounds: list[SecrecyGround] | None = None, reason: str = ""
) -> RequestItem:
    """Decide on one record: release, release with the marked parts masked, or refuse.

    Masking or refusing needs a ground; when none is given, the grounds of the record's markings
    are used."""
    role = officer_role(actor)
    _open(item.request)
    if decision not in (Decision.RELEASE, Decision.PARTIAL, Decision.REFUSE):
        raise ValidationError({"decision": _("Choose release, partial release or refusal.")})
    chosen = list(grounds or [])
    if decision != Decision.RELEASE and not chosen:
        rendered = rendered_item(item)
        chosen = rendered.grounds if rendered else []
    if decision != Decision.RELEASE and not chosen:
        raise ValidationError({"grounds": _("Give the secrecy ground for what is withheld.")})
    if decision == Decision.PARTIAL:
        rendered = rendered_item(item)
        if rendered is None or (
            not any(p.ground for p in rendered.parts) and not any(a.secrecy_ground for a in rendered.attachments)
        ):
            raise ValidationError(
                {
                    "decision": _(
                        "Nothing in this record is marked: mark the secret parts first, or release or refuse it whole."
                    )
                }
            )
    before = item.decision
    item.decision = decision
    item.reason = (reason or "").strip()
    item.decided_at = timezone.now()
    item.save(update_fields=["decision", "reason", "decided_at"])
    item.grounds.set([] if decision == Decision.RELEASE else chosen)
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        item,
        changes={"decision": [before, decision]},
        extra={"request": item.request_id, "grounds": [g.code for g in item.grounds.all()]},
    )
    return item


APPEAL_INFORMATION_SV = (
    "Hur man överklagar\n"
    "Du kan överklaga beslutet att inte lämna ut allmänna handlingar eller delar av dem. Skriv till "
    "{operator} och ange vilket beslut du överklagar (diarienummer {reference}) och hur du vill att "
    "beslutet ska ändras. Överklagandet ska ha kommit in inom tre veckor från den dag du fick del av "
    "beslutet. Om beslutet inte ändras skickas överklagandet vidare till den instans som prövar det "
    "(6 kap. 7–8 §§ offentlighets- och sekretesslagen). Du behöver inte ange vem du är för att överklaga."
)


def decision_text(request: AccessRequest, items: list[RequestItem], operator_name: str, decided_on: date) -> str:
    """The written decision, in Swedish as the law's language, with appeal information when
    anything is withheld."""
    lines = [
        f"BESLUT {decided_on.isoformat()}",
        f"Diarienummer: {request.reference}",
        f"Sökande: {request.requester_name or 'Anonym'}",
        "",
        f"Begäran: {request.description}",
        "",
        "Beslut",
    ]
    withheld = False
    for item in items:
        grounds = ", ".join(g.reference for g in item.grounds.all())
        if item.decision == Decision.RELEASE:
            lines.append(f"- {item.label}: lämnas ut.")
        elif item.decision == Decision.PARTIAL:
            withheld = True
            lines.append(f"- {item.label}: lämnas ut med maskerade uppgifter, med stöd av {grounds}.")
        else:
            withheld = True
            lines.append(f"- {item.label}: lämnas inte ut, med stöd av {grounds}.")
        if item.reason:
            lines.append(f"  Skäl: {item.reason}")
    if not items:
        lines.append("- Inga allmänna handlingar som omfattas av begäran har hittats.")
    if withheld:
        lines += ["", APPEAL_INFORMATION_SV.format(operator=operator_name, reference=request.reference)]
    return "\n".join(lines)


def _operator_name() -> str:
    from samdrift.tenancy.models import Operator

    return Operator.objects.values_list("name", flat=True).first() or "bolaget"


@transaction.atomic
def do_decide_request(request: AccessRequest, *, actor: Any) -> AccessRequest:
    """Close the request with its written decision; every record must have its decision."""
    role = officer_role(actor)
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    _open(request)
    items = list(request.items.prefetch_related("grounds").order_by("added", "id"))
    if any(i.decision == Decision.PENDING for i in items):
        raise ValidationError(_("Decide on every record first."))
    now = timezone.now()
    request.decision_text = decision_text(request, items, _operator_name(), timezone.localtime(now).date())
    request.status = RequestStatus.DECIDED
    request.decided_at = now
    request.decided_by = actor if getattr(actor, "pk", None) else None
    request.save(update_fields=["decision_text", "status", "decided_at", "decided_by"])
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        request,
        changes={"status": [RequestStatus.OPEN, RequestStatus.DECIDED]},
        extra={"decisions": {i.label: i.decision for i in items}},
    )
    if request.case_id and request.case and request.case.status == CaseStatus.OPEN:
        do_close_case(request.case, actor=actor)
    return request


@transaction.atomic
def do_withdraw_request(request: AccessRequest, *, actor: Any) -> AccessRequest:
    role = officer_role(actor)
    _open(request)
    return update_audited(request, {"status": RequestStatus.WITHDRAWN}, actor=actor, role=role)


def record_release_download(request: AccessRequest, fmt: str, *, actor: Any) -> None:
    with transaction.atomic():
        record_event(
            actor,
            officer_role(actor),
            AuditEventType.EXPORTED,
            request,
            extra={"format": fmt, "action": "release_package"},
        )


# --- access logging -----------------------------------------------------------------------------


def log_read(
    user: Any, content_type: ContentType, obj: Any, rendered: sources.Rendered, purpose: str
) -> AccessLogEntry | None:
    """Log a read of a record with secrecy-marked parts or a pupil's data (who, when, what)."""
    if not rendered.is_marked and not rendered.pupil_data:
        return None
    reason = "pupil" if rendered.pupil_data else "secrecy"
    return do_log_access(
        user,
        content_type=content_type,
        object_id=obj.pk,
        object_repr=rendered.identifier,
        reason=reason,
        purpose=purpose,
    )


@transaction.atomic
def do_log_access(
    user: Any, *, content_type: ContentType, object_id: Any, object_repr: str, reason: str, purpose: str
) -> AccessLogEntry:
    """Log one read of secrecy-marked or pupil data (who, when, what, why). The access log is its
    own append-only trail for the records officer, so a read adds no audit event besides."""
    return AccessLogEntry.objects.create(
        user=user if getattr(user, "pk", None) else None,
        user_label=(getattr(user, "username", "") or "system")[:150],
        content_type=content_type,
        object_id=str(object_id),
        object_repr=str(object_repr)[:200],
        reason=reason,
        purpose=purpose[:100],
    )


# --- legal holds --------------------------------------------------------------------------------


@transaction.atomic
def do_set_hold(content_type: ContentType, object_id: Any, reason: str, *, actor: Any) -> LegalHold:
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
    role = officer_role(actor)
    if hold.released_at is not None:
        raise ValidationError(_("The hold is already released."))
    return update_audited(hold, {"released_at": timezone.now()}, actor=actor, role=role)


# --- disposal -----------------------------------------------------------------------------------


def _held_ids(content_type: ContentType) -> Any:
    return LegalHold.objects.filter(content_type=content_type, released_at__isnull=True).values("object_id")


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
    held = [int(i) for i in _held_ids(record_type.content_type).values_list("object_id", flat=True) if str(i).isdigit()]
    if held:
        qs = qs.exclude(pk__in=held)
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
    held = [int(i) for i in _held_ids(content_type).values_list("object_id", flat=True) if str(i).isdigit()]
    items = DisposalItem.objects.filter(batch=batch)
    if held:
        items.filter(object_id__in=held).update(skipped=True)
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


# --- GDPR ---------------------------------------------------------------------------------------


@transaction.atomic
def do_gdpr_extract(person: Any, *, actor: Any) -> GdprRequest:
    """A register extract (registerutdrag) of everything that refers to the person."""
    from samdrift.records.gdpr import person_extract

    role = officer_role(actor)
    report = person_extract(person)
    request = GdprRequest(
        person=person,
        person_label=str(person)[:200],
        kind=GdprKind.EXTRACT,
        completed_at=timezone.now(),
        report=report,
        handler=actor if getattr(actor, "pk", None) else None,
    )
    request.save(force_insert=True)
    record_event(actor, role, AuditEventType.CREATED, request, owner_id=person.owner_id, extra={"person": person.pk})
    return request


@transaction.atomic
def do_gdpr_erase(person: Any, *, actor: Any) -> GdprRequest:
    """Erase what no retention rule keeps: the person's contact details and identity are
    anonymised; records that the law keeps (tickets, device history, invoices) stay, and the
    report says which and why."""
    from samdrift.records.gdpr import erasure_plan

    role = officer_role(actor)
    plan = erasure_plan(person)
    label = str(person)[:200]
    changes = {
        "first_name": ANONYMISED_NAME,
        "last_name": f"#{person.pk}",
        "email": "",
        "phone": "",
        "title": "",
        "external_id": f"erased-{person.pk}",
        "active": False,
    }
    update_audited(person, changes, actor=actor, role=role)
    request = GdprRequest(
        person=person,
        person_label=label,
        kind=GdprKind.ERASE,
        completed_at=timezone.now(),
        report=plan,
        handler=actor if getattr(actor, "pk", None) else None,
    )
    request.save(force_insert=True)
    record_event(actor, role, AuditEventType.CREATED, request, owner_id=person.owner_id, extra={"person": person.pk})
    return request


NOTE_MAX = 2000
REASON_MAX = 500


def _clean_rectification(person: Any, changes: Any) -> dict[str, Any]:
    """The corrections that change something, checked field by field; nothing is applied here."""
    from samdrift.records.gdpr import RECTIFIABLE
    from samdrift.tenancy.models import OrgUnit

    if not isinstance(changes, dict) or not changes:
        raise ValidationError({"changes": _("Say which data are wrong and give the corrected values.")})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in RECTIFIABLE:
            errors.setdefault("changes", []).append(
                _(
                    "%(field)s cannot be corrected here: a rectification corrects first and last name, e-mail, "
                    "phone, title and org unit."
                )
                % {"field": str(name)[:50]}
            )
            continue
        if name == "org_unit":
            unit = value
            if value in (None, ""):
                unit = None
            elif not isinstance(value, OrgUnit):
                text = str(value).strip()
                unit = OrgUnit.objects.filter(pk=int(text)).first() if text.isdigit() and len(text) <= 18 else None
                if unit is None:
                    errors[name] = [_("Choose an org unit of the person's owner.")]
                    continue
            if unit is not None and unit.owner_id != person.owner_id:
                errors[name] = [_("Choose an org unit of the person's owner.")]
            elif unit is not None and not unit.active and unit.pk != person.org_unit_id:
                errors[name] = [_("The org unit is inactive.")]
            else:
                cleaned[name] = unit
            continue
        text = "" if value is None else str(value).strip()
        if name in ("first_name", "last_name") and not text:
            errors[name] = [_("A name cannot be empty.")]
            continue
        if person.is_pupil and name in ("phone", "title") and text:
            errors[name] = [_("For pupils we keep only name, school and identifier: leave phone and title empty.")]
            continue
        try:
            cleaned[name] = person._meta.get_field(name).clean(text, person)
        except ValidationError as exc:
            errors[name] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    changed = {name: value for name, value in cleaned.items() if _stored(person, name) != _given(name, value)}
    if not changed:
        raise ValidationError({"changes": _("Nothing to correct: every value given is the same as the one stored.")})
    return changed


def _stored(person: Any, name: str) -> Any:
    return person.org_unit_id if name == "org_unit" else getattr(person, name)


def _given(name: str, value: Any) -> Any:
    return getattr(value, "pk", None) if name == "org_unit" else value


def _text(value: Any, field: str, limit: int, *, required: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: required})
    if len(text) > limit:
        raise ValidationError({field: _("At most %(limit)s characters.") % {"limit": limit}})
    return text


def _gdpr_request(
    person: Any, kind: str, report: dict[str, Any], *, actor: Any, role: str, **extra: Any
) -> GdprRequest:
    request = GdprRequest(
        person=person,
        person_label=str(person)[:200],
        kind=kind,
        completed_at=timezone.now(),
        report=report,
        handler=actor if getattr(actor, "pk", None) else None,
    )
    request.save(force_insert=True)
    record_event(
        actor, role, AuditEventType.CREATED, request, owner_id=person.owner_id, extra={"person": person.pk, **extra}
    )
    return request


def _lock_person(person: Any) -> Any:
    from samdrift.tenancy.models import Person

    # No select_related: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    return Person.objects.select_for_update().get(pk=person.pk)


def _sync(person: Any, locked: Any, names: Any) -> None:
    """Keep the caller's object in step with the row the action changed."""
    for name in names:
        attname = locked._meta.get_field(name).attname
        setattr(person, attname, getattr(locked, attname))
        if name == "org_unit":
            person.org_unit = locked.org_unit


@transaction.atomic
def do_gdpr_rectify(person: Any, changes: dict[str, Any], note: str = "", *, actor: Any) -> GdprRequest:
    """Correct wrong data about the person (rättelse, art. 16) through the audited update. The
    report lists each corrected field with its old and new value (secret ones masked: the values
    are in the audit event) and the records that keep the old value because the law keeps them as
    they were (issued invoices, received e-mail, what was written in tickets, the audit trail);
    those are not changed. Bad input raises ValidationError and changes nothing."""
    from samdrift.records import gdpr

    role = officer_role(actor)
    note = _text(note, "note", NOTE_MAX)
    locked = _lock_person(person)
    cleaned = _clean_rectification(locked, changes)
    old = {name: gdpr.display_value(locked, name) for name in cleaned}
    update_audited(locked, cleaned, actor=actor, role=role)
    new = {name: gdpr.display_value(locked, name) for name in cleaned}
    event_id = (
        AuditEvent.objects.filter(object_type=locked._meta.label_lower, object_id=str(locked.pk))
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )
    report = gdpr.rectification_report(locked, old, new, note, event_id)
    report["kept"], report["follow_up"] = gdpr.rectification_kept(locked, set(cleaned), old)
    if locked.processing_restricted:
        report["restricted"] = True
    request = _gdpr_request(locked, GdprKind.RECTIFY, report, actor=actor, role=role, fields=sorted(cleaned))
    _sync(person, locked, cleaned)
    return request


@transaction.atomic
def do_gdpr_restrict(person: Any, reason: str, *, actor: Any) -> GdprRequest:
    """Restrict the processing of the person's data (begränsning, art. 18): they are kept but not
    used. New orders cannot name the person and only an administrator or a records officer may
    open a ticket for them (the ordering and service-desk actions check the flag)."""
    from samdrift.records import gdpr

    role = officer_role(actor)
    reason = _text(reason, "reason", REASON_MAX, required=_("Say why processing is restricted."))
    locked = _lock_person(person)
    if locked.processing_restricted:
        raise ValidationError(_("Processing of this person's data is already restricted."))
    now = timezone.now()
    update_audited(locked, {"processing_restricted": True, "processing_restricted_since": now}, actor=actor, role=role)
    report = {"action": "restrict", "reason": reason, "since": gdpr._dt(now), "effects": gdpr.restriction_effects()}
    request = _gdpr_request(locked, GdprKind.RESTRICT, report, actor=actor, role=role, action="restrict")
    _sync(person, locked, ("processing_restricted", "processing_restricted_since"))
    return request


@transaction.atomic
def do_gdpr_lift_restriction(person: Any, reason: str, *, actor: Any) -> GdprRequest:
    """Lift a restriction of processing (art. 18.3: tell the person before it is lifted); the
    person's data are used again as before."""
    from samdrift.records import gdpr

    role = officer_role(actor)
    reason = _text(reason, "reason", REASON_MAX, required=_("Say why the restriction is lifted."))
    locked = _lock_person(person)
    if not locked.processing_restricted:
        raise ValidationError(_("Processing of this person's data is not restricted."))
    since = locked.processing_restricted_since
    update_audited(
        locked, {"processing_restricted": False, "processing_restricted_since": None}, actor=actor, role=role
    )
    restricted_by = (
        GdprRequest.objects.filter(person=locked, kind=GdprKind.RESTRICT, report__action="restrict")
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )
    report = {
        "action": "lift",
        "reason": reason,
        "restricted_since": gdpr._dt(since),
        "lifted": gdpr._dt(timezone.now()),
        "restricted_by_request": restricted_by,
    }
    request = _gdpr_request(locked, GdprKind.RESTRICT, report, actor=actor, role=role, action="lift")
    _sync(person, locked, ("processing_restricted", "processing_restricted_since"))
    return request
