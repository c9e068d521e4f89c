"""The release package of a decided (or being decided) public access request: a PDF where every
withheld part is masked and its ground printed in its place, and a ZIP with the PDF, the written
decision and the attachments that are released."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from samdrift.records import sources
from samdrift.records.actions import rendered_item
from samdrift.records.models import AccessRequest, Decision, RequestItem


@dataclass
class ShownPart:
    label: str
    text: str
    masked_ground: str = ""


@dataclass
class ShownRecord:
    item: RequestItem
    identifier: str
    title: str
    parts: list[ShownPart]
    attachments: list[Any]
    withheld_attachments: list[tuple[str, str]]


def released_records(request: AccessRequest) -> tuple[list[ShownRecord], list[RequestItem]]:
    """The records as released (masked where decided) and the items refused in full."""
    shown: list[ShownRecord] = []
    refused: list[RequestItem] = []
    for item in request.items.select_related("content_type").prefetch_related("grounds").order_by("added", "id"):
        if item.decision == Decision.REFUSE:
            refused.append(item)
            continue
        if item.decision not in (Decision.RELEASE, Decision.PARTIAL):
            continue
        rendered = rendered_item(item)
        if rendered is None:
            continue
        mask = item.decision == Decision.PARTIAL
        parts = [
            ShownPart(p.label, "", p.ground.reference) if mask and p.ground else ShownPart(p.label, p.text)
            for p in rendered.parts
        ]
        attachments = [a for a in rendered.attachments if not (mask and a.secrecy_ground_id)]
        withheld = [
            (a.filename, a.secrecy_ground.reference) for a in rendered.attachments if mask and a.secrecy_ground_id
        ]
        shown.append(ShownRecord(item, rendered.identifier, rendered.title, parts, attachments, withheld))
    return shown, refused


def release_pdf(request: AccessRequest) -> bytes:
    """The PDF, always in Swedish (the language of the decision)."""
    from weasyprint import HTML

    shown, refused = released_records(request)
    with translation.override("sv"):
        html = render_to_string(
            "records/release_package.html",
            {
                "request": request,
                "records": shown,
                "refused": refused,
                "generated": timezone.localtime(timezone.now()),
                "masked_label": sources.masked_text,
            },
        )
    return HTML(string=html).write_pdf()


def release_zip(request: AccessRequest) -> bytes:
    shown, _refused = released_records(request)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{_safe(request.reference)}.pdf", release_pdf(request))
        if request.decision_text:
            zf.writestr("beslut.txt", request.decision_text)
        for record in shown:
            for attachment in record.attachments:
                with attachment.file.open("rb") as handle:
                    zf.writestr(f"{_safe(record.identifier)}/{_safe(attachment.filename)}", handle.read())
    return buffer.getvalue()


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_. " else "_" for c in name).strip() or "fil"
