"""The supplier's order confirmations by file: a dry run with a row report, then all or nothing."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.audit import PendingEvent, record_events
from samdrift.ordering.models import POStatus, PurchaseOrder, PurchaseOrderLine
from samdrift.ordering.purchasing.lines import _role
from samdrift.ordering.purchasing.purchase_orders import _confirm_purchase_orders

CONFIRMATION_COLUMNS = ("purchase_order", "supplier_reference", "article_number", "quantity")
CONFIRMATION_OPTIONAL_COLUMNS = ("delivery_date",)
# Statuses a supplier may (re)confirm; once a delivery has arrived the confirmation is history.
CONFIRMABLE = frozenset({POStatus.SENT, POStatus.CONFIRMED})
MAX_ERRORS = 500  # listed; a file wrong on every row of 100,000 still gets a readable answer
_PO_NUMBER = re.compile(r"^(?:IO-?\s*)?(\d{1,18})$", re.IGNORECASE)
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00)?)?$")  # a spreadsheet date cell has a time


def parse_po_number(text: str) -> int | None:
    """The id in a purchase-order number as `PurchaseOrder.number` shows it (`IO-123`), or None."""
    match = _PO_NUMBER.match(text.strip())
    return int(match.group(1)) if match else None


def _whole(text: str) -> int | None:
    """A positive whole number ("3", or "3.0" from a spreadsheet cell), else None."""
    try:
        value = Decimal(text.replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.to_integral_value() or not 0 < value < 10**9:
        return None
    return int(value)


@dataclass
class ConfirmationReportRow:
    """One row of a confirmation file as the check reads it: its values, what it does, its errors."""

    row: int  # the row's number in the file (the header is row 1)
    purchase_order: str  # as the file writes it
    article_number: str
    quantity: int | None  # None when not a positive whole number
    delivery_date: date | None
    outcome: str = ""  # what the row does once the file is registered; "" for a row with errors
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return REPORT_ERROR if self.errors else REPORT_OK


@dataclass
class ConfirmationResult:
    purchase_orders: list[int] = field(default_factory=list)  # confirmed now or again (none in a dry run)
    lines: int = 0  # purchase-order lines given a confirmed quantity and date
    filename: str = ""
    dry_run: bool = False
    rows: list[ConfirmationReportRow] = field(default_factory=list)  # every row of the file, in its order
    errors: list[str] = field(default_factory=list)  # "Row 3: …", at most MAX_ERRORS and a count of the rest

    @property
    def error_count(self) -> int:
        """Rows with errors."""
        return sum(1 for r in self.rows if r.errors)


@dataclass
class _ConfirmationRow:
    row: int
    number: str  # as the file writes it
    po_id: int | None
    reference: str
    article: str
    quantity: int | None
    delivery: date | None


@dataclass
class _ConfirmationCheck:
    """A confirmation file checked against the purchase orders (locked), for the dry run and the write."""

    rows: list[_ConfirmationRow]
    errors: list[tuple[int, str]]  # (row, message), messages to follow "Row 3: "
    pos: dict[int, PurchaseOrder]
    po_lines: dict[tuple[int, str], list[PurchaseOrderLine]]
    roles: dict[int, str | None]
    references: dict[int, tuple[str, int]]  # purchase order -> (the file's reference, its first row)

    def report(self) -> list[ConfirmationReportRow]:
        by_row: dict[int, list[str]] = defaultdict(list)
        for row, message in self.errors:
            by_row[row].append(message)  # as the import words it after "Row 3: "
        report = []
        for r in self.rows:
            outcome = ""
            po = self.pos.get(r.po_id) if r.po_id is not None else None
            if po is not None and not by_row.get(r.row):
                outcome = (
                    _("confirms %(po)s") if po.status == POStatus.SENT else _("confirms %(po)s again with new dates")
                ) % {"po": po.number}
            report.append(
                ConfirmationReportRow(
                    r.row, r.number[:40], r.article[:60], r.quantity, r.delivery, outcome, by_row.get(r.row, [])
                )
            )
        return report


REPORT_OK, REPORT_ERROR = "ok", "error"  # a report row's status


def _list_errors(errors: list[tuple[int, str]]) -> list[str]:
    """Errors as "Row 3: …" in the file's order (a row's own as found), at most MAX_ERRORS of them."""
    errors = sorted(errors, key=lambda e: e[0])
    listed = [_("Row %(row)s: %(error)s") % {"row": row, "error": msg} for row, msg in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        listed.append(_("… and %(n)s more errors.") % {"n": len(errors) - MAX_ERRORS})
    return listed


@transaction.atomic
def do_import_confirmations(
    content: bytes,
    filename: str,
    *,
    actor: Any,
    purchase_order: PurchaseOrder | None = None,
    dry_run: bool = False,
) -> ConfirmationResult:
    """Register suppliers' order confirmations (orderbekräftelser) from a CSV or XLSX file.

    One row per purchase order and article: `purchase_order` (our number, IO-123),
    `supplier_reference`, `article_number`, `quantity` and optionally `delivery_date`. A file may
    confirm many purchase orders; uploaded from one purchase order (`purchase_order`), every row
    must be that order's and the `purchase_order` column may be left out. Each line gets the
    confirmed quantity and expected delivery; each order is confirmed (a confirmed one again, with
    the new dates). All or nothing: every error, with its row number, refuses the whole file.
    Set-based: the orders and their lines are read in one query each, however long the file.

    `dry_run`: the same check, nothing written (no update, no audit event); the result's `rows`
    report every row with what it would do or its errors, and a file with row errors is reported,
    not refused. A file that cannot be read (no rows, columns missing) is refused either way.
    """
    check = _check_confirmations(content, filename, actor=actor, purchase_order=purchase_order)
    listed = _list_errors(check.errors)
    if dry_run:
        return ConfirmationResult(filename=filename, dry_run=True, rows=check.report(), errors=listed)
    if listed:
        raise ValidationError(listed)
    rows, pos, po_lines, roles, references = check.rows, check.pos, check.po_lines, check.roles, check.references
    report = check.report()  # before the write: it words a first confirmation by the status before

    # Write: each article's confirmed quantity fills its lines in order, all with the row's date.
    digest = hashlib.sha256(content).hexdigest()
    changed: list[PurchaseOrderLine] = []
    confirmed_rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        assert r.po_id is not None and r.quantity is not None
        remaining = r.quantity
        for pl in po_lines[(r.po_id, r.article)]:
            pl.confirmed_quantity = min(remaining, pl.quantity)
            pl.confirmed_delivery = r.delivery
            remaining -= pl.confirmed_quantity
            changed.append(pl)
        confirmed_rows[r.po_id].append(
            {"row": r.row, "article_number": r.article, "quantity": r.quantity, "delivery_date": r.delivery}
        )
    PurchaseOrderLine.objects.bulk_update(changed, ["confirmed_quantity", "confirmed_delivery"], batch_size=1000)
    confirmed = [pos[pk] for pk in sorted(confirmed_rows)]
    extra = {
        pk: {"action": "confirmation_file", "filename": filename[:255], "sha256": digest, "rows": rows_of}
        for pk, rows_of in confirmed_rows.items()
    }
    events = _confirm_purchase_orders(confirmed, {pk: ref for pk, (ref, _row) in references.items()}, extra)
    by_role: dict[str, list[PendingEvent]] = defaultdict(list)
    for po, event in zip(confirmed, events, strict=True):
        by_role[roles[po.owner_id] or ""].append(event)
    for role, role_events in by_role.items():
        record_events(actor, role, role_events)
    return ConfirmationResult(
        purchase_orders=[po.pk for po in confirmed],
        lines=len(changed),
        filename=filename,
        rows=report,
    )


def _check_confirmations(
    content: bytes, filename: str, *, actor: Any, purchase_order: PurchaseOrder | None
) -> _ConfirmationCheck:
    """Read and check a confirmation file (inside the import's transaction: the purchase orders are
    locked). Raises ValidationError only for a file without rows or columns; row errors are returned."""
    from samdrift.ordering.imports import read_table

    header, table = read_table(content, filename)
    required = [c for c in CONFIRMATION_COLUMNS if purchase_order is None or c != "purchase_order"]
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationError(_("The file lacks the column(s): %(cols)s.") % {"cols": ", ".join(missing)})
    if not table:
        raise ValidationError(_("The file has no rows."))
    idx = {c: header.index(c) for c in (*CONFIRMATION_COLUMNS, *CONFIRMATION_OPTIONAL_COLUMNS) if c in header}
    errors: list[tuple[int, str]] = []

    def refuse(row: int, message: str) -> None:
        errors.append((row, message))

    def cell(values: list[str], name: str) -> str:
        i = idx.get(name)
        return values[i] if i is not None and i < len(values) else ""

    # Read every row without the database first.
    rows: list[_ConfirmationRow] = []
    for n, values in table:
        number = cell(values, "purchase_order") or (purchase_order.number if purchase_order else "")
        po_id = parse_po_number(number)
        if not number:
            refuse(n, _("the purchase order number is missing."))
        elif purchase_order is not None and po_id != purchase_order.pk:
            refuse(
                n,
                _("the row is for purchase order %(po)s, not %(this)s.")
                % {"po": number, "this": purchase_order.number},
            )
            po_id = None
        elif po_id is None:
            refuse(n, _("purchase order %(po)s is unknown.") % {"po": number[:40]})
        reference = cell(values, "supplier_reference")
        if len(reference) > 100:
            refuse(n, _("the supplier's reference is longer than 100 characters."))
            reference = ""
        article = cell(values, "article_number")
        if not article:
            refuse(n, _("the article number is missing."))
        raw_quantity = cell(values, "quantity")
        quantity = _whole(raw_quantity)
        if quantity is None:
            refuse(n, _("the quantity %(q)s is not a positive whole number.") % {"q": raw_quantity[:20] or "–"})
        raw_day, day = cell(values, "delivery_date"), None
        if raw_day:
            match = _DAY.match(raw_day)
            try:
                day = date.fromisoformat(match.group(1)) if match else None
            except ValueError:
                day = None
            if day is None:
                refuse(n, _("%(d)s is not a date (YYYY-MM-DD).") % {"d": raw_day[:20]})
        rows.append(_ConfirmationRow(n, number, po_id, reference, article, quantity, day))

    # Then check them against the purchase orders the actor may see, read in one query each.
    wanted = {r.po_id for r in rows if r.po_id is not None}
    pos = {po.pk: po for po in PurchaseOrder.objects.for_user(actor).filter(pk__in=wanted).select_for_update()}
    po_lines: dict[tuple[int, str], list[PurchaseOrderLine]] = defaultdict(list)
    for pl in PurchaseOrderLine.objects.filter(purchase_order_id__in=list(pos)).order_by("id"):
        po_lines[(pl.purchase_order_id, pl.article_number)].append(pl)
    roles: dict[int, str | None] = {}
    for owner_id in {p.owner_id for p in pos.values()}:
        try:
            roles[owner_id] = _role(actor, owner_id)
        except PermissionDenied:
            roles[owner_id] = None
    seen: dict[tuple[int, str], int] = {}
    references: dict[int, tuple[str, int]] = {}
    for r in rows:
        if r.po_id is None:
            continue
        po = pos.get(r.po_id)
        if po is None:  # missing and another owner's look the same
            refuse(r.row, _("purchase order %(po)s is unknown.") % {"po": r.number[:40]})
            continue
        if roles[po.owner_id] is None:
            refuse(r.row, _("you may not register confirmations for purchase order %(po)s.") % {"po": po.number})
            continue
        if po.status not in CONFIRMABLE:
            refuse(
                r.row,
                _("purchase order %(po)s is %(status)s and can no longer be confirmed.")
                % {"po": po.number, "status": str(po.get_status_display()).lower()},
            )
        if r.reference:
            first = references.setdefault(po.pk, (r.reference, r.row))
            if first[0] != r.reference:
                refuse(
                    r.row,
                    _("purchase order %(po)s has two supplier's references: %(a)s (row %(first)s) and %(b)s.")
                    % {"po": po.number, "a": first[0], "first": first[1], "b": r.reference},
                )
        if r.delivery is not None and r.delivery < timezone.localdate(po.created):
            refuse(
                r.row,
                _("the delivery date %(d)s is before the purchase order was made (%(made)s).")
                % {"d": r.delivery, "made": timezone.localdate(po.created)},
            )
        if not r.article:
            continue
        key = (po.pk, r.article)
        lines = po_lines.get(key)
        if not lines:
            refuse(r.row, _("article %(a)s is not on purchase order %(po)s.") % {"a": r.article[:60], "po": po.number})
            continue
        if key in seen:
            refuse(
                r.row,
                _("article %(a)s of purchase order %(po)s is already confirmed on row %(first)s.")
                % {"a": r.article, "po": po.number, "first": seen[key]},
            )
            continue
        seen[key] = r.row
        ordered = sum(pl.quantity for pl in lines)
        if r.quantity is not None and r.quantity > ordered:
            refuse(
                r.row,
                _("the confirmed quantity %(q)s of article %(a)s is more than ordered (%(ordered)s).")
                % {"q": r.quantity, "a": r.article, "ordered": ordered},
            )
    return _ConfirmationCheck(rows, errors, pos, po_lines, roles, references)
