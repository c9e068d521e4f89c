"""The partner's report: upload (kept as received), column mapping, the dry run that lists every
exception to resolve, the resolutions, and applying it all-or-nothing.

The dry run writes one `ReportLine` per row (and one per device missing from the report after the
partner's deadline), each with the exception found, if any. Nothing else changes until the report
is applied: then, in one transaction, every reported device gets its certificate, its asset goes
erased → reused/resold/recycled, its CO2e avoided is computed with factor and source, each owner's
residual value is credited on its next invoice through billing, and each owner's security officer
gets one incident listing the devices that were not erased or are missing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, CharField, DecimalField, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.assets import actions as asset_actions
from samdrift.assets.imports import parse_date, parse_price
from samdrift.assets.models import Asset, AssetStatus
from samdrift.circular.actions import staff_role
from samdrift.circular.models import (
    RESOLUTIONS,
    Batch,
    BatchItem,
    BatchStatus,
    Certificate,
    CertificateSource,
    Co2eFactor,
    Credit,
    EraseMethod,
    EraseResult,
    ItemState,
    Outcome,
    PartnerReport,
    Problem,
    ReportLine,
    ReportMapping,
    ReportState,
    Resolution,
    SecurityContact,
)
from samdrift.core import importcolumns
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.tabular import normalise_header, read_table

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
# Larger reports are checked and applied by the worker while the page shows progress.
SYNC_ROWS = 300

FIELDS: dict[str, Any] = {
    "serial_number": gettext_lazy("Serial number"),
    "method": gettext_lazy("Erasure method"),
    "standard": gettext_lazy("Standard"),
    "erasure_report_id": gettext_lazy("Erasure report id"),
    "erased_at": gettext_lazy("Erasure time"),
    "result": gettext_lazy("Result"),
    "grade": gettext_lazy("Grade"),
    "outcome": gettext_lazy("Outcome"),
    "residual_value": gettext_lazy("Residual value"),
}
REQUIRED = ("serial_number", "result")
ALIASES: dict[str, tuple[str, ...]] = {
    "serial_number": ("serienummer", "serienr", "serial", "serial number", "serial no", "serialnumber", "sn", "s/n"),
    "method": ("metod", "raderingsmetod", "method", "erasure method", "sanitization method", "wipe method"),
    "standard": ("standard", "raderingsstandard", "erasure standard", "sanitization standard"),
    "erasure_report_id": (
        "rapport-id", "rapportid", "raderingsrapport", "raderingsrapport-id", "intygsnummer", "report id",
        "erasure report id", "erasure report", "certificate id", "erasure id",
    ),
    "erased_at": ("raderad", "raderingstid", "raderingsdatum", "erasure time", "erased at", "erasure date", "erased"),
    "result": ("resultat", "raderingsresultat", "result", "erasure result", "status"),
    "grade": ("grad", "gradering", "klass", "grade", "cosmetic grade", "condition"),
    "outcome": ("utfall", "åtgärd", "resultat användning", "outcome", "disposition", "destination"),
    "residual_value": (
        "restvärde", "restvärde sek", "restvärde (sek)", "kreditering", "residual value", "residual value sek",
        "value", "credit", "credit sek",
    ),
}  # fmt: skip


def guess_columns(headers: list[str]) -> dict[str, str]:
    return importcolumns.guess_columns(headers, ALIASES)


def clean_columns(columns: dict[str, Any]) -> dict[str, str]:
    if not isinstance(columns, dict):
        raise ValidationError({"columns": _("Give the columns as field: column name.")})
    unknown = [k for k in columns if k not in FIELDS]
    if unknown:
        raise ValidationError({"columns": _("Unknown fields: %(fields)s.") % {"fields": ", ".join(map(str, unknown))}})
    clean = {k: str(v).strip()[:200] for k, v in columns.items() if v is not None and str(v).strip()}
    missing = [str(FIELDS[k]) for k in REQUIRED if k not in clean]
    if missing:
        raise ValidationError({"columns": _("Choose a column for: %(fields)s.") % {"fields": ", ".join(missing)}})
    return clean


# --- reading values ------------------------------------------------------------------------------


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\wåäö]+", " ", (text or "").lower()).split())


def parse_method(text: str) -> str | None:
    t = _words(text)
    if not t:
        return ""
    if any(w in t for w in ("physical", "fysisk", "shred", "krossad", "kross", "degauss", "avmagnet")):
        return EraseMethod.PHYSICAL
    for name, words in (
        (EraseMethod.DESTROY, ("destroy", "förstör", "destruction")),
        (EraseMethod.PURGE, ("purge",)),
        (EraseMethod.CLEAR, ("clear", "rensa", "overwrite", "överskriv")),
    ):
        if any(w in t for w in words):
            return name
    return None


def parse_result(text: str) -> str | None:
    t = _words(text)
    if not t:
        return ""
    if any(w in t for w in ("not erased", "ej raderad", "inte raderad", "not wiped", "failed", "misslyck", "fail")):
        return EraseResult.NOT_ERASED
    if any(w in t for w in ("exception", "avvikelse", "with errors", "partial", "delvis")):
        return EraseResult.EXCEPTIONS
    if any(
        w in t for w in ("erased", "raderad", "ok", "passed", "success", "godkänd", "wiped", "destroyed", "förstörd")
    ):
        return EraseResult.ERASED
    return None


def parse_outcome(text: str) -> str | None:
    t = _words(text)
    if not t:
        return ""
    for name, words in (
        (Outcome.RECYCLED, ("recycl", "återvin", "material", "skrot", "scrap")),
        (Outcome.RESOLD, ("resold", "resale", "sold", "såld", "sål", "försålj", "vidaresål", "remarketed")),
        (Outcome.REUSED, ("reuse", "återbruk", "återanvän", "donat", "skänkt")),
    ):
        if any(w in t for w in words):
            return name
    return None


def parse_when(text: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    candidate = text.replace("T", " ").replace("Z", "+00:00") if re.match(r"^\d{4}-\d{2}-\d{2}", text) else text
    parsed = parse_datetime(candidate) if re.match(r"^\d{4}-\d{2}-\d{2} \d", candidate) else None
    if parsed is None:
        day = parse_date(text.split(" ")[0])
        if day is None:
            return None
        clock = re.search(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
        try:
            at = time(int(clock[1]), int(clock[2]), int(clock[3] or 0)) if clock else time(12, 0)
        except ValueError:
            return None
        parsed = datetime.combine(day, at)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed


# --- upload and columns --------------------------------------------------------------------------


def _header_and_body(report: PartnerReport) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    table = read_table(bytes(report.content), report.filename)
    if not table.rows:
        raise ValidationError({"file": _("The file is empty.")})
    return table.file_format, table.header, table.body


@transaction.atomic
def do_upload_report(
    batch: Batch, filename: str, content: bytes, *, actor: Any, mapping: ReportMapping | None = None
) -> PartnerReport:
    """Keep the partner's file as received and choose its columns (a saved mapping, or guessed from
    the headers); the dry run comes next."""
    role = staff_role(actor)
    batch = Batch.objects.select_related("partner").get(pk=batch.pk)
    if batch.status not in {BatchStatus.RECEIVED, BatchStatus.REPORTED}:
        raise ValidationError(
            {"file": _("A report is received once the partner has received the batch (now: %(status)s).")
             % {"status": BatchStatus(batch.status).label}}
        )  # fmt: skip
    if not content:
        raise ValidationError({"file": _("The file is empty.")})
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 20 MB.")})
    filename = (filename or "rapport.csv").rsplit("/", 1)[-1][:255]
    report = PartnerReport(
        batch=batch,
        filename=filename,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    fmt, header, body = _header_and_body(report)
    report.file_format = fmt
    # A saved mapping decides the columns it names; the headers recognised fill in the rest.
    if mapping is None:
        mapping = next(
            (m for m in ReportMapping.objects.filter(partner=batch.partner, active=True).order_by("-id")[:20]
             if _fits(m.columns, header)),
            None,
        )  # fmt: skip
    columns = guess_columns(header)
    if mapping is not None:
        taken = set(mapping.columns.values())
        columns = {k: v for k, v in columns.items() if v not in taken} | dict(mapping.columns)
    report.columns = columns
    report.counts = {"rows": len(body)}
    report.save(force_insert=True)
    record_event(
        actor, role, AuditEventType.CREATED, report,
        changes={"filename": [None, filename], "sha256": [None, report.sha256]},
        extra={"action": "upload_report", "batch": batch.number, "rows": len(body)},
    )  # fmt: skip
    return report


def _fits(columns: dict[str, str], header: list[str]) -> bool:
    present = {normalise_header(h) for h in header}
    return all(normalise_header(c) in present for c in columns.values()) and all(k in columns for k in REQUIRED)


def headers_of(report: PartnerReport) -> list[str]:
    return [h for h in _header_and_body(report)[1] if h]


@transaction.atomic
def do_set_report_columns(
    report: PartnerReport, columns: dict[str, Any], *, actor: Any, save_as: str = ""
) -> PartnerReport:
    """Choose which column holds which field; optionally save the choice for the partner's next files."""
    from samdrift.circular.actions import do_save_report_mapping

    role = staff_role(actor)
    report = PartnerReport.objects.select_for_update().get(pk=report.pk)
    if report.status in {ReportState.APPLIED, ReportState.APPLYING, ReportState.CHECKING}:
        raise ValidationError(_("The report is being processed or already applied."))
    clean = clean_columns(columns)
    header = headers_of(report)
    present = {normalise_header(h) for h in header}
    absent = [c for c in clean.values() if normalise_header(c) not in present]
    if absent:
        raise ValidationError({"columns": _("The file has no column %(columns)s.") % {"columns": ", ".join(absent)}})
    before = report.columns
    report.columns, report.status = clean, ReportState.UPLOADED
    report.save(update_fields=["columns", "status"])
    record_event(actor, role, AuditEventType.UPDATED, report, changes={"columns": [before, clean]})
    if save_as.strip():
        do_save_report_mapping(
            {"name": save_as.strip()[:100], "partner": report.batch.partner, "columns": clean}, actor=actor
        )
    return report


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
    return int((report.counts or {}).get("rows", 0)) > getattr(settings, "SAMDRIFT_CIRCULAR_SYNC_ROWS", SYNC_ROWS)


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


# --- applying ------------------------------------------------------------------------------------


def co2e_factors() -> dict[str, Co2eFactor]:
    return {f.category: f for f in Co2eFactor.objects.all()}


def co2e_avoided(factor: Co2eFactor | None, outcome: str) -> tuple[Decimal, str, str]:
    """kg CO2e avoided by one device's outcome, the factor as written and its source.

    Reused or resold: the saving the source attributes to one reused unit, or else the
    manufacturing share of the life-cycle footprint (a new device not made). Recycled: the
    reference gives no factor, so nothing is claimed."""
    if factor is None:
        return Decimal(0), _("no factor for this category"), ""
    if outcome in {Outcome.REUSED, Outcome.RESOLD}:
        if factor.reuse_saving_kg is not None:
            return factor.reuse_saving_kg, _("%(kg)s kg per reused unit (%(category)s)") % {
                "kg": factor.reuse_saving_kg, "category": factor.reference_category,
            }, factor.reuse_source  # fmt: skip
        if factor.lifecycle_kg is not None and factor.manufacturing_share is not None:
            kg = (factor.lifecycle_kg * factor.manufacturing_share).quantize(Decimal("0.01"))
            return kg, _("%(kg)s kg × manufacturing share %(share)s (%(category)s)") % {
                "kg": factor.lifecycle_kg, "share": factor.manufacturing_share, "category": factor.reference_category,
            }, factor.lifecycle_source  # fmt: skip
        return Decimal(0), _("no reuse factor for %(category)s") % {"category": factor.reference_category}, ""
    return Decimal(0), _("recycling: no factor in the source"), ""


class Stale(ValidationError):
    pass


def do_apply_report(report: PartnerReport, *, actor: Any) -> PartnerReport:
    """Apply a checked report whose exceptions are all resolved: everything, or nothing."""
    role = staff_role(actor)
    with transaction.atomic():
        report = PartnerReport.objects.select_for_update().select_related("batch__partner").get(pk=report.pk)
        if report.status not in {ReportState.READY, ReportState.APPLYING}:
            raise ValidationError(_("Resolve every exception in the dry run before applying the report."))
        result = _apply(report, actor=actor, role=role)
    from samdrift.circular import tasks

    transaction.on_commit(lambda: tasks.render_certificates_task.enqueue())
    return result


def _apply_lines(report: PartnerReport) -> Any:
    """The lines applied as erased: matched rows without an exception, or with one accepted."""
    return ReportLine.objects.filter(
        Q(problem="") | Q(resolution=Resolution.ACCEPT),
        report=report,
        item__isnull=False,
        row__isnull=False,
        result__in=[EraseResult.ERASED, EraseResult.EXCEPTIONS],
    )


APPLY_VALUES = (
    "pk", "row", "item_id", "item__owner_id", "item__asset_id", "item__asset__owner_id", "item__asset__asset_tag",
    "item__asset__model__category", "serial_number", "method", "standard", "erasure_report_id", "erased_at", "result",
    "outcome", "grade", "residual_value",
)  # fmt: skip


CERTIFICATE_COLUMNS = {
    "owner_id": F("item__asset__owner_id"),
    "asset_id": F("item__asset_id"),
    "item_id": F("item_id"),
    "report_line_id": F("pk"),
    "number": Concat(Value("RI-"), Cast("item_id", CharField())),
    "source": Value(CertificateSource.RENDERED, CharField()),
    "serial_number": F("serial_number"),
    "method": F("method"),
    "standard": F("standard"),
    "erasure_report_id": F("erasure_report_id"),
    "erased_at": F("erased_at"),
    "result": F("result"),
    "filename": Concat(Value("raderingsintyg-RI-"), Cast("item_id", CharField()), Value(".pdf")),
    "mimetype": Value("application/pdf", CharField()),
    "sha256": Value("", CharField()),
}


def certificate_number(item_id: int) -> str:
    return f"RI-{item_id}"


def _insert_certificates(applied: Any, now: datetime) -> None:
    from django.db import connection

    names = {f"c_{column}": expression for column, expression in CERTIFICATE_COLUMNS.items()}
    select_sql, params = applied.annotate(**names).values_list(*names).order_by().query.sql_with_params()
    qn = connection.ops.quote_name
    columns = [*CERTIFICATE_COLUMNS, "issued", "content"]
    picked = ", ".join(f"sub.{qn(name)}" for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(Certificate._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608 - SQL compiled by the ORM
            f"SELECT {picked}, %s, %s FROM ({select_sql}) sub",
            [connection.ops.adapt_datetimefield_value(now), b"", *params],
        )


def _close_assets(applied: Any) -> None:
    """Each erased device's asset to its outcome, in one UPDATE ... FROM its report line."""
    from django.db import connection

    names = {"a_asset": F("item__asset_id"), "a_status": F("outcome")}
    select_sql, params = applied.annotate(**names).values_list(*names).order_by().query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(Asset._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {qn('status')} = s.a_status, {qn('assigned_to_id')} = NULL "  # noqa: S608 - SQL compiled by the ORM
            f"FROM ({select_sql}) s WHERE {table}.{qn('id')} = s.a_asset",
            params,
        )


def _update_items(applied: Any, co2e: dict[tuple[str, str], tuple[Decimal, str, str]], now: datetime) -> None:
    """Every erased device's row from its report line in one UPDATE ... FROM (PostgreSQL, and
    SQLite 3.33+): its state, line, outcome, grade, value, current owner and CO2e with factor."""
    from django.db import connection

    def case(position: int, field: Any) -> Case:
        return Case(
            *[
                When(outcome=o, item__asset__model__category=c, then=Value(v[position], field))
                for (c, o), v in co2e.items()
            ],
            default=Value(Decimal(0) if position == 0 else "", field),
            output_field=field,
        )

    names = {
        "l_item": F("item_id"), "l_line": F("pk"), "l_outcome": F("outcome"), "l_grade": F("grade"),
        "l_value": Coalesce(F("residual_value"), Value(Decimal("0.00")), output_field=DecimalField()),
        "l_owner": F("item__asset__owner_id"),
        "l_kg": case(0, DecimalField(max_digits=10, decimal_places=2)),
        "l_factor": case(1, CharField()), "l_source": case(2, CharField()),
    }  # fmt: skip
    select_sql, params = applied.annotate(**names).values_list(*names).order_by().query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(BatchItem._meta.db_table)
    sets = {
        "state": "%s", "closed_at": "%s", "report_line_id": "s.l_line", "outcome": "s.l_outcome",
        "grade": "s.l_grade", "residual_value": "s.l_value", "owner_id": "s.l_owner",
        "co2e_avoided_kg": "s.l_kg", "co2e_factor": "s.l_factor", "co2e_source": "s.l_source",
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(f'{qn(k)} = {v}' for k, v in sets.items())} "  # noqa: S608 - SQL compiled by the ORM
            f"FROM ({select_sql}) s WHERE {table}.{qn('id')} = s.l_item",
            [ItemState.ERASED, connection.ops.adapt_datetimefield_value(now), *params],
        )


def _apply(report: PartnerReport, *, actor: Any, role: str) -> PartnerReport:
    """Set-based: a few statements per report whatever its size, one audit event per device."""
    from samdrift.billing import services as billing

    batch = Batch.objects.select_for_update().select_related("partner").get(pk=report.batch_id)
    now = timezone.now()
    if ReportLine.objects.filter(report=report).exclude(problem="").filter(resolution="").exists():
        raise ValidationError(_("Resolve every exception in the dry run before applying the report."))
    applied = _apply_lines(report)
    incident_lines = ReportLine.objects.filter(report=report, item__isnull=False, resolution=Resolution.INCIDENT)
    touched = BatchItem.objects.filter(Q(pk__in=applied.values("item_id")) | Q(pk__in=incident_lines.values("item_id")))
    # Lock what is changed; the register may have changed since the dry run: then nothing is applied.
    list(touched.select_for_update().values_list("pk", flat=True))
    list(Asset.objects.select_for_update().filter(pk__in=touched.values("asset_id")).values_list("pk", flat=True))
    stale = list(
        touched.filter(~Q(state=ItemState.PACKED) | ~Q(asset__status=AssetStatus.AWAITING_ERASURE)).values_list(
            "serial_number", flat=True
        )[:10]
    )
    if stale:
        raise ValidationError(
            _("Devices changed since the dry run (%(serials)s); run the dry run again.") % {"serials": ", ".join(stale)}
        )
    rows = list(applied.order_by("row").values(*APPLY_VALUES))
    # Certificates first: no device is closed without one (the closing rule). One INSERT ... SELECT
    # from the report lines: ten thousand certificates never pass through Python.
    _insert_certificates(applied, now)
    if Asset.objects.filter(pk__in=applied.values("item__asset_id"), erasure_certificate__isnull=True).exists():
        raise ValidationError(_("No erasure certificate for a device: a device is closed only with one."))
    # The lifecycle: awaiting erasure → erased → the outcome, in one step per outcome. Each device's
    # own audit event (below) records both steps.
    for outcome in sorted({r["outcome"] for r in rows}):
        asset_actions.check_transition(Asset(status=AssetStatus.ERASED, asset_tag=""), outcome)
    _close_assets(applied)
    factors = co2e_factors()
    co2e: dict[tuple[str, str], tuple[Decimal, str, str]] = {}
    for key in sorted({(r["item__asset__model__category"], r["outcome"]) for r in rows}):
        kg, factor_text, source = co2e_avoided(factors.get(key[0]), key[1])
        co2e[key] = (kg, str(factor_text)[:200], source[:300])
    _update_items(applied, co2e, now)
    incidents = list(incident_lines.select_related("item__asset").order_by("row", "id"))
    incident_of = ReportLine.objects.filter(report=report, item_id=OuterRef("pk"), resolution=Resolution.INCIDENT)
    for problem, state in ((Problem.MISSING, ItemState.MISSING), (None, ItemState.NOT_ERASED)):
        chosen = incident_lines.filter(problem=problem) if problem else incident_lines.exclude(problem=Problem.MISSING)
        BatchItem.objects.filter(pk__in=chosen.values("item_id")).update(
            state=state, report_line=Subquery(incident_of.values("pk")[:1])
        )
    _raise_incidents(report, incidents, actor=actor, role=role)
    # Each owner's residual value, credited once on its next invoice.
    totals: dict[int, list[Any]] = defaultdict(lambda: [Decimal("0.00"), 0])
    for r in rows:
        if r["residual_value"] and r["residual_value"] > 0:
            totals[r["item__asset__owner_id"]][0] += r["residual_value"]
            totals[r["item__asset__owner_id"]][1] += 1
    from samdrift.tenancy.models import Owner

    owners = Owner.objects.in_bulk(list(totals))
    events: list[PendingEvent] = []
    if totals:  # insight's owner months show the credits once this commits
        from samdrift.insight.services import request_refresh

        request_refresh()
    for owner_id, (amount, count) in sorted(totals.items()):
        credit = Credit(owner_id=owner_id, report=report, amount=amount, devices=count, created=now)
        credit.save(force_insert=True)
        charge = billing.credit_owner(
            owner=owners[owner_id],
            amount=amount,
            kind=billing.ChargeKind.RESIDUAL_VALUE,
            source=credit,
            source_label=_("Residual value, take-back %(batch)s: %(n)s devices") % {"batch": batch.number, "n": count},
            article=batch.partner.credit_article,
            actor=actor,
        )
        credit.charge_id = charge.pk
        credit.save(update_fields=["charge_id"])
        BatchItem.objects.filter(pk__in=applied.values("item_id"), owner_id=owner_id, residual_value__gt=0).update(
            credit=credit
        )
        events.append(
            PendingEvent(AuditEventType.CREATED, credit, changes={"amount": [None, amount], "devices": [None, count]},
                         extra={"charge": charge.pk, "report": report.pk})
        )  # fmt: skip
    # One event per device, on the device: its closing, the certificate, the report line, the money and CO2e.
    for r in rows:
        kg, factor_text, _source = co2e[(r["item__asset__model__category"], r["outcome"])]
        events.append(
            PendingEvent(
                AuditEventType.UPDATED,
                owner_id=r["item__asset__owner_id"],
                object_type="assets.asset",
                object_id=str(r["item__asset_id"]),
                object_repr=r["item__asset__asset_tag"],
                changes={"status": [AssetStatus.AWAITING_ERASURE, r["outcome"]]},
                extra={"action": "takeback_closed", "via": AssetStatus.ERASED, "batch": batch.number,
                       "item": r["item_id"], "report": report.pk, "line": r["pk"],
                       "certificate": certificate_number(r["item_id"]), "residual_value": r["residual_value"] or "0.00",
                       "co2e_kg": kg, "factor": factor_text,
                       **({"owner_was": r["item__owner_id"]} if r["item__owner_id"] != r["item__asset__owner_id"] else {})},
            )
        )  # fmt: skip
    for ln in incidents:
        events.append(
            PendingEvent(
                AuditEventType.UPDATED, ln.item,
                changes={"state": [ItemState.PACKED, ItemState.MISSING if ln.problem == Problem.MISSING else ItemState.NOT_ERASED]},
                extra={"action": "apply_report", "report": report.pk, "line": ln.pk, "incident": ln.ticket_number},
            )
        )  # fmt: skip
    record_events(actor, role, events)
    status_before = report.status
    report.status, report.applied_at, report.finished = ReportState.APPLIED, now, now
    report.applied_by = actor if getattr(actor, "pk", None) else None
    report.progress, report.message, report.lease_expires = 100, "", None
    report.counts = {
        **(report.counts or {}),
        "applied": len(rows),
        "incidents": len(incidents),
        "certificates": len(rows),
    }
    report.save(
        update_fields=[
            "status",
            "applied_at",
            "applied_by",
            "finished",
            "progress",
            "message",
            "lease_expires",
            "counts",
        ]
    )
    record_event(
        actor, role, AuditEventType.UPDATED, report, changes={"status": [status_before, report.status]},
        extra={"action": "apply_report", "applied": len(rows), "incidents": len(incidents),
               "credits": {str(k): str(v[0]) for k, v in totals.items()}},
    )  # fmt: skip
    if not BatchItem.objects.filter(batch=batch, state=ItemState.PACKED).exists():
        batch_before = batch.status
        batch.status, batch.reported_at = BatchStatus.REPORTED, now
        batch.save(update_fields=["status", "reported_at"])
        record_event(actor, role, AuditEventType.UPDATED, batch, changes={"status": [batch_before, batch.status]})
    return report


def _raise_incidents(report: PartnerReport, lines: list[ReportLine], *, actor: Any, role: str) -> None:
    """One incident per owner for its security officer, listing the devices not erased or missing."""
    if not lines:
        return
    from samdrift.servicedesk.actions import do_create_ticket
    from samdrift.servicedesk.models import Level, SecrecyGround

    by_owner: dict[int, list[ReportLine]] = defaultdict(list)
    for ln in lines:
        by_owner[ln.item.owner_id].append(ln)  # type: ignore[union-attr]
    contacts = {
        c.owner_id: c for c in SecurityContact.objects.filter(owner_id__in=list(by_owner)).select_related("person")
    }
    for owner_id, owner_lines in sorted(by_owner.items()):
        contact = contacts.get(owner_id)
        if contact is None:
            raise ValidationError(_("An owner has no security officer to receive the incident; name one first."))
        rows = "\n".join(
            f"- {ln.serial_number}: {Problem(ln.problem).label}"
            + (f" ({ln.erasure_report_id})" if ln.erasure_report_id else "")
            + (f" — {ln.resolution_note}" if ln.resolution_note else "")
            for ln in owner_lines
        )
        ticket = do_create_ticket(
            {
                "requester": contact.person,
                "subject": _("Take-back %(batch)s: %(n)s devices not erased or missing")
                % {"batch": report.batch.number, "n": len(owner_lines)},
                "description": _(
                    "The partner's report %(file)s for take-back batch %(batch)s leaves these devices without a "
                    "confirmed erasure. They may still hold the owner's data:\n%(rows)s"
                )
                % {"file": report.filename, "batch": report.batch.number, "rows": rows},
                "type": "incident",
                "impact": Level.HIGH,
                "urgency": Level.HIGH,
                "confidential": True,
                "secrecy_ground": SecrecyGround.SECURITY,
                "assets": [ln.item.asset for ln in owner_lines],  # type: ignore[union-attr]
            },
            actor=actor,
        )
        ReportLine.objects.filter(pk__in=[ln.pk for ln in owner_lines]).update(ticket_number=ticket.number)
        for ln in owner_lines:
            ln.ticket_number = ticket.number


def check_may_close(asset_ids: list[int]) -> None:
    """The closing rule: a device is closed as reused, resold or recycled only with a certificate."""
    with_certificate = set(Certificate.objects.filter(asset_id__in=asset_ids).values_list("asset_id", flat=True))
    without = [pk for pk in asset_ids if pk not in with_certificate]
    if without:
        tags = Asset.objects.filter(pk__in=without[:10]).values_list("asset_tag", flat=True)
        raise ValidationError(
            _("No erasure certificate for %(assets)s: a device is closed only with one.") % {"assets": ", ".join(tags)}
        )
