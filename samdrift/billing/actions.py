"""Every write in billing. Finance staff and administrators act; owner viewers only read.

Each action checks the role, validates, writes and records its audit event in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.billing import documents, engine
from samdrift.billing.models import (
    FINANCE_ROLES,
    RATE_EPOCH,
    AllocationFigure,
    AllocationKey,
    Article,
    BillingPeriod,
    BillingProfile,
    BillingRun,
    Charge,
    CostPool,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    KeyBasis,
    PeriodStatus,
    RunStatus,
    Subscription,
    UsageRow,
    WorkTypeRate,
)
from samdrift.core.access import require_role
from samdrift.core.actions import create_audited, update_audited
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.money import to_money
from samdrift.tenancy.models import CostCentre, Owner, Person


def _role(actor: Any, owner_id: int | None = None) -> str:
    return require_role(actor, owner_id=owner_id, operator_roles=FINANCE_ROLES)


def check_cost_centre(owner: Owner | int | None, centre: CostCentre | None) -> None:
    owner_id = owner.pk if isinstance(owner, Owner) else owner
    if centre is not None and centre.owner_id != owner_id:
        raise ValidationError({"cost_centre": _("Must belong to the same owner.")})


def check_period_open(day: date) -> None:
    """A charge dated in a closed period would never be billed: refuse it (bill it in an open one)."""
    if BillingPeriod.objects.filter(year=day.year, month=day.month, status=PeriodStatus.CLOSED).exists():
        raise ValidationError(
            _("The period %(period)s is closed; date the correction in an open period.")
            % {"period": f"{day.year}-{day.month:02d}"}
        )


# --- reference data --------------------------------------------------------------------------


def _check_article_data(data: dict[str, Any], current: Any = None) -> dict[str, Any]:
    """VAT category and rate must go together (vat.py); unit codes are UN/ECE Rec. 20."""
    from samdrift.billing.units import normalise_unit
    from samdrift.billing.vat import check_vat

    category = data.get("vat_category", getattr(current, "vat_category", "S"))
    rate = data.get("vat_rate", getattr(current, "vat_rate", Decimal(25)))
    check_vat(category, rate)
    if "unit_code" in data:
        data = {**data, "unit_code": normalise_unit(data["unit_code"])}
    return data


@transaction.atomic
def do_create_article(data: dict[str, Any], *, actor: Any) -> Article:
    return create_audited(Article, _check_article_data(data), actor=actor, role=_role(actor))


def check_peppol_endpoint(value: str) -> str:
    """A Peppol address "scheme:identifier"; an organisation number (0007) must be a valid one."""
    from stdnum.se import orgnr

    value = (value or "").strip()
    if not value:
        return ""
    scheme, sep, ident = value.partition(":")
    if not sep or not scheme.isdigit() or len(scheme) != 4 or not ident.strip():
        raise ValidationError(
            {"peppol_endpoint": _("Write the Peppol address as scheme:identifier, e.g. 0007:2120001234.")}
        )
    ident = ident.strip()
    if scheme == "0007":
        ident = ident.replace("-", "")
        if not orgnr.is_valid(ident):
            raise ValidationError(
                {"peppol_endpoint": _("%(value)s is not a valid organisation number.") % {"value": ident}}
            )
    return f"{scheme}:{ident}"


@transaction.atomic
def do_save_billing_profile(data: dict[str, Any], *, actor: Any) -> BillingProfile:
    owner = data["owner"]
    role = _role(actor, owner.pk)
    check_cost_centre(owner, data.get("default_cost_centre"))
    if "peppol_endpoint" in data:
        data = {**data, "peppol_endpoint": check_peppol_endpoint(data["peppol_endpoint"])}
    existing = BillingProfile.objects.filter(owner=owner).first()
    if existing is None:
        return create_audited(BillingProfile, data, actor=actor, role=role)
    return update_audited(existing, data, actor=actor, role=role, immutable=("owner",))


@transaction.atomic
def do_update_billing_profile(profile: BillingProfile, data: dict[str, Any], *, actor: Any) -> BillingProfile:
    """Change how an owner is invoiced (per reference, payment terms, Peppol address, PDF e-mail);
    issued invoices keep what they were issued with."""
    return do_save_billing_profile({**data, "owner": profile.owner}, actor=actor)


# --- charge sources --------------------------------------------------------------------------


@transaction.atomic
def do_create_subscription(data: dict[str, Any], *, actor: Any) -> Subscription:
    role = _role(actor, getattr(data.get("owner"), "pk", None))
    check_cost_centre(data.get("owner"), data.get("cost_centre"))
    return create_audited(Subscription, data, actor=actor, role=role)


@transaction.atomic
def do_end_subscription(sub: Subscription, end: date, *, actor: Any) -> Subscription:
    role = _role(actor, sub.owner_id)
    if end < sub.start:
        raise ValidationError({"end": _("The end cannot be before the start.")})
    before = sub.end
    sub.end = end
    sub.save(update_fields=["end"])
    record_event(
        actor, role, AuditEventType.UPDATED, sub, changes={"end": [before, end]}, extra={"action": "end_subscription"}
    )
    return sub


@transaction.atomic
def do_create_charge(data: dict[str, Any], *, actor: Any) -> Charge:
    role = _role(actor, getattr(data.get("owner"), "pk", None))
    check_cost_centre(data.get("owner"), data.get("cost_centre"))
    check_period_open(data["charge_date"])
    quantity = Decimal(data.get("quantity", 1))
    data = {**data, "quantity": quantity, "amount": to_money(quantity * Decimal(data["unit_price"]))}
    return create_audited(Charge, data, actor=actor, role=role)


USAGE_COLUMNS = ("owner", "cost_centre", "metric", "quantity", "unit_price")


def check_usage_csv(text: str, month: date) -> tuple[list[UsageRow], list[str]]:
    """Parse a usage file (semicolon or comma separated; header: owner;cost_centre;metric;quantity[;unit_price]).

    `owner` is the municipality code, `cost_centre` the owner's cost-centre code, `metric` an
    article code; an empty unit price takes the article's price (the catalogue).
    """
    sample = text[:2000]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [c for c in USAGE_COLUMNS[:4] if c not in (reader.fieldnames or [])]
    if missing:
        return [], [_("The header lacks the columns: %(columns)s") % {"columns": ", ".join(missing)}]
    owners = {o.municipality_code: o for o in Owner.objects.all()}
    centres = {(c.owner_id, c.code): c for c in CostCentre.objects.all()}
    articles = {a.code: a for a in Article.objects.filter(active=True)}
    rows: list[UsageRow] = []
    errors: list[str] = []
    for number, record in enumerate(reader, start=2):
        owner = owners.get((record.get("owner") or "").strip())
        centre = centres.get((owner.pk, (record.get("cost_centre") or "").strip())) if owner else None
        article = articles.get((record.get("metric") or "").strip())
        problems = []
        if owner is None:
            problems.append(_("unknown owner %(value)r") % {"value": record.get("owner")})
        elif centre is None:
            problems.append(_("unknown cost centre %(value)r") % {"value": record.get("cost_centre")})
        if article is None:
            problems.append(_("unknown metric %(value)r") % {"value": record.get("metric")})
        try:
            quantity = Decimal((record.get("quantity") or "").strip().replace(",", "."))
            price_text = (record.get("unit_price") or "").strip().replace(",", ".")
            price = Decimal(price_text) if price_text else (article.unit_price if article else Decimal(0))
            if quantity < 0 or price < 0:
                raise InvalidOperation
        except InvalidOperation:
            problems.append(_("quantity and price must be numbers of zero or more"))
            quantity = price = Decimal(0)
        if problems:
            errors.append(_("row %(row)s: %(problems)s") % {"row": number, "problems": "; ".join(problems)})
            continue
        rows.append(
            UsageRow(
                owner=owner,
                cost_centre=centre,
                article=article,
                month=month,
                quantity=quantity,
                unit_price=price,
                source=_("row %(row)s") % {"row": number},
            )
        )
    return rows, errors


@transaction.atomic
def do_import_usage(text: str, month: date, *, actor: Any, filename: str = "", dry_run: bool = False) -> dict[str, Any]:
    """Import metered usage for a month; all or nothing: any bad row and nothing is imported."""
    role = _role(actor)
    month = month.replace(day=1)
    check_period_open(month)
    rows, errors = check_usage_csv(text, month)
    report = {"rows": len(rows), "errors": errors, "imported": 0}
    if errors or dry_run:
        return report
    for row in rows:
        row.source = f"{filename} {row.source}".strip()[:200]
    UsageRow.objects.bulk_create(rows, batch_size=2000)
    report["imported"] = len(rows)
    per_owner: dict[int, int] = {}
    for row in rows:
        per_owner[row.owner_id] = per_owner.get(row.owner_id, 0) + 1
    record_events(
        actor,
        role,
        [
            PendingEvent(
                AuditEventType.IMPORTED,
                owner_id=owner_id,
                object_type="billing.usagerow",
                extra={"action": "import_usage", "month": month.isoformat(), "rows": n, "file": filename},
            )
            for owner_id, n in sorted(per_owner.items())
        ],
    )
    return report


# --- shared cost pools -----------------------------------------------------------------------


@transaction.atomic
def do_create_cost_pool(data: dict[str, Any], *, actor: Any) -> CostPool:
    from samdrift.billing.vat import check_vat

    role = _role(actor)
    if data.get("kind") == "investment" and not data.get("depreciation_months"):
        raise ValidationError({"depreciation_months": _("An investment needs a number of depreciation months.")})
    check_vat(data.get("vat_category", "S"), data.get("vat_rate", Decimal(25)))
    return create_audited(CostPool, data, actor=actor, role=role)


def figures_for(basis: str, owners: list[Owner]) -> dict[int, Decimal]:
    """The current figures of a basis that Samdrift knows itself (population, users)."""
    if basis == KeyBasis.POPULATION:
        missing = [o.name for o in owners if not o.population]
        if missing:
            raise ValidationError(_("These owners have no population: %(owners)s") % {"owners": ", ".join(missing)})
        return {o.pk: Decimal(o.population or 0) for o in owners}
    if basis == KeyBasis.USERS:
        counts = dict(
            Person.objects.filter(owner__in=owners, active=True)
            .values("owner_id")
            .annotate(n=Count("id"))
            .values_list("owner_id", "n")
        )
        return {o.pk: Decimal(counts.get(o.pk, 0)) for o in owners}
    if basis == KeyBasis.DEVICES:
        from samdrift.billing.external import device_counts

        return device_counts([o.pk for o in owners])
    # Measured consumption and fixed shares: given by the caller.
    raise ValidationError(_("Give the figures for this basis."))


@transaction.atomic
def do_create_allocation_key(
    pool: CostPool,
    *,
    basis: str,
    valid_from: date,
    actor: Any,
    valid_to: date | None = None,
    figures: dict[int, Decimal] | None = None,
    note: str = "",
) -> AllocationKey:
    """A new key for a pool, with its figures stored; an open-ended earlier key ends the day before."""
    role = _role(actor)
    if basis not in KeyBasis.values:
        raise ValidationError({"basis": _("Unknown basis.")})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": _("The key cannot end before it starts.")})
    owners = list(Owner.objects.filter(active=True).order_by("pk"))
    if figures is None:
        figures = figures_for(basis, owners)
    if not figures or sum(figures.values(), Decimal(0)) <= 0:
        raise ValidationError(_("At least one owner needs a figure above zero."))
    if any(Decimal(v) < 0 for v in figures.values()):
        raise ValidationError(_("Figures cannot be negative."))
    earlier = AllocationKey.objects.filter(pool=pool, valid_from__lt=valid_from).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    for old in earlier:
        end = valid_from - timedelta(days=1)
        record_event(
            actor,
            role,
            AuditEventType.UPDATED,
            old,
            changes={"valid_to": [old.valid_to, end]},
            extra={"action": "end_allocation_key"},
        )
        old.valid_to = end
        old.save(update_fields=["valid_to"])
    key = AllocationKey(pool=pool, basis=basis, valid_from=valid_from, valid_to=valid_to, note=note)
    key.full_clean()
    key.save(force_insert=True)
    AllocationFigure.objects.bulk_create(
        [AllocationFigure(key=key, owner_id=owner_id, figure=Decimal(v)) for owner_id, v in sorted(figures.items())]
    )
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        key,
        changes={"basis": [None, basis], "valid_from": [None, valid_from], "valid_to": [None, valid_to]},
        extra={
            "action": "create_allocation_key",
            "figures": {str(k): str(v) for k, v in sorted(figures.items())},
            "note": note,
        },
    )
    return key


# --- periods, runs, invoices -----------------------------------------------------------------


@transaction.atomic
def do_create_period(year: int, month: int, *, actor: Any) -> BillingPeriod:
    role = _role(actor)
    if BillingPeriod.objects.filter(year=year, month=month).exists():
        raise ValidationError(_("The period %(year)s-%(month)02d already exists.") % {"year": year, "month": month})
    return create_audited(BillingPeriod, {"year": year, "month": month}, actor=actor, role=role)


@transaction.atomic
def do_run_billing(period: BillingPeriod, *, actor: Any, background: bool = False) -> BillingRun:
    """Start a billing run for an open period; rerunning replaces its draft invoices and lines.

    In the background the task commits step by step so that the UI shows its progress; otherwise
    the whole run happens in this transaction.
    """
    role = _role(actor)
    period = BillingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_open:
        raise ValidationError(_("The period %(period)s is closed.") % {"period": period})
    if BillingRun.objects.filter(period=period, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise ValidationError(_("A run of %(period)s is already under way.") % {"period": period})
    if _job_running(period, "close_period"):
        raise ValidationError(_("The period %(period)s is already being closed.") % {"period": period})
    run = BillingRun.objects.create(period=period, created_by=actor if getattr(actor, "pk", None) else None)
    record_event(
        actor, role, AuditEventType.CREATED, run, extra={"action": "start_billing_run", "background": background}
    )
    if background:
        from samdrift.billing.tasks import run_billing

        transaction.on_commit(lambda: run_billing.enqueue(run.pk))
        return run
    engine.execute_run(run)
    finish_run_audit(run, actor=actor, role=role)
    return run


def finish_run_audit(run: BillingRun, *, actor: Any, role: str) -> None:
    """One event for the run and one per invoice, so each owner's trail shows what it was billed."""
    run.refresh_from_db()
    invoices = Invoice.objects.filter(period_id=run.period_id, kind=InvoiceKind.INVOICE, run=run)
    record_events(
        actor,
        role,
        [
            PendingEvent(
                AuditEventType.UPDATED,
                obj=run,
                changes={"status": [RunStatus.RUNNING, run.status]},
                extra={
                    "action": "finish_billing_run",
                    "lines": run.line_count,
                    "invoices": run.invoice_count,
                    "net": str(run.total_net),
                },
            ),
            *(
                PendingEvent(
                    AuditEventType.CREATED,
                    obj=inv,
                    extra={
                        "action": "billing_run",
                        "run": run.pk,
                        "net": str(inv.net_amount),
                        "vat": str(inv.vat_amount),
                    },
                )
                for inv in invoices
            ),
        ],
    )


@transaction.atomic
def do_close_period(
    period: BillingPeriod, *, actor: Any, day: date | None = None, pdfs: dict[int, bytes] | None = None
) -> BillingPeriod:
    """Close a period after a finished run: its invoices are final, nothing in it changes again.

    `day` and `pdfs` (invoice id → PDF) come from the background close, which rendered the PDFs
    first (`tasks.close_period`); without them everything is rendered here.
    """
    role = _role(actor)
    period = BillingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_open:
        raise ValidationError(_("The period %(period)s is already closed.") % {"period": period})
    last = BillingRun.objects.filter(period=period).order_by("-id").first()
    if last is None or last.status != RunStatus.DONE:
        raise ValidationError(_("Run the billing for %(period)s successfully before closing it.") % {"period": period})
    if InvoiceLine.objects.filter(period=period, invoice__isnull=True).exists():  # pragma: no cover - defensive
        raise ValidationError(_("The period has lines without an invoice; run it again."))
    # Issue every invoice: dated today, OCR number, XML and PDF made, checked and stored. One
    # failing document refuses the close and the transaction leaves everything as it was.
    today = day or timezone.localdate()
    issued = []
    for invoice in (
        Invoice.objects.filter(period=period, kind=InvoiceKind.INVOICE, issued_at__isnull=True)
        .select_related("owner", "period", "credited_invoice")
        .order_by("number")
    ):
        documents.issue(invoice, today, pdf=(pdfs or {}).get(invoice.pk))
        issued.append(invoice.number)
    period.status = PeriodStatus.CLOSED
    period.closed_at = timezone.now()
    period.closed_by = actor if getattr(actor, "pk", None) else None
    period.save(update_fields=["status", "closed_at", "closed_by"])
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        period,
        changes={"status": [PeriodStatus.OPEN, PeriodStatus.CLOSED]},
        extra={"action": "close_period", "issued": issued, "issue_date": today.isoformat()},
    )
    return period


def _job_running(period: BillingPeriod, kind: str) -> bool:
    from samdrift.billing.models import BillingJob

    return BillingJob.objects.filter(
        period=period, kind=kind, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).exists()


@transaction.atomic
def do_start_close_period(period: BillingPeriod, *, actor: Any) -> Any:
    """Close the period in the background (tasks.close_period): every PDF is rendered with its
    progress shown, then all invoices are issued and the period closed in one transaction. The
    checks that can refuse at once are made here; a job whose worker died is started again."""
    from samdrift.billing.models import BillingJob, BillingJobKind

    role = _role(actor)
    period = BillingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_open:
        raise ValidationError(_("The period %(period)s is already closed.") % {"period": period})
    last = BillingRun.objects.filter(period=period).order_by("-id").first()
    if last is None or last.status != RunStatus.DONE:
        raise ValidationError(_("Run the billing for %(period)s successfully before closing it.") % {"period": period})
    if _job_running(period, BillingJobKind.CLOSE_PERIOD):
        raise ValidationError(_("The period %(period)s is already being closed.") % {"period": period})
    job = BillingJob.objects.create(
        kind=BillingJobKind.CLOSE_PERIOD, period=period, created_by=actor if getattr(actor, "pk", None) else None
    )
    record_event(actor, role, AuditEventType.CREATED, job, extra={"action": "start_close_period"})
    from samdrift.billing.tasks import close_period

    transaction.on_commit(lambda: close_period.enqueue(job.pk))
    return job


@transaction.atomic
def do_start_reconciliation(
    data: bytes, year: int, settle_period: BillingPeriod, *, actor: Any, filename: str = "", dry_run: bool = False
) -> Any:
    """Read a year-end accounting file in the background (tasks.reconcile): the file is kept on
    the job until it has been read, and `do_reconcile_year` runs there with the same checks."""
    from samdrift.billing.models import BillingJob, BillingJobKind

    role = _role(actor)
    if not data:
        raise ValidationError(_("The file is empty."))
    job = BillingJob.objects.create(
        kind=BillingJobKind.RECONCILE,
        period=settle_period,
        year=year,
        filename=filename[:255],
        data=data,
        dry_run=dry_run,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    record_event(
        actor, role, AuditEventType.CREATED, job,
        extra={"action": "start_reconciliation", "year": year, "filename": filename, "dry_run": dry_run},
    )  # fmt: skip
    from samdrift.billing.tasks import reconcile

    transaction.on_commit(lambda: reconcile.enqueue(job.pk))
    return job


@transaction.atomic
def do_check_period(period: BillingPeriod, *, actor: Any) -> int:
    """Check every not yet issued document of the period against the rules and store what fails
    (shown on the period page, rule and line). Returns how many documents fail."""
    role = _role(actor)
    failed = 0
    for invoice in (
        Invoice.objects.filter(period=period, issued_at__isnull=True)
        .select_related("owner", "period", "credited_invoice")
        .order_by("number")
    ):
        if documents.check_invoice(invoice):
            failed += 1
    record_event(actor, role, AuditEventType.UPDATED, period, extra={"action": "check_documents", "failed": failed})
    return failed


@transaction.atomic
def do_credit_invoice(invoice: Invoice, *, actor: Any, reason: str = "") -> Invoice:
    """Credit a closed period's invoice in full with a credit note (kreditfaktura).

    The corrected charges are then entered in an open period and billed by its run.
    """
    role = _role(actor, invoice.owner_id)
    invoice = Invoice.objects.select_for_update().select_related("period").get(pk=invoice.pk)
    if invoice.kind != InvoiceKind.INVOICE:
        raise ValidationError(_("Only an invoice can be credited."))
    if invoice.period.is_open:
        raise ValidationError(_("The period is open: correct the sources and run it again instead."))
    if Invoice.objects.filter(credited_invoice=invoice).exists():
        raise ValidationError(_("The invoice %(number)s is already credited.") % {"number": invoice.number})
    # Never dated before the invoice it credits; not to be paid, so no due date of its own.
    today = max(timezone.localdate(), invoice.issue_date)
    note = Invoice.objects.create(
        owner_id=invoice.owner_id,
        period=invoice.period,
        kind=InvoiceKind.CREDIT_NOTE,
        number=f"K{invoice.number}",
        buyer_reference=invoice.buyer_reference,
        issue_date=today,
        due_date=today,
        outside_scope=invoice.outside_scope,
        net_amount=invoice.net_amount,
        vat_amount=invoice.vat_amount,
        total_amount=invoice.total_amount,
        credited_invoice=invoice,
    )
    copies = []
    for line in invoice.lines.all().order_by("id"):
        line.pk = None
        line.id = None
        line.invoice = note
        copies.append(line)
    InvoiceLine.objects.bulk_create(copies, batch_size=2000)
    documents.issue(note, today)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        note,
        extra={
            "action": "credit_invoice",
            "credits": invoice.number,
            "reason": reason,
            "total": str(note.total_amount),
        },
    )
    return note


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


# --- editing (screens and API for finance) ---------------------------------------------------


@transaction.atomic
def do_update_article(article: Article, data: dict[str, Any], *, actor: Any) -> Article:
    """Change an article's name, unit, price, account or VAT; the code stays."""
    data = _check_article_data(data, article)
    return update_audited(article, data, actor=actor, role=_role(actor), immutable=("code",))


@transaction.atomic
def do_update_subscription(sub: Subscription, data: dict[str, Any], *, actor: Any) -> Subscription:
    """Change a running service: cost centre, price, dates, description. The owner and article stay;
    the change applies to open periods (closed ones are corrected with credit notes)."""
    role = _role(actor, sub.owner_id)
    check_cost_centre(sub.owner_id, data.get("cost_centre"))
    start, end = data.get("start", sub.start), data.get("end", sub.end)
    if end is not None and start is not None and end < start:
        raise ValidationError({"end": _("The end cannot be before the start.")})
    return update_audited(sub, data, actor=actor, role=role, immutable=("owner", "article"))


@transaction.atomic
def do_update_charge(charge: Charge, data: dict[str, Any], *, actor: Any) -> Charge:
    """Change a one-time charge that is not yet in a closed period; the amount is recomputed."""
    role = _role(actor, charge.owner_id)
    check_period_open(charge.charge_date)
    check_cost_centre(charge.owner_id, data.get("cost_centre"))
    if "charge_date" in data:
        check_period_open(data["charge_date"])
    quantity = Decimal(data.get("quantity", charge.quantity))
    price = Decimal(data.get("unit_price", charge.unit_price))
    data = {**data, "quantity": quantity, "unit_price": price, "amount": to_money(quantity * price)}
    return update_audited(charge, data, actor=actor, role=role, immutable=("owner",))


@transaction.atomic
def do_update_cost_pool(pool: CostPool, data: dict[str, Any], *, actor: Any) -> CostPool:
    """Change a pool's cost, dates, account or SIE object; its code stays. Closed periods keep
    what they billed."""
    from samdrift.billing.vat import check_vat

    role = _role(actor)
    kind = data.get("kind", pool.kind)
    if kind == "investment" and not data.get("depreciation_months", pool.depreciation_months):
        raise ValidationError({"depreciation_months": _("An investment needs a number of depreciation months.")})
    check_vat(data.get("vat_category", pool.vat_category), data.get("vat_rate", pool.vat_rate))
    return update_audited(pool, data, actor=actor, role=role, immutable=("code",))


def check_key_unused(key: AllocationKey) -> None:
    """A key that split a closed period keeps its figures: they explain that invoice."""
    if InvoiceLine.objects.filter(allocation_key=key, period__status=PeriodStatus.CLOSED).exists():
        raise ValidationError(
            _("The key was used in a closed period and keeps its figures; make a new key from a later date instead.")
        )


@transaction.atomic
def do_update_allocation_figures(key: AllocationKey, figures: dict[int, Decimal], *, actor: Any) -> AllocationKey:
    """Replace a key's figures (owner id → figure), as long as no closed period used the key."""
    role = _role(actor)
    key = AllocationKey.objects.select_for_update().get(pk=key.pk)
    check_key_unused(key)
    figures = {int(k): Decimal(v) for k, v in figures.items()}
    if any(v < 0 for v in figures.values()):
        raise ValidationError(_("Figures cannot be negative."))
    if sum(figures.values(), Decimal(0)) <= 0:
        raise ValidationError(_("At least one owner needs a figure above zero."))
    known = set(Owner.objects.filter(pk__in=figures).values_list("pk", flat=True))
    if known != set(figures):
        raise ValidationError(_("Unknown owner in the figures."))
    before = {str(o): str(f) for o, f in key.figures.order_by("owner_id").values_list("owner_id", "figure")}
    key.figures.all().delete()
    AllocationFigure.objects.bulk_create(
        [AllocationFigure(key=key, owner_id=owner_id, figure=v) for owner_id, v in sorted(figures.items())]
    )
    after = {str(k): str(v) for k, v in sorted(figures.items())}
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        key,
        changes={"figures": [before, after]},
        extra={"action": "update_allocation_figures"},
    )
    return key


def _closed_months() -> list[BillingPeriod]:
    return list(BillingPeriod.objects.filter(status=PeriodStatus.CLOSED).order_by("year", "month"))


def _check_rate_not_invoiced(rate: WorkTypeRate) -> None:
    """A rate that priced time in a closed period is kept as it was: the invoices were sent."""
    later = (
        WorkTypeRate.objects.filter(work_type=rate.work_type, valid_from__gt=rate.valid_from)
        .order_by("valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    for period in _closed_months():
        if period.last_day >= rate.valid_from and (later is None or period.first_day < later):
            raise ValidationError(
                _(
                    "This rate priced the time of the closed period %(period)s. Add a new rate from a "
                    "day after the last closed period instead."
                )
                % {"period": period}
            )


def _check_new_rate_start(valid_from: date) -> None:
    closed = _closed_months()
    if closed and valid_from <= closed[-1].last_day:
        raise ValidationError(
            {
                "valid_from": _("A new rate must start after the last closed period (%(period)s).")
                % {"period": closed[-1]}
            }
        )


@transaction.atomic
def do_save_work_type_rate(data: dict[str, Any], *, actor: Any) -> WorkTypeRate:
    """Set the hourly rate of a work type from a day (`valid_from`; without one: always).

    The rate of that work type and day is created, or changed while it has priced no closed
    period; a change after invoicing is a new rate from a later day, so sent invoices stay true."""
    from samdrift.servicedesk.models import WorkType

    role = _role(actor)
    if data.get("work_type") not in WorkType.values:
        raise ValidationError({"work_type": _("Unknown work type.")})
    data = {**data, "valid_from": data.get("valid_from") or RATE_EPOCH}
    existing = WorkTypeRate.objects.filter(work_type=data["work_type"], valid_from=data["valid_from"]).first()
    if existing is None:
        _check_new_rate_start(data["valid_from"])
        return create_audited(WorkTypeRate, data, actor=actor, role=role)
    return do_update_work_type_rate(existing, data, actor=actor)


@transaction.atomic
def do_update_work_type_rate(rate: WorkTypeRate, data: dict[str, Any], *, actor: Any) -> WorkTypeRate:
    role = _role(actor)
    changing = {k for k in ("article", "hourly_rate") if k in data and data[k] != getattr(rate, k)}
    if changing:
        _check_rate_not_invoiced(rate)
    return update_audited(rate, data, actor=actor, role=role, immutable=("work_type", "valid_from"))
