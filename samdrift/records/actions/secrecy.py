"""Secrecy markings on records, and the access log of reads of marked or pupil data."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.records import sources
from samdrift.records.actions.roles import officer_role
from samdrift.records.models import AccessLogEntry, SecrecyGround, SecrecyMarking

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
