"""The data subject's rights under the GDPR: extract, erasure, rectification and restriction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.actions import update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEvent, AuditEventType
from samdrift.records.actions.roles import officer_role
from samdrift.records.models import GdprKind, GdprRequest

# Stored in the data, not shown as interface text: the same in every language.
ANONYMISED_NAME = "Raderad"


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
