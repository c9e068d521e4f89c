"""Billing's invoices as official records (records/services.py): found by number or buyer
reference, shown with their lines, disposed of when the accounting retention has run out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from samdrift.billing.models import Invoice
from samdrift.core.access import require_role
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import Role
from samdrift.records.services import (
    SEARCH_LIMIT,
    Hit,
    Part,
    Rendered,
    SecrecyGround,
    Source,
    delete_rows,
    marked_ids,
    match_words,
    search_words,
)

RECORDS_ROLES = (Role.RECORDS_OFFICER, Role.ADMIN)


class InvoiceSource(Source):
    label = "billing.invoice"
    verbose = staticmethod(lambda: _("Invoice"))
    search_fields = ("number", "buyer_reference")
    date_field = "issue_date"
    identifier_field = "number"
    order = 30

    def queryset(self) -> models.QuerySet:
        return super().queryset().select_related("owner")

    def search(self, query: str, date_from: date | None, date_to: date | None, limit: int = SEARCH_LIMIT) -> list[Hit]:
        words = search_words(query)
        if not words:
            return []
        qs = self.queryset().filter(match_words(words, self.search_fields))
        if date_from:
            qs = qs.filter(issue_date__gte=date_from)
        if date_to:
            qs = qs.filter(issue_date__lte=date_to)
        rows = list(qs.order_by("-pk")[:limit])
        marked = marked_ids(self.content_type(), [str(r.pk) for r in rows])
        return [
            Hit(self.label, str(r.pk), r.number, f"{r.owner} {r.buyer_reference}", r.issue_date, str(r.pk) in marked)
            for r in rows
        ]

    def parts(self, obj: Any, grounds: dict[str, SecrecyGround]) -> Rendered:
        parts = [
            Part("number", _("Number"), obj.number),
            Part("owner", _("Owner"), str(obj.owner)),
            Part("issue_date", _("Invoice date"), obj.issue_date.isoformat()),
            Part("buyer_reference", _("Buyer reference"), obj.buyer_reference),
            Part("total_amount", _("Amount incl. VAT"), f"{obj.total_amount} SEK"),
        ]
        for line in obj.lines.order_by("id")[:500]:
            parts.append(Part(f"line:{line.pk}", _("Line"), f"{line.description}: {line.quantity} × {line.unit_price}"))
        return Rendered(obj.number, str(obj), parts)

    def disposal_queryset(self, cutoff: datetime, event: str) -> models.QuerySet | None:
        """Invoices of closed periods whose retention has run out. Counted from the end of the
        financial year (bokföringslagen: seven years after the end of the calendar year of the
        invoice date), or from the invoice date. An invoice that a newer credit note still
        refers to is kept with it until the credit note's own time has come."""
        if event == "financial_year":
            before = date(cutoff.year, 1, 1)
        elif event == "created":
            before = cutoff.date()
        else:
            return None
        old = Invoice.objects.filter(issue_date__lt=before, period__closed_at__isnull=False)
        credited_later = Invoice.objects.filter(credited_invoice__isnull=False, issue_date__gte=before)
        return old.exclude(pk__in=credited_later.values("credited_invoice_id"))

    def dispose(self, ids: models.QuerySet, method: str, *, actor: Any) -> int:
        return do_dispose_invoices(ids, method, actor=actor)


@transaction.atomic
def do_dispose_invoices(ids: models.QuerySet, method: str, *, actor: Any) -> int:
    """Delete invoices with their lines once their retention has run out (an accounting record is
    not anonymised: once its time is out it goes). The billed source rows (subscriptions, time)
    are other records. One audit event for the batch."""
    role = require_role(actor, owner_id=None, operator_roles=RECORDS_ROLES)
    count = delete_rows(Invoice.objects.filter(pk__in=ids))
    record_event(
        actor, role, AuditEventType.UPDATED,
        object_type="billing.invoice", object_repr=str(count),
        extra={"action": "dispose", "method": method, "count": count},
    )  # fmt: skip
    return count
