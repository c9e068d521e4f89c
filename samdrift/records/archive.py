"""Archive export (arkivleverans) of closed records: for one record type that the information
management plan delivers to the archive, and a range of closing dates, a ZIP with

- `metadata.xml`: one `record` per closed record (identifiers, dates, subject in general terms,
  owner, whose record it is, secrecy markings with their OSL grounds, and every file's path, size
  and SHA-256), valid against `data/archive-package.xsd` (checked before the package is saved);
- `files/<record>/record.txt`: the record part by part (as the records officer reads it, every
  marked part named with its ground) and `files/<record>/<attachment>`: its files;
- `checksums.sha256`: every file of the package, metadata.xml included, in `sha256sum` format.

Secret records go into the package unmasked: the archive receives them too, and the markings
travel in the metadata. Only records officers and administrators build and download packages.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from lxml import etree

from samdrift.core.access import require_role
from samdrift.core.audit import record_event
from samdrift.core.jobs import set_progress
from samdrift.core.models import AuditEventType
from samdrift.records import sources
from samdrift.records.models import READ_ROLES, ArchiveExport, Case, CaseStatus, ExportStatus, RecordType

log = logging.getLogger(__name__)

NS = "urn:samdrift:records:archive-package:1"
VERSION = "1"
XSD_PATH = Path(__file__).parent / "data" / "archive-package.xsd"
CHUNK = 1024 * 1024
PROGRESS_EVERY = 50


def archive_role(actor: Any) -> str:
    """Records officers and operator administrators build and download archive packages."""
    return require_role(actor, owner_id=None, operator_roles=READ_ROLES)


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


# --- which records ------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return sources._day_start(day)


def closed_records(record_type: RecordType, date_from: date, date_to: date) -> tuple[str, models.QuerySet]:
    """(content type label, queryset) of the records of the type closed within the dates.

    A type without a system object covers the register entries classified under it; the register
    type (records.case) also covers the entries classified under no type; tickets are closed
    tickets. Other kinds of object have no closure the system can archive by yet."""
    start, end = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    ct = record_type.content_type
    label = f"{ct.app_label}.{ct.model}" if ct else "records.case"
    if label == "records.case":
        condition = Q(record_type=record_type)
        if ct is not None:
            condition |= Q(record_type__isnull=True)
        cases = Case.objects.filter(condition, status=CaseStatus.CLOSED, closed_at__gte=start, closed_at__lt=end)
        return label, cases.select_related("series", "secrecy_ground", "concerns_owner").order_by("closed_at", "pk")
    if label == "servicedesk.ticket":
        from samdrift.servicedesk.models import Ticket

        tickets = Ticket.objects.filter(status="closed", closed_at__gte=start, closed_at__lt=end)
        return label, tickets.select_related("owner", "requester").order_by("closed_at", "pk")
    raise ValidationError(
        {"record_type": _("The system cannot archive records of this type yet (%(type)s).") % {"type": record_type}}
    )


def check_export(record_type: RecordType | None, date_from: date | None, date_to: date | None) -> None:
    """Refuse what cannot be exported, with the reason, before anything is written."""
    errors: dict[str, str] = {}
    if record_type is None:
        errors["record_type"] = _("Choose a record type.")
    elif not record_type.archived:
        errors["record_type"] = _("The information management plan does not deliver “%(type)s” to the archive.") % {
            "type": record_type
        }
    elif not record_type.active:
        errors["record_type"] = _("The record type is no longer in use.")
    if date_from is None:
        errors["date_from"] = _("Give the first closing date.")
    if date_to is None:
        errors["date_to"] = _("Give the last closing date.")
    elif date_from is not None and date_from > date_to:
        errors["date_to"] = _("The end comes before the start.")
    if errors:
        raise ValidationError(errors)
    assert record_type is not None and date_from is not None and date_to is not None
    closed_records(record_type, date_from, date_to)  # a type the system cannot archive


# --- actions ------------------------------------------------------------------------------------


@transaction.atomic
def do_start_archive_export(data: dict[str, Any], *, actor: Any, background: bool = True) -> ArchiveExport:
    """Start an archive package of a type's records closed between two dates.

    In the background (the default) a task builds it, its progress on the row; otherwise it is
    built here, before the call returns."""
    role = archive_role(actor)
    record_type, date_from, date_to = data.get("record_type"), data.get("date_from"), data.get("date_to")
    check_export(record_type, date_from, date_to)
    assert record_type is not None and date_from is not None and date_to is not None
    export = ArchiveExport.objects.create(
        record_type=record_type,
        date_from=date_from,
        date_to=date_to,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        export,
        changes={
            "record_type": [None, record_type.code],
            "date_from": [None, date_from],
            "date_to": [None, date_to],
        },
        extra={"action": "start_archive_export", "background": background},
    )
    if background:
        from samdrift.records.tasks import build_archive_export_task

        transaction.on_commit(lambda: build_archive_export_task.enqueue(export.pk))
        return export
    build_archive_export(export, actor=actor)
    export.refresh_from_db()
    return export


def record_archive_download(export: ArchiveExport, *, actor: Any) -> None:
    with transaction.atomic():
        record_event(
            actor,
            archive_role(actor),
            AuditEventType.EXPORTED,
            export,
            extra={"action": "archive_download", "sha256": export.sha256, "records": export.record_count},
        )


# --- the package --------------------------------------------------------------------------------


@dataclass
class PackedFile:
    path: str
    name: str
    kind: str
    size: int
    sha256: str
    ground: str = ""


@dataclass
class PackedRecord:
    label: str
    obj: Any
    rendered: sources.Rendered
    markings: list[tuple[str, Any]]
    files: list[PackedFile] = field(default_factory=list)


def _safe(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._")
    return cleaned[:120] or "fil"


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}.{ext}" if ext else f"{stem}-{n}"
    taken.add(candidate)
    return candidate


def _write(zf: zipfile.ZipFile, path: str, chunks: Iterator[bytes]) -> tuple[int, str]:
    """Stream one file into the ZIP; its size and SHA-256 as written."""
    digest, size = hashlib.sha256(), 0
    with zf.open(path, "w", force_zip64=True) as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def _file_chunks(field_file: Any) -> Iterator[bytes]:
    with field_file.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _record_text(rendered: sources.Rendered) -> bytes:
    lines = [rendered.identifier, rendered.title, ""]
    if rendered.record_ground is not None:
        lines += [_("The whole record is marked secret: %(ground)s") % {"ground": rendered.record_ground.reference}, ""]
    for part in rendered.parts:
        mark = f" [{_('Secret')}: {part.ground.reference}]" if part.ground else ""
        lines += [f"{part.label}{mark}:", part.text or "", ""]
    return "\n".join(lines).encode()


def _attachments(label: str, obj: Any, rendered: sources.Rendered, grounds: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(field file and name, ground or None) of the record's files."""
    if label == "records.case":
        return [(a, a.secrecy_ground) for a in rendered.attachments]
    from samdrift.servicedesk.models import Attachment

    found = []
    for a in Attachment.objects.filter(ticket=obj).select_related("comment").order_by("created", "id"):
        ground = None
        if a.comment is not None and a.comment.confidential:
            ground = grounds.get(a.comment.secrecy_ground)
        found.append((a, ground or rendered.record_ground))
    return found


def _markings(rendered: sources.Rendered, files: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if rendered.record_ground is not None:
        found.append(("", rendered.record_ground))
    found += [(p.key, p.ground) for p in rendered.parts if p.ground is not None]
    found += [(f"file:{name}", ground) for name, ground in files if ground is not None]
    return found


def _iso(value: Any) -> str:
    return timezone.localtime(value).isoformat() if isinstance(value, datetime) else value.isoformat()


def _metadata(export: ArchiveExport, records: list[PackedRecord], now: datetime) -> bytes:
    record_type = export.record_type
    root = etree.Element(f"{{{NS}}}archivePackage", nsmap={None: NS}, version=VERSION)

    def sub(parent: Any, tag: str, text: str | None = None, **attrs: str | None) -> Any:
        element = etree.SubElement(parent, f"{{{NS}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
        if text is not None:
            element.text = text
        return element

    sub(root, "producer", _operator_name())
    sub(root, "created", _iso(now))
    sub(root, "recordType", record_type.name, code=record_type.code, ownership=record_type.ownership)
    sub(root, "closedFrom", export.date_from.isoformat())
    sub(root, "closedUntil", export.date_to.isoformat())
    sub(root, "recordCount", str(len(records)))
    for packed in records:
        obj = packed.obj
        element = sub(root, "record", type=packed.label, id=str(obj.pk))
        sub(element, "identifier", packed.rendered.identifier)
        if packed.label == "records.case":
            sub(element, "registrationNumber", obj.registration_number)
        sub(element, "created", _iso(obj.created))
        sub(element, "closed", _iso(obj.closed_at))
        sub(element, "subject", obj.subject)
        owner = obj.owner if packed.label == "servicedesk.ticket" else obj.concerns_owner
        if owner is not None:
            sub(element, "owner", owner.name, orgNumber=owner.org_number or None)
        sub(element, "whoseRecord", record_type.ownership)
        markings = sub(element, "markings")
        for part, ground in packed.markings:
            sub(markings, "marking", part=part, ground=ground.code, reference=ground.reference)
        files = sub(element, "files")
        for f in packed.files:
            sub(
                files,
                "file",
                path=f.path,
                name=f.name,
                kind=f.kind,
                size=str(f.size),
                sha256=f.sha256,
                ground=f.ground or None,
            )
    document = etree.ElementTree(root)
    schema().assertValid(document)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _operator_name() -> str:
    from samdrift.tenancy.models import Operator

    return Operator.objects.values_list("name", flat=True).first() or "Samdrift"


def write_package(export: ArchiveExport, out: IO[bytes]) -> tuple[int, int]:
    """Write the package to `out`; (records, files). Raises if the metadata is not valid."""
    label, qs = closed_records(export.record_type, export.date_from, export.date_to)
    ids = list(qs.values_list("pk", flat=True))
    total = len(ids)
    source = sources.source_for(label)
    assert source is not None
    content_type = ContentType.objects.get_for_model(qs.model)
    grounds = sources._grounds_by_code()
    packed: list[PackedRecord] = []
    checksums: list[tuple[str, str]] = []
    dirs: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for start in range(0, total, 200):
            chunk = {o.pk: o for o in qs.filter(pk__in=ids[start : start + 200])}
            for pk in ids[start : start + 200]:
                obj = chunk[pk]
                rendered = sources.render(content_type, obj)
                folder = _unique(_safe(rendered.identifier), dirs)
                taken = {"record.txt"}
                record_files: list[PackedFile] = []
                text = _record_text(rendered)
                path = f"files/{folder}/record.txt"
                size, digest = _write(zf, path, iter([text]))
                record_files.append(PackedFile(path, "record.txt", "content", size, digest))
                named_grounds: list[tuple[str, Any]] = []
                for attachment, ground in _attachments(label, obj, rendered, grounds):
                    name = _unique(_safe(attachment.filename), taken)
                    path = f"files/{folder}/{name}"
                    size, digest = _write(zf, path, _file_chunks(attachment.file))
                    record_files.append(
                        PackedFile(path, attachment.filename, "attachment", size, digest, ground.code if ground else "")
                    )
                    named_grounds.append((name, ground))
                checksums += [(f.sha256, f.path) for f in record_files]
                packed.append(PackedRecord(label, obj, rendered, _markings(rendered, named_grounds), record_files))
                if len(packed) % PROGRESS_EVERY == 0:
                    set_progress(
                        export,
                        min(95, 5 + int(90 * len(packed) / total)),
                        _("%(done)s of %(total)s records") % {"done": len(packed), "total": total},
                    )
        metadata = _metadata(export, packed, timezone.now())
        _size, digest = _write(zf, "metadata.xml", iter([metadata]))
        checksums.insert(0, (digest, "metadata.xml"))
        zf.writestr("checksums.sha256", "".join(f"{d}  {p}\n" for d, p in checksums).encode())
    return len(packed), sum(len(r.files) for r in packed)


def build_archive_export(export: ArchiveExport, *, actor: Any) -> ArchiveExport:
    """Build the package, keeping the progress on the row (each step commits so the page shows
    it), store it through Django's storage and record the audit event. A failure leaves the row
    failed with the reason and stores nothing."""
    role = archive_role(actor)
    export = ArchiveExport.objects.select_related("record_type__content_type").get(pk=export.pk)
    if export.status == ExportStatus.DONE:
        return export  # a task run twice builds once
    with translation.override(translation.get_language() or "sv"):
        set_progress(export, 1, _("Finding the closed records"), status=ExportStatus.RUNNING)
        with tempfile.TemporaryFile() as spool:
            records, files = write_package(export, spool)
            size = spool.tell()
            spool.seek(0)
            digest = hashlib.sha256()
            while chunk := spool.read(CHUNK):
                digest.update(chunk)
            spool.seek(0)
            name = f"arkivleverans-{export.record_type.code}-{export.date_from}-{export.date_to}-{export.pk}.zip"
            with transaction.atomic():
                export.file.save(name, File(spool, name=name), save=False)
                message = _("%(records)s records, %(files)s files") % {"records": records, "files": files}
                export.status, export.progress, export.message = ExportStatus.DONE, 100, message
                export.record_count, export.file_count = records, files
                export.size, export.sha256, export.finished = size, digest.hexdigest(), timezone.now()
                export.save(
                    update_fields=[
                        "file",
                        "status",
                        "progress",
                        "message",
                        "record_count",
                        "file_count",
                        "size",
                        "sha256",
                        "finished",
                    ]
                )
                record_event(
                    actor,
                    role,
                    AuditEventType.UPDATED,
                    export,
                    changes={"status": [ExportStatus.RUNNING, ExportStatus.DONE]},
                    extra={
                        "action": "finish_archive_export",
                        "records": records,
                        "files": files,
                        "sha256": export.sha256,
                    },
                )
    return export


def fail_export(export_id: int, reason: str) -> None:
    ArchiveExport.objects.filter(pk=export_id).update(
        status=ExportStatus.FAILED, message=reason[:500], finished=timezone.now()
    )


def download_response(export: ArchiveExport, *, actor: Any) -> Any:
    """The finished package as a download (audited); 404 until it is ready or when its file is gone."""
    from django.http import FileResponse, Http404

    if export.status != ExportStatus.DONE or not export.file:
        raise Http404
    try:
        handle = export.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    record_archive_download(export, actor=actor)
    return FileResponse(handle, as_attachment=True, filename=(export.file.name or "").rsplit("/", 1)[-1])
