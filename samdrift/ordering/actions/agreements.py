"""Suppliers and their framework agreements: the call-off ceiling and the expiry alerts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import require_role
from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.ordering.actions.common import _role, today
from samdrift.ordering.models import Agreement, PurchaseOrderLine, Supplier
from samdrift.ordering.permissions import WRITE_ROLES

# --- suppliers and agreements ------------------------------------------------------------------


@transaction.atomic
def do_create_supplier(data: dict[str, Any], *, actor: Any) -> Supplier:
    return create_audited(Supplier, data, actor=actor, role=_role(actor, "catalogue"))


@transaction.atomic
def do_update_supplier(obj: Supplier, data: dict[str, Any], *, actor: Any) -> Supplier:
    return update_audited(obj, data, actor=actor, role=_role(actor, "catalogue"))


@transaction.atomic
def do_set_supplier_active(obj: Supplier, active: bool, *, actor: Any) -> Supplier:
    return set_active_audited(obj, active, actor=actor, role=_role(actor, "catalogue"))


def _check_agreement(data: dict[str, Any]) -> None:
    start, end = data.get("start"), data.get("end")
    if start and end and end < start:
        raise ValidationError({"end": _("The end cannot be before the start.")})
    if data.get("extensions_taken", 0) > data.get("extension_options", 0):
        raise ValidationError({"extensions_taken": _("More extensions taken than the agreement offers.")})
    max_value = data.get("max_value")
    if max_value is not None and max_value <= 0:
        raise ValidationError({"max_value": _("The maximum value must be positive.")})


@transaction.atomic
def do_create_agreement(data: dict[str, Any], *, actor: Any) -> Agreement:
    """Register a framework agreement; `parties` are the owners allowed to call off."""
    role = _role(actor, "catalogue")
    data = dict(data)
    parties = list(data.pop("parties", []) or [])
    _check_agreement(data)
    agreement = create_audited(Agreement, data, actor=actor, role=role)
    agreement.parties.set(parties)
    return agreement


@transaction.atomic
def do_update_agreement(obj: Agreement, data: dict[str, Any], *, actor: Any) -> Agreement:
    role = _role(actor, "catalogue")
    data = dict(data)
    parties = data.pop("parties", None)
    merged = {
        "start": data.get("start", obj.start),
        "end": data.get("end", obj.end),
        "extension_options": data.get("extension_options", obj.extension_options),
        "extensions_taken": data.get("extensions_taken", obj.extensions_taken),
        "max_value": data.get("max_value", obj.max_value),
    }
    _check_agreement(merged)
    if "end" in data and data["end"] != obj.end:
        # A new end (an extension taken) earns new expiry alerts.
        data["alert_12_sent"] = None
        data["alert_6_sent"] = None
    obj = update_audited(obj, data, actor=actor, role=role)
    if parties is not None:
        before = sorted(obj.parties.values_list("pk", flat=True))
        after = sorted(p.pk for p in parties)
        if before != after:
            obj.parties.set(parties)
            record_event(actor, role, AuditEventType.UPDATED, obj, changes={"parties": [before, after]})
    return obj


@transaction.atomic
def do_set_agreement_active(obj: Agreement, active: bool, *, actor: Any) -> Agreement:
    return set_active_audited(obj, active, actor=actor, role=_role(actor, "catalogue"))


def called_off_value(agreement_ids: Iterable[int]) -> dict[int, Decimal]:
    """Cumulative call-off value per agreement: every purchase-order line placed under it."""
    rows = (
        PurchaseOrderLine.objects.filter(agreement_id__in=list(agreement_ids))
        .values("agreement_id")
        .annotate(total=Sum("amount"))
    )
    return {r["agreement_id"]: r["total"] or Decimal(0) for r in rows}


def check_call_off(agreement: Agreement, owner_id: int, day: date, amount: Decimal, already: Decimal) -> None:
    """An expired, inactive or exhausted agreement cannot be called off, nor by a non-party."""
    if not agreement.active or not (agreement.start <= day <= agreement.end):
        raise ValidationError(
            _("The framework agreement %(ref)s is not in force on %(day)s; it cannot be called off.")
            % {"ref": agreement.reference, "day": day}
        )
    party_ids = {p.pk for p in agreement.parties.all()}
    if owner_id not in party_ids:
        raise ValidationError(
            _("Your organisation is not a party to the framework agreement %(ref)s.") % {"ref": agreement.reference}
        )
    if already + amount > agreement.max_value:
        raise ValidationError(
            _("The framework agreement %(ref)s would exceed its maximum value (%(max)s SEK; %(used)s SEK called off).")
            % {"ref": agreement.reference, "max": agreement.max_value, "used": already}
        )


# --- agreement expiry alerts -------------------------------------------------------------------


def _months_before(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    import calendar

    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def do_send_agreement_alerts(*, day: date | None = None, actor: Any = None) -> list[tuple[int, int]]:
    """Alert each agreement's responsible person 12 and 6 months before its end, once each.

    Returns (agreement id, months) for every alert sent. A run that finds the 6-month point passed
    without the 12-month alert sends only the 6-month one.
    """
    from samdrift.ordering import notify

    day = day or today()
    role = require_role(actor, owner_id=None, operator_roles=WRITE_ROLES["catalogue"][0])
    sent: list[tuple[int, int]] = []
    now = timezone.now()
    candidates = (
        Agreement.objects.select_for_update()
        .filter(active=True, end__gte=day)
        .filter(Q(alert_12_sent__isnull=True) | Q(alert_6_sent__isnull=True))
    )
    for agreement in candidates:
        months = None
        fields: list[str] = []
        if agreement.alert_6_sent is None and day >= _months_before(agreement.end, 6):
            months, agreement.alert_6_sent = 6, now
            fields = ["alert_6_sent"]
            if agreement.alert_12_sent is None:
                agreement.alert_12_sent = now
                fields.append("alert_12_sent")
        elif agreement.alert_12_sent is None and day >= _months_before(agreement.end, 12):
            months, agreement.alert_12_sent = 12, now
            fields = ["alert_12_sent"]
        if months is None:
            continue
        agreement.save(update_fields=fields)
        record_event(
            actor, role, AuditEventType.UPDATED, agreement, changes={f: [None, now] for f in fields},
            extra={"action": "expiry_alert", "months": months},
        )  # fmt: skip
        sent.append((agreement.pk, months))
        notify.notify_agreement_expiry(agreement, months)
    return sent
