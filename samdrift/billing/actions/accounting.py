"""What finance hands to the books: the year-end self-cost reconciliation and the SIE month export."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.billing.actions.common import _role
from samdrift.billing.models import BillingPeriod
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType

# --- year-end reconciliation -----------------------------------------------------------------


@transaction.atomic
def do_reconcile_year(
    data: bytes, year: int, settle_period: BillingPeriod, *, actor: Any, filename: str = "", dry_run: bool = False
) -> dict[str, Any]:
    """Compare billed with actual cost per pool from the accounting's SIE file and settle the
    difference by each pool's key in an open period after the year. A dry run reports without writing.

    The file is refused, naming the mismatch, unless it is the operator's SIE 4 accounting of that
    year with every account and object the pools need. A year is settled once: a later
    reconciliation replaces the one in force and takes back what it settled (so each owner's
    settlement rows of the year always add up to the latest result), and one that would settle
    exactly what is already settled changes nothing.
    """
    from django.db import IntegrityError

    from samdrift.billing import reconciliation
    from samdrift.billing.models import Reconciliation, ReconciliationStatus, Settlement
    from samdrift.billing.sie import SieError, read_sie
    from samdrift.tenancy.models import Operator

    role = _role(actor)
    settle_period = BillingPeriod.objects.select_for_update().get(pk=settle_period.pk)
    if not settle_period.is_open:
        raise ValidationError(_("Settle in an open period."))
    operator = Operator.objects.filter(pk=1).first()
    if operator is None:
        raise ValidationError(_("Enter the operator's details (name, organisation and VAT number, Bankgiro) first."))
    # Lock the year's reconciliation in force: two reconciliations of a year never run side by side.
    list(Reconciliation.objects.select_for_update().filter(year=year, status=ReconciliationStatus.ACTIVE))
    try:
        sie = read_sie(data)
    except SieError as exc:
        raise ValidationError(_("The SIE file cannot be used: %(error)s") % {"error": exc}) from exc
    pools = reconciliation.reconciled_pools()
    errors = reconciliation.check_periods(year, settle_period) + reconciliation.check_file(
        sie, year, operator.org_number, pools
    )
    if errors:
        raise ValidationError(errors)
    results = reconciliation.compare(sie, year, pools)
    try:
        plan = reconciliation.plan(year, settle_period, results)
    except (ValueError, KeyError) as exc:
        raise ValidationError(str(exc)) from exc
    sha256 = hashlib.sha256(data).hexdigest()
    current = plan.current
    report: dict[str, Any] = {
        "year": year,
        "warnings": sie.warnings,
        "checksum_verified": sie.checksum_verified,
        "pools": [
            {"pool": r.pool.code, "billed": str(r.billed), "actual": str(r.actual), "difference": str(r.difference)}
            for r in results
        ],
        "not_reconciled": reconciliation.unreconciled_pools(year),
        "settlements": [{"owner": s.owner_id, "pool": s.pool.code, "amount": str(s.amount)} for s in plan.new],
        "takeback": [{"owner": s.owner_id, "pool": s.pool.code, "amount": str(s.amount)} for s in plan.takeback],
        "unchanged": False,
        "replaces": None,
    }
    if current is not None:
        report["replaces"] = {
            "reconciliation": current.pk,
            "created": current.created.isoformat(),
            "filename": current.filename,
            "settle_period": str(current.settle_period),
            "settled": str(plan.settled_total),
            "same_file": current.file_sha256 == sha256,
        }
        if plan.unchanged:
            report["unchanged"] = True
            report["reconciliation"] = current.pk
            return report
    if dry_run:
        return report
    try:
        with transaction.atomic():
            if current is not None:
                current.status = ReconciliationStatus.SUPERSEDED
                current.save(update_fields=["status"])
            rec = Reconciliation.objects.create(
                year=year, filename=filename[:255], file_sha256=sha256, settle_period=settle_period, report=report
            )
    except IntegrityError as exc:  # another reconciliation of the year was saved at the same moment
        raise ValidationError(
            _("Another reconciliation of %(year)s was saved at the same time; try again.") % {"year": year}
        ) from exc
    rows = [*plan.takeback, *plan.new]
    for s in rows:
        s.reconciliation = rec
    Settlement.objects.bulk_create(rows)
    events = [PendingEvent(AuditEventType.IMPORTED, obj=rec, extra={"action": "reconcile_year", **report})]
    if current is not None:
        current.replaced_by = rec
        current.save(update_fields=["replaced_by"])
        events.append(
            PendingEvent(
                AuditEventType.UPDATED,
                obj=current,
                changes={"status": [ReconciliationStatus.ACTIVE, ReconciliationStatus.SUPERSEDED]},
                extra={
                    "action": "replace_reconciliation",
                    "replaced_by": rec.pk,
                    "taken_back": str(-plan.settled_total),
                },
            )
        )
    events += [
        PendingEvent(
            AuditEventType.CREATED,
            obj=s,
            extra={"action": "settlement_takeback" if s.reverses_id else "settlement", "amount": str(s.amount)},
        )
        for s in rows
    ]
    record_events(actor, role, events)
    report["reconciliation"] = rec.pk
    return report


# --- SIE export ------------------------------------------------------------------------------


@transaction.atomic
def do_export_sie_month(year: int, month: int, *, actor: Any, today: date | None = None) -> Any:
    """The SIE 4 file of an accounting month (see `sie_export`): the stored file once the month is
    final (numbered and stored at its first export), otherwise a preliminary one. Recorded as an
    export either way."""
    from django.db import IntegrityError

    from samdrift.billing import sie_export
    from samdrift.billing.models import SieExport
    from samdrift.tenancy.models import Operator

    role = _role(actor)
    today = today or timezone.localdate()
    operator = Operator.objects.filter(pk=1).first()
    if operator is None:
        raise ValidationError(_("Enter the operator's details (name, organisation and VAT number, Bankgiro) first."))
    stored = SieExport.objects.filter(year=year, month=month).first()
    if stored is None:
        reasons = sie_export.preliminary_reasons(year, month, today)
        if reasons:
            content, count = sie_export.build_month(year, month, final=False, today=today, operator=operator)
            record_event(
                actor,
                role,
                AuditEventType.EXPORTED,
                None,
                object_type="billing.sieexport",
                object_repr=f"SIE {year}-{month:02d}",
                extra={"action": "export_sie", "final": False, "vouchers": count, "reasons": reasons},
            )
            return sie_export.SieMonthFile(
                content, False, sie_export.filename(year, month, final=False), tuple(reasons)
            )
        # One numbering of the fiscal year at a time: exports of two months never take the same number.
        list(BillingPeriod.objects.select_for_update().filter(year=year))
        sie_export.assign_numbers(year, sie_export.last_day(year, month))
        content, count = sie_export.build_month(year, month, final=True, today=today, operator=operator)
        try:
            with transaction.atomic():
                stored = SieExport.objects.create(
                    year=year,
                    month=month,
                    content=content,
                    sha256=hashlib.sha256(content).hexdigest(),
                    vouchers=count,
                    created_by=actor if getattr(actor, "pk", None) else None,
                )
        except IntegrityError:  # exported by someone else at the same moment: serve theirs
            stored = SieExport.objects.get(year=year, month=month)
        else:
            record_event(
                actor, role, AuditEventType.CREATED, stored, extra={"action": "store_sie_export", "vouchers": count}
            )
    record_event(
        actor,
        role,
        AuditEventType.EXPORTED,
        stored,
        extra={"action": "export_sie", "final": True, "sha256": stored.sha256},
    )
    return sie_export.SieMonthFile(bytes(stored.content), True, sie_export.filename(year, month, final=True))
