"""The partner's report as a file: what its columns may be called, reading its values (methods,
results, outcomes, times), the upload (kept as received) and choosing its columns."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.assets.imports import parse_date
from samdrift.circular.actions import staff_role
from samdrift.circular.models import (
    Batch,
    BatchStatus,
    EraseMethod,
    EraseResult,
    Outcome,
    PartnerReport,
    ReportMapping,
    ReportState,
)
from samdrift.core import importcolumns
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.tabular import normalise_header, read_table

log = logging.getLogger(__name__)


MAX_BYTES = 20 * 1024 * 1024

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
