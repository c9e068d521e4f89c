"""Erasure certificates: the PDF Samdrift renders from the report line (WeasyPrint), or the
partner's own file. Rendered once and stored as issued; a download hands out the stored file."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from samdrift.circular.actions import staff_role
from samdrift.circular.models import Certificate, CertificateSource
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType

MAX_PARTNER_FILE = 10 * 1024 * 1024
PARTNER_TYPES = {b"%PDF": "application/pdf"}


def _operator_name() -> str:
    from samdrift.tenancy.models import Operator

    operator = Operator.objects.order_by("pk").first()
    return operator.name if operator else "Samdrift"


def certificate_html(cert: Certificate) -> str:
    with translation.override("sv"):
        return render_to_string(
            "circular/certificate_pdf.html",
            {
                "cert": cert,
                "item": cert.item,
                "asset": cert.asset,
                "batch": cert.item.batch,
                "partner": cert.item.batch.partner,
                "line": cert.report_line,
                "report": cert.report_line.report,
                "operator": _operator_name(),
                "now": timezone.localtime(cert.issued),
            },
        )


def render_pdf(cert: Certificate) -> bytes:
    import weasyprint  # loads pango, which only this needs

    pdf: bytes = weasyprint.HTML(string=certificate_html(cert)).write_pdf()
    if not pdf.startswith(b"%PDF"):  # validated before it leaves (DESIGN.md rule 9)
        raise RuntimeError("the certificate did not render as a PDF")
    return pdf


def ensure_rendered(cert: Certificate) -> Certificate:
    """Render and store a certificate that has no file yet (a rendered one is never rendered again)."""
    if cert.sha256:
        return cert
    pdf = render_pdf(cert)
    with transaction.atomic():
        changed = Certificate.objects.filter(pk=cert.pk, sha256="").update(
            content=pdf, sha256=hashlib.sha256(pdf).hexdigest()
        )
    if changed:
        cert.content, cert.sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    else:  # rendered meanwhile by another process: theirs is the one issued
        cert = Certificate.objects.get(pk=cert.pk)
    return cert


def render_pending(limit: int = 500) -> int:
    """Render the certificates that have no file yet (after a report was applied)."""
    done = 0
    qs = Certificate.objects.filter(sha256="").select_related(
        "item__batch__partner", "asset__model", "report_line__report", "owner"
    )
    for cert in qs.order_by("id")[:limit]:
        ensure_rendered(cert)
        done += 1
    return done


@transaction.atomic
def do_attach_partner_certificate(cert: Certificate, filename: str, content: bytes, *, actor: Any) -> Certificate:
    """Store the partner's own certificate file (PDF) for a device; it replaces a certificate
    Samdrift rendered, whose hash stays in the audit trail."""
    role = staff_role(actor)
    if not content:
        raise ValidationError({"file": _("The file is empty.")})
    if len(content) > MAX_PARTNER_FILE:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    mimetype = next((m for magic, m in PARTNER_TYPES.items() if content.startswith(magic)), None)
    if mimetype is None:
        raise ValidationError({"file": _("The certificate must be a PDF file.")})
    cert = Certificate.objects.select_for_update().get(pk=cert.pk)
    before = {"source": cert.source, "sha256": cert.sha256}
    cert.source, cert.content, cert.mimetype = CertificateSource.PARTNER, content, mimetype
    cert.filename = (filename or f"{cert.number}.pdf").rsplit("/", 1)[-1][:255]
    cert.sha256 = hashlib.sha256(content).hexdigest()
    cert.save(update_fields=["source", "content", "mimetype", "filename", "sha256"])
    record_event(
        actor, role, AuditEventType.UPDATED, cert,
        changes={"source": [before["source"], cert.source], "sha256": [before["sha256"], cert.sha256]},
        extra={"action": "attach_partner_certificate", "filename": cert.filename},
    )  # fmt: skip
    return cert
