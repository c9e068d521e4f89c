"""The dry run of a partner's report: every row read and checked against the batch, the devices
missing after the partner's deadline, the exceptions listed and resolved before anything is applied
(large reports are checked by the worker while the page shows progress)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.assets.imports import parse_price
from samdrift.assets.models import Asset
from samdrift.circular.actions import staff_role
from samdrift.circular.models import (
    RESOLUTIONS,
    Batch,
    BatchItem,
    EraseResult,
    ItemState,
    PartnerReport,
    Problem,
    ReportLine,
    ReportState,
    Resolution,
    SecurityContact,
)
from samdrift.circular.report_apply import do_apply_report
from samdrift.circular.report_files import (
    FIELDS,
    REQUIRED,
    _header_and_body,
    parse_method,
    parse_outcome,
    parse_result,
    parse_when,
)
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.tabular import normalise_header

log = logging.getLogger(__name__)

# --- the dry run ---------------------------------------------------------------------------------


@dataclass
class Parsed:
    row: int
    values: dict[str, Any]
    raw: dict[str, str]
    errors: list[str]


def _parse_rows(report: PartnerReport) -> list[Parsed]:
    _fmt, header, body = _header_and_body(report)
    index: dict[str, int] = {}
    for position, text in enumerate(header):
        index.setdefault(normalise_header(text), position)
    columns = report.columns or {}
    missing = [c for c in columns.values() if normalise_header(c) not in index]
    if missing or any(k not in columns for k in REQUIRED):
        raise ValidationError({"columns": _("Choose the columns again: the file has no column %(columns)s.")
                               % {"columns": ", ".join(missing) or ", ".join(str(FIELDS[k]) for k in REQUIRED)}})  # fmt: skip
    positions = {name: index[normalise_header(col)] for name, col in columns.items()}
    parsed = []
    for number, cells in body:
        raw = {name: (cells[i] if i < len(cells) else "").strip() for name, i in positions.items()}
        errors: list[str] = []
        values: dict[str, Any] = {
            "serial_number": raw.get("serial_number", "")[:100],
            "standard": raw.get("standard", "")[:100],
            "erasure_report_id": raw.get("erasure_report_id", "")[:100],
            "grade": raw.get("grade", "")[:20],
        }
        if not values["serial_number"]:
            errors.append(_("No serial number."))
        method = parse_method(raw.get("method", ""))
        if method is None:
            errors.append(_("Unknown erasure method “%(value)s”.") % {"value": raw["method"][:50]})
        result = parse_result(raw.get("result", ""))
        if result is None:
            errors.append(_("Unknown result “%(value)s”.") % {"value": raw["result"][:50]})
        elif not result:
            errors.append(_("No result."))
        outcome = parse_outcome(raw.get("outcome", ""))
        if outcome is None:
            errors.append(_("Unknown outcome “%(value)s”.") % {"value": raw["outcome"][:50]})
        erased_at = parse_when(raw.get("erased_at", ""))
        if raw.get("erased_at") and erased_at is None:
            errors.append(_("Not a time: “%(value)s”.") % {"value": raw["erased_at"][:50]})
        value: Decimal | None = None
        if raw.get("residual_value"):
            value = parse_price(raw["residual_value"])
            if value is None or value < 0 or value >= Decimal("1e9"):
                errors.append(_("Not a residual value: “%(value)s”.") % {"value": raw["residual_value"][:50]})
                value = None
            else:
                value = value.quantize(Decimal("0.01"))
        if result in {EraseResult.ERASED, EraseResult.EXCEPTIONS}:
            if not method:
                errors.append(_("An erased device needs its erasure method."))
            if not outcome:
                errors.append(_("An erased device needs its outcome (reused, resold or recycled)."))
        values.update(
            method=method or "", result=result or "", outcome=outcome or "", erased_at=erased_at, residual_value=value
        )
        parsed.append(Parsed(number, values, raw, errors))
    return parsed


def missing_deadline(batch: Batch) -> datetime | None:
    if batch.received_at is None:
        return None
    return batch.received_at + timedelta(days=batch.partner.missing_after_days)


def _build_lines(report: PartnerReport, parsed: list[Parsed], now: datetime) -> list[ReportLine]:
    batch = report.batch
    serials = [p.values["serial_number"] for p in parsed if p.values["serial_number"]]
    seen: dict[str, int] = defaultdict(int)
    for serial in serials:
        seen[serial] += 1
    items = {i.serial_number: i for i in BatchItem.objects.filter(batch=batch).select_related("asset")}
    known: dict[str, Asset] = {}
    for start in range(0, len(serials), 2000):
        for asset in Asset.objects.filter(serial_number__in=serials[start : start + 2000]).only(
            "id", "owner_id", "serial_number", "status"
        ):
            known.setdefault(asset.serial_number, asset)
    lines = []
    matched: set[int] = set()
    for p in parsed:
        v = p.values
        serial = v["serial_number"]
        line = ReportLine(report=report, row=p.row, raw=p.raw, **v)
        item = items.get(serial)
        if item is not None:
            line.item, line.asset, line.owner_id = item, item.asset, item.asset.owner_id
        elif serial in known:
            line.asset, line.owner_id = known[serial], known[serial].owner_id
        if p.errors:
            line.problem, line.message = Problem.INVALID, " ".join(p.errors)[:500]
        elif seen[serial] > 1:
            line.problem = Problem.DUPLICATE
            line.message = _("The serial number is on %(n)s rows; correct the file.") % {"n": seen[serial]}
        elif item is None and serial in known:
            line.problem = Problem.NOT_SENT
            line.message = _("The device exists but was never sent in batch %(batch)s.") % {"batch": batch.number}
        elif item is None:
            line.problem, line.message = Problem.UNKNOWN, _("No device has this serial number.")
        elif item.state != ItemState.PACKED:
            line.problem = Problem.ALREADY
            line.message = _("Already reported: %(state)s.") % {"state": ItemState(item.state).label}
        elif item.asset.owner_id != item.owner_id:
            line.problem = Problem.OWNER
            line.message = _("The device now belongs to another owner than when it was packed.")
        elif v["result"] == EraseResult.NOT_ERASED:
            line.problem, line.message = Problem.NOT_ERASED, _("The partner reports the device as not erased.")
        elif v["result"] == EraseResult.EXCEPTIONS:
            line.problem, line.message = Problem.EXCEPTIONS, _("Erased with exceptions; read the erasure report.")
        if item is not None and seen[serial] == 1:
            matched.add(item.pk)
        lines.append(line)
    deadline = missing_deadline(batch)
    overdue = deadline is not None and now > deadline
    for item in items.values():
        if item.state == ItemState.PACKED and item.pk not in matched and overdue:
            lines.append(
                ReportLine(
                    report=report,
                    serial_number=item.serial_number,
                    item=item,
                    asset=item.asset,
                    owner_id=item.owner_id,
                    problem=Problem.MISSING,
                    message=_("Not reported %(days)s days after the partner received the batch.")
                    % {"days": batch.partner.missing_after_days},
                )
            )
    # An incident needs someone to receive it.
    incident_owners: set[int] = {
        ln.owner_id for ln in lines if ln.owner_id is not None and ln.problem in {Problem.NOT_ERASED, Problem.MISSING}
    }
    with_officer = set(SecurityContact.objects.filter(owner_id__in=incident_owners).values_list("owner_id", flat=True))
    from samdrift.tenancy.models import Owner

    for owner in Owner.objects.filter(pk__in=incident_owners - with_officer).order_by("name"):
        lines.append(
            ReportLine(
                report=report,
                owner_id=owner.pk,
                problem=Problem.NO_OFFICER,
                message=_(
                    "%(owner)s has no security officer to receive the incident; name one and run the dry run again."
                )
                % {"owner": owner.name},
            )
        )
    return lines


def _key(line: ReportLine) -> tuple[Any, ...]:
    return (line.row, line.serial_number, line.item_id, line.problem)


def _counts(lines: list[ReportLine], awaited: int) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    counts["rows"] = sum(1 for ln in lines if ln.row is not None)
    counts["awaited"] = awaited
    for ln in lines:
        if ln.problem:
            counts[ln.problem] += 1
            if not ln.resolution:
                counts["open"] += 1
        elif ln.row is not None:
            counts["ok"] += 1
    return dict(counts)


def check_report(
    report: PartnerReport, *, actor: Any, progress: Callable[[int, str], None] | None = None
) -> PartnerReport:
    """The dry run: read and check every row and store the lines; nothing else is written."""
    role = staff_role(actor)
    if report.status in {ReportState.APPLIED, ReportState.APPLYING}:
        raise ValidationError(_("The report is being applied or already applied."))
    report = PartnerReport.objects.select_related("batch__partner").get(pk=report.pk)
    if progress:
        progress(10, _("Reading the file"))
    file_errors: list[str] = []
    try:
        parsed = _parse_rows(report)
    except ValidationError as exc:
        parsed, file_errors = [], exc.messages
    if progress:
        progress(50, _("Matching serial numbers"))
    now = timezone.now()
    with transaction.atomic():
        locked = PartnerReport.objects.select_for_update().select_related("batch__partner").get(pk=report.pk)
        previous = {
            _key(ln): (ln.resolution, ln.resolution_note, ln.resolved_by_id)
            for ln in ReportLine.objects.filter(report=locked).exclude(resolution="")
        }
        lines = _build_lines(locked, parsed, now) if parsed else []
        for ln in lines:
            kept = previous.get(_key(ln))
            if kept and kept[0] in RESOLUTIONS.get(ln.problem, ()):
                ln.resolution, ln.resolution_note, ln.resolved_by_id = kept
        ReportLine.objects.filter(report=locked).delete()
        ReportLine.objects.bulk_create(lines, batch_size=2000)
        matched = {ln.item_id for ln in lines if ln.item_id and ln.row is not None}
        awaited = BatchItem.objects.filter(batch=locked.batch, state=ItemState.PACKED).exclude(pk__in=matched).count()
        counts = _counts(lines, awaited)
        before = locked.status
        locked.status = ReportState.EXCEPTIONS if (file_errors or counts.get("open")) else ReportState.READY
        locked.counts, locked.file_errors, locked.checked_at = counts, file_errors, now
        locked.progress, locked.message, locked.finished = 100, "", now
        locked.lease_expires = None
        locked.save(
            update_fields=[
                "status",
                "counts",
                "file_errors",
                "checked_at",
                "progress",
                "message",
                "finished",
                "lease_expires",
            ]
        )
        record_event(
            actor, role, AuditEventType.UPDATED, locked, changes={"status": [before, locked.status]},
            extra={"action": "check_report", "counts": counts, "file_errors": file_errors},
        )  # fmt: skip
    return locked


def _runs_in_background(report: PartnerReport) -> bool:
    return int((report.counts or {}).get("rows", 0)) > settings.SAMDRIFT_CIRCULAR_SYNC_ROWS


def _queue(
    report: PartnerReport, state: str, expected: set[str], action: str, *, actor: Any, role: str
) -> PartnerReport:
    with transaction.atomic():
        locked = PartnerReport.objects.select_for_update().get(pk=report.pk)
        if locked.status not in expected:
            raise ValidationError(_("The report is being processed or already applied."))
        before = locked.status
        locked.status, locked.progress, locked.message = state, 0, ""
        locked.save(update_fields=["status", "progress", "message"])
        record_event(
            actor, role, AuditEventType.UPDATED, locked, changes={"status": [before, state]}, extra={"action": action}
        )
        actor_id = getattr(actor, "pk", None)
        from samdrift.circular import tasks

        task = tasks.check_report_task if state == ReportState.CHECKING else tasks.apply_report_task
        transaction.on_commit(lambda: task.enqueue(locked.pk, actor_id))
    return locked


def start_check(report: PartnerReport, *, actor: Any) -> PartnerReport:
    """Run the dry run now for a small report, or queue it for the worker (the page shows progress)."""
    role = staff_role(actor)
    if not _runs_in_background(report):
        return check_report(report, actor=actor)
    allowed: set[Any] = {ReportState.UPLOADED, ReportState.EXCEPTIONS, ReportState.READY, ReportState.ERROR}
    return _queue(report, ReportState.CHECKING, allowed, "queue_check", actor=actor, role=role)


def start_apply(report: PartnerReport, *, actor: Any) -> PartnerReport:
    role = staff_role(actor)
    if not _runs_in_background(report):
        return do_apply_report(report, actor=actor)
    if report.status != ReportState.READY:
        raise ValidationError(_("Resolve every exception in the dry run before applying the report."))
    return _queue(report, ReportState.APPLYING, {ReportState.READY}, "queue_apply", actor=actor, role=role)


# --- resolving exceptions ------------------------------------------------------------------------


@transaction.atomic
def do_resolve_line(line: ReportLine, resolution: str, *, actor: Any, note: str = "") -> ReportLine:
    """Decide what to do with one exception of the dry run."""
    role = staff_role(actor)
    report = PartnerReport.objects.select_for_update().get(pk=line.report_id)
    if report.status not in {ReportState.EXCEPTIONS, ReportState.READY}:
        raise ValidationError(_("Exceptions are resolved after the dry run and before the report is applied."))
    line = ReportLine.objects.select_for_update().get(pk=line.pk)
    allowed = RESOLUTIONS.get(line.problem, ())
    if resolution and resolution not in allowed:
        if not allowed:
            raise ValidationError(
                {
                    "resolution": _(
                        "This cannot be decided here: correct the file or the register and run the dry run again."
                    )
                }
            )
        raise ValidationError(
            {
                "resolution": _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(str(Resolution(r).label) for r in allowed)}
            }
        )
    note = (note or "").strip()[:500]
    before = [line.resolution, line.resolution_note]
    line.resolution, line.resolution_note = resolution, note
    line.resolved_by = actor if resolution and getattr(actor, "pk", None) else None
    line.save(update_fields=["resolution", "resolution_note", "resolved_by"])
    lines = list(ReportLine.objects.filter(report=report).only("row", "problem", "resolution", "item_id"))
    counts = {**(report.counts or {}), **{k: v for k, v in _counts(lines, 0).items() if k != "awaited"}}
    counts["open"] = sum(1 for ln in lines if ln.problem and not ln.resolution)
    report.counts = counts
    report.status = ReportState.EXCEPTIONS if (counts["open"] or report.file_errors) else ReportState.READY
    report.save(update_fields=["counts", "status"])
    record_event(
        actor, role, AuditEventType.UPDATED, report,
        changes={f"line {line.row or line.serial_number}": [before, [resolution, note]]},
        extra={"action": "resolve", "line": line.pk, "problem": line.problem},
    )  # fmt: skip
    return line
