"""The register's writes: secrecy grounds, record types, series, cases and their attachments."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.actions import create_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.records.actions.roles import officer_role
from samdrift.records.models import Attachment, Case, CaseStatus, RecordType, SecrecyGround, Series, SeriesCounter

DEFAULT_SERIES = "SAM"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


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
