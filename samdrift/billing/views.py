"""Billing pages: periods, runs and their progress, invoices with lines per cost centre, drill-down,
downloads (Peppol XML, XLSX specification, SIE 4). Thin: authorise, fetch scoped, call, render."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from samdrift.billing import actions, documents, engine, outputs, sie_export
from samdrift.billing.filters import (
    CostPoolFilter,
    InvoiceFilter,
    PeriodFilter,
)
from samdrift.billing.models import (
    FINANCE_ROLES,
    BillingJob,
    BillingJobKind,
    BillingPeriod,
    BillingRun,
    CostPool,
    Invoice,
    InvoiceKind,
    InvoiceLine,
)
from samdrift.billing.sources import get_source
from samdrift.billing.tables import (
    CostPoolTable,
    InvoiceTable,
    PeriodTable,
)
from samdrift.billing.units import unit_name
from samdrift.core import tabular
from samdrift.core.access import access_object, may
from samdrift.core.actions import do_record_export
from samdrift.core.actionviews import ObjectActionView
from samdrift.core.forms import bootstrapify
from samdrift.core.jobs import progress_context
from samdrift.core.views import ScopedListView


def is_finance(user: Any) -> bool:
    return may(user, owner_id=None, operator_roles=FINANCE_ROLES)


_FINANCE_CREATES: Any = staticmethod(lambda user: is_finance(user))  # the lists' "New" button


def _download(
    request: HttpRequest, obj: Any, content: bytes, filename: str, content_type: str, fmt: str
) -> HttpResponse:
    do_record_export(
        request.user,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        owner_id=getattr(obj, "owner_id", None),
        extra={"format": fmt, "action": "billing_download"},
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


# --- periods ---------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    month = forms.IntegerField(label=gettext_lazy("Month"), min_value=1, max_value=12)


class PeriodList(ScopedListView):
    model = BillingPeriod
    table_class = PeriodTable
    filterset_class = PeriodFilter
    title = gettext_lazy("Billing periods")
    template_name = "billing/period_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if is_finance(self.request.user):
            today = timezone.localdate()
            form = PeriodForm(initial={"year": today.year, "month": today.month})
            bootstrapify(form)
            context["period_form"] = form
        return context


@require_POST
@login_required
def period_create(request: HttpRequest) -> HttpResponse:
    if not is_finance(request.user):
        raise PermissionDenied
    form = PeriodForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a year and a month."))
        return HttpResponseRedirect(reverse("billingperiod_list"))
    try:
        period = actions.do_create_period(form.cleaned_data["year"], form.cleaned_data["month"], actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
        return HttpResponseRedirect(reverse("billingperiod_list"))
    return HttpResponseRedirect(period.get_absolute_url())


@require_GET
@login_required
def period_detail(request: HttpRequest, pk: int) -> HttpResponse:
    period = access_object(BillingPeriod, request.user, pk)
    invoices = (
        Invoice.objects.for_user(request.user)
        .filter(period=period)
        .select_related("owner")
        .annotate(line_count=Count("lines"))
        .order_by("kind", "owner__name", "number")
    )
    totals = invoices.filter(kind=InvoiceKind.INVOICE).aggregate(
        net=Sum("net_amount"), vat=Sum("vat_amount"), total=Sum("total_amount")
    )
    runs = (
        BillingRun.objects.for_user(request.user)
        .filter(period=period)
        .select_related("created_by")
        .order_by("-id")[:10]
    )
    failing = [inv for inv in invoices if inv.problems]
    return render(
        request,
        "billing/period_detail.html",
        {
            "object": period,
            "invoices": invoices,
            "totals": totals,
            "runs": runs,
            "failing": failing,
            "can_write": is_finance(request.user),
        },
    )


period_detail.model = BillingPeriod  # type: ignore[attr-defined]


class _FinanceAction(ObjectActionView):
    """A POST that finance makes on a period or an invoice it can see."""

    def allowed(self, user: Any, obj: Any) -> bool:
        return is_finance(user)


class PeriodRun(_FinanceAction):
    """Run (or re-run) billing for an open period, in the request or as a job with its progress."""

    model = BillingPeriod

    def perform(self, period: BillingPeriod, data: dict[str, Any]) -> Any:
        background = self.request.POST.get("background") == "1"
        run = actions.do_run_billing(period, actor=self.request.user, background=background)
        if background:
            return HttpResponseRedirect(run.get_absolute_url())
        return _("The run is done: %(message)s.") % {"message": run.message}


class PeriodClose(_FinanceAction):
    """Issue the period's invoices (confirmed first); as a job from the page's form."""

    model = BillingPeriod

    def perform(self, period: BillingPeriod, data: dict[str, Any]) -> Any:
        if self.request.POST.get("confirm") != "1":
            raise ValidationError(_("Confirm that the invoices are to be issued before closing the period."))
        if self.request.POST.get("background") == "1":  # the page's form: rendered and issued by the worker
            job = actions.do_start_close_period(period, actor=self.request.user)
            return HttpResponseRedirect(job.get_absolute_url())
        try:
            actions.do_close_period(period, actor=self.request.user)
        except ValidationError:
            actions.do_check_period(period, actor=self.request.user)  # show which rule failed on which line
            raise
        return _("The period is closed and its invoices are issued.")


class PeriodCheck(_FinanceAction):
    """Check every document of the period against the rules and show what fails, per line."""

    model = BillingPeriod

    def perform(self, period: BillingPeriod, data: dict[str, Any]) -> Any:
        failed = actions.do_check_period(period, actor=self.request.user)
        if failed:
            messages.error(self.request, _("%(count)s documents fail the rules.") % {"count": failed})
            return None
        return _("Every document passes the rules.")


@require_GET
@login_required
def period_sie(request: HttpRequest, pk: int) -> HttpResponse:
    """The SIE 4 file of the accounting month that holds the period's invoices (the month they were
    issued in, once the period is closed; the period's own month before): final and stored once
    that month is, else preliminary."""
    period = access_object(BillingPeriod, request.user, pk)
    year, month = sie_export.accounting_month(period)
    try:
        export = actions.do_export_sie_month(year, month, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
        return HttpResponseRedirect(period.get_absolute_url())
    response = HttpResponse(export.content, content_type="text/plain; charset=IBM437")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Sie-Final"] = "1" if export.final else "0"
    return response


period_sie.model = BillingPeriod  # type: ignore[attr-defined]


@require_GET
@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's progress; htmx polls the fragment every second while the run is under way."""
    run = access_object(
        BillingRun, request.user, pk, queryset=BillingRun.objects.select_related("period", "created_by")
    )
    if getattr(request, "htmx", False):
        return render(request, "core/_job_progress.html", progress_context(run, after="billing/_run_done.html"))
    return render(request, "billing/run_detail.html", {"object": run, "run": run})


run_detail.model = BillingRun  # type: ignore[attr-defined]


@require_GET
@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A close or a reconciliation under way; htmx polls the progress fragment every second."""
    job = access_object(
        BillingJob, request.user, pk, queryset=BillingJob.objects.select_related("period", "created_by")
    )
    if getattr(request, "htmx", False):
        return render(request, "core/_job_progress.html", progress_context(job, after="billing/_job_done.html"))
    return render(request, "billing/job_detail.html", {"object": job, "job": job})


job_detail.model = BillingJob  # type: ignore[attr-defined]


# --- invoices --------------------------------------------------------------------------------


class InvoiceList(ScopedListView):
    model = Invoice
    table_class = InvoiceTable
    filterset_class = InvoiceFilter
    select_related = ("owner", "period")
    title = gettext_lazy("Invoices")
    export_fields = (
        "number",
        "kind",
        "owner__name",
        "period__year",
        "period__month",
        "buyer_reference",
        "issue_date",
        "due_date",
        "net_amount",
        "vat_amount",
        "total_amount",
    )


def _local_numbers() -> tuple[Any, Any]:
    """Formatters for the active language: money as floatformat:"2g" writes it (half up, two
    decimals, grouped: 1 234,50 in Swedish) and quantities as floatformat:"-4" (3, or 0,4167)."""
    from decimal import ROUND_HALF_UP, Decimal

    from django.utils import formats

    point = str(formats.get_format("DECIMAL_SEPARATOR"))
    group = str(formats.get_format("THOUSAND_SEPARATOR"))
    cent, tenth_of_thousandth = Decimal("0.01"), Decimal("0.0001")

    def money(value: Any) -> str:
        text = f"{Decimal(value).quantize(cent, ROUND_HALF_UP):,.2f}"
        return text.replace(",", "\0").replace(".", point).replace("\0", group)

    def quantity(value: Any) -> str:
        number = Decimal(value).quantize(tenth_of_thousandth, ROUND_HALF_UP)
        if number == number.to_integral_value():
            return f"{number:.0f}"
        return f"{number:.4f}".replace(".", point)

    return money, quantity


@require_GET
@login_required
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = access_object(
        Invoice, request.user, pk, queryset=Invoice.objects.select_related("owner", "period", "credited_invoice")
    )
    per_centre: OrderedDict[Any, dict[str, Any]] = OrderedDict()
    # An invoice has up to some 1,200 lines: their numbers and links are written here, in the
    # active language as the template filters would (floatformat:"2g" and "-4"), at a tenth of the
    # cost of a filter and a reverse() per cell.
    money, quantity = _local_numbers()
    line_url = reverse("invoiceline_detail", args=[0]).removesuffix("0/")
    for line in invoice.lines.select_related("cost_centre").order_by("cost_centre__code", "id"):
        group = per_centre.setdefault(line.cost_centre, {"lines": [], "net": 0})
        line.unit_label = unit_name(line.unit_code)  # type: ignore[attr-defined]  # "st", not the Rec. 20 code
        group["lines"].append(line)
        group["net"] += line.amount
        line.quantity_text = quantity(line.quantity)  # type: ignore[attr-defined]
        line.base_text = "" if line.base_quantity == 1 else quantity(line.base_quantity)  # type: ignore[attr-defined]
        line.price_text = money(line.unit_price)  # type: ignore[attr-defined]
        line.amount_text = money(line.amount)  # type: ignore[attr-defined]
        line.url = f"{line_url}{line.pk}/"  # type: ignore[attr-defined]
    why = _("Why?")
    for group in per_centre.values():
        group["net_text"] = money(group["net"])
        # The rows in one pass (a 620-line invoice spent most of its page in the template loop).
        group["rows"] = format_html_join(
            "\n",
            '<tr><td>{}</td><td class="text-end">{}{}</td><td>{}</td><td class="text-end">{}</td>'
            '<td class="text-end">{}</td><td><a href="{}">{}<span class="visually-hidden"> {}</span></a></td></tr>',
            (
                (
                    line.description,
                    line.quantity_text,
                    f" / {line.base_text}" if line.base_text else "",
                    line.unit_label,
                    line.price_text,
                    line.amount_text,
                    line.url,
                    why,
                    line.description,
                )
                for line in group["lines"]
            ),
        )
    credit_notes = Invoice.objects.for_user(request.user).filter(credited_invoice=invoice)
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "object": invoice,
            "per_centre": per_centre,
            "credit_notes": credit_notes,
            "can_credit": is_finance(request.user)
            and invoice.kind == InvoiceKind.INVOICE
            and not invoice.period.is_open
            and not credit_notes.exists(),
        },
    )


invoice_detail.model = Invoice  # type: ignore[attr-defined]


@require_GET
@login_required
def invoice_xml(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = access_object(Invoice, request.user, pk, queryset=Invoice.objects.select_related("owner", "period"))
    try:
        content = documents.xml_bytes(invoice)
    except ValidationError as exc:
        _errors(request, exc)
        return HttpResponseRedirect(invoice.get_absolute_url())
    return _download(request, invoice, content, f"{invoice.number}.xml", "application/xml", "peppol")


invoice_xml.model = Invoice  # type: ignore[attr-defined]


@require_GET
@login_required
def invoice_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = access_object(Invoice, request.user, pk, queryset=Invoice.objects.select_related("owner", "period"))
    content = outputs.invoice_xlsx(invoice)
    return _download(
        request,
        invoice,
        content,
        f"{invoice.number}-specifikation.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    )


invoice_xlsx.model = Invoice  # type: ignore[attr-defined]


@require_GET
@login_required
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice (or credit note) as a Swedish PDF with its specification per cost centre."""

    invoice = access_object(
        Invoice, request.user, pk, queryset=Invoice.objects.select_related("owner", "period", "credited_invoice")
    )
    try:
        content = documents.pdf_bytes(invoice)
    except ValidationError as exc:
        _errors(request, exc)
        return HttpResponseRedirect(invoice.get_absolute_url())
    return _download(request, invoice, content, f"{invoice.number}.pdf", "application/pdf", "pdf")


invoice_pdf.model = Invoice  # type: ignore[attr-defined]


class InvoiceCredit(_FinanceAction):
    """Credit an issued invoice in full; the credit note's page follows."""

    model = Invoice

    def perform(self, invoice: Invoice, data: dict[str, Any]) -> Any:
        reason = self.request.POST.get("reason", "")[:300]
        note = actions.do_credit_invoice(invoice, actor=self.request.user, reason=reason)
        messages.success(self.request, _("Credit note %(number)s created.") % {"number": note.number})
        return HttpResponseRedirect(note.get_absolute_url())


@require_GET
@login_required
def line_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Drill-down: the source rows behind a line, or the pool, key and every owner's figure."""
    line = access_object(
        InvoiceLine,
        request.user,
        pk,
        queryset=InvoiceLine.objects.select_related(
            "invoice", "cost_centre", "pool", "allocation_key", "period", "article"
        ),
    )
    rows = engine.line_rows(line)
    figures = None
    if line.allocation_key_id:
        # Finance sees every owner's figure; an owner sees its own figure and the total (on the line),
        # never another owner's row.
        figures = line.allocation_key.figures.select_related("owner").order_by("owner__name")  # type: ignore[union-attr,misc]
        if not is_finance(request.user):
            figures = figures.filter(owner_id=line.owner_id)
    source_rows = None
    if rows is not None:
        if hasattr(rows, "for_user"):
            rows = rows.for_user(request.user)  # e.g. time on confidential tickets stays hidden
        source_rows = [r for r in rows[:200] if getattr(r, "owner_id", None) == line.owner_id]
    source = get_source(line.source_type)
    return render(
        request,
        "billing/line_detail.html",
        {
            "object": line,
            "line": line,
            "rows": source_rows,
            "figures": figures,
            "source_label": source.label if source is not None else line.source_type,
        },
    )


line_detail.model = InvoiceLine  # type: ignore[attr-defined]


# --- pools -----------------------------------------------------------------------------------


class CostPoolList(ScopedListView):
    model = CostPool
    table_class = CostPoolTable
    filterset_class = CostPoolFilter
    title = gettext_lazy("Cost pools")
    export_fields = ("code", "name", "kind", "monthly_cost", "investment", "depreciation_months", "start", "end")
    create_url_name = "costpool_create"
    may_create = _FINANCE_CREATES


@require_GET
@login_required
def pool_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pool = access_object(CostPool, request.user, pk)
    keys = pool.keys.prefetch_related("figures__owner").order_by("-valid_from")
    return render(
        request, "billing/pool_detail.html", {"object": pool, "keys": keys, "can_write": is_finance(request.user)}
    )


pool_detail.model = CostPool  # type: ignore[attr-defined]


# --- uploads: usage and year-end reconciliation ----------------------------------------------


class UsageImportForm(forms.Form):
    month = forms.DateField(label=gettext_lazy("Month (any day in it)"))
    file = forms.FileField(
        label=gettext_lazy("Usage file (CSV or XLSX)"),
        help_text=gettext_lazy(
            "Columns: owner (municipality code); cost_centre; metric (article code); quantity; unit_price (optional)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Check only (dry run)"), required=False, initial=True)


class ReconciliationForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    settle_period = forms.ModelChoiceField(
        queryset=BillingPeriod.objects.filter(status="open"), label=gettext_lazy("Settle in period")
    )
    file = forms.FileField(label=gettext_lazy("SIE 4 file from the accounting"))
    dry_run = forms.BooleanField(label=gettext_lazy("Check only (dry run)"), required=False, initial=True)


@login_required
def usage_import(request: HttpRequest) -> HttpResponse:
    if not is_finance(request.user):
        raise PermissionDenied
    form = UsageImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            # The one reader (core.tabular): the one upload limit, CSV in any encoding Excel writes, XLSX.
            name, data = tabular.read_upload(form.cleaned_data["file"])
            report = actions.do_import_usage(
                data,
                form.cleaned_data["month"],
                actor=request.user,
                filename=name,
                dry_run=form.cleaned_data["dry_run"],
            )
        except ValidationError as exc:  # a file error lands on the file field, others above the form
            form.add_error(None, exc)
    bootstrapify(form)
    return render(
        request, "billing/upload.html", {"form": form, "report": report, "title": _("Import usage"), "kind": "usage"}
    )


@login_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    if not is_finance(request.user):
        raise PermissionDenied
    form = ReconciliationForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        # The page's form reads the file in the background (the file is kept on the job);
        # a POST without `background` (API-like use, tests) reads it in the request.
        try:
            upload = form.cleaned_data["file"]
            if upload.size > tabular.max_bytes():  # SIE is not tabular, but the upload limit is the one
                raise tabular.too_big()
            data = upload.read()
            options = {
                "actor": request.user,
                "filename": upload.name,
                "dry_run": form.cleaned_data["dry_run"],
            }
            year, settle = form.cleaned_data["year"], form.cleaned_data["settle_period"]
            if request.POST.get("background") == "1":
                job = actions.do_start_reconciliation(data, year, settle, **options)
                return HttpResponseRedirect(job.get_absolute_url())
            report = actions.do_reconcile_year(data, year, settle, **options)
        except ValidationError as exc:
            form.add_error(None, exc)
    elif request.GET.get("job"):  # the result of a finished reconciliation job
        done = (
            BillingJob.objects.for_user(request.user)
            .filter(  # type: ignore[attr-defined]
                pk=request.GET["job"] if request.GET["job"].isdigit() else 0, kind=BillingJobKind.RECONCILE
            )
            .first()
        )
        report = done.result if done is not None and done.result else None
    bootstrapify(form)
    from samdrift.billing.models import Reconciliation

    history = (
        Reconciliation.objects.for_user(request.user)  # type: ignore[attr-defined]
        .select_related("settle_period", "replaced_by")
        .annotate(settled=Sum("settlements__amount"))
        .order_by("-year", "-id")[:50]
    )
    return render(
        request,
        "billing/upload.html",
        {
            "form": form,
            "report": report,
            "title": _("Year-end reconciliation"),
            "kind": "reconciliation",
            "history": history,
        },
    )


# --- owner view: trend per service ------------------------------------------------------------


@require_GET
@login_required
def trend(request: HttpRequest) -> HttpResponse:
    """What an owner paid per service and month (the last twelve periods), as a table with bars."""
    from samdrift.tenancy.models import Owner

    owners = list(Owner.objects.for_user(request.user).order_by("name"))
    visible = InvoiceLine.objects.for_user(request.user)
    owner = None
    wanted = request.GET.get("owner")
    for candidate in owners:
        if wanted and str(candidate.pk) == wanted:
            owner = candidate
    if owner is None and owners:
        owner = owners[0]
    periods = list(BillingPeriod.objects.filter(invoices__owner=owner).distinct().order_by("-year", "-month")[:12])
    periods.reverse()
    rows: dict[str, dict[int, Any]] = {}
    totals: dict[int, Any] = {p.pk: 0 for p in periods}
    if owner is not None and periods:
        signed_lines = (
            visible.filter(owner=owner, period__in=periods, invoice__isnull=False)
            .values("period_id", "invoice__kind", "article__name", "pool__name", "source_type")
            .annotate(net=Sum("amount"))
            .order_by()
        )
        for r in signed_lines:
            service = r["article__name"] or r["pool__name"] or r["source_type"]
            amount = -r["net"] if r["invoice__kind"] == InvoiceKind.CREDIT_NOTE else r["net"]
            rows.setdefault(service, {p.pk: 0 for p in periods})[r["period_id"]] += amount
            totals[r["period_id"]] += amount
    peak = max([abs(v) for v in totals.values()] or [0]) or 1
    bars = [(p, totals[p.pk], int(abs(totals[p.pk]) * 100 / peak)) for p in periods]
    table = [(service, [values[p.pk] for p in periods]) for service, values in sorted(rows.items())]
    return render(
        request,
        "billing/trend.html",
        {"owners": owners, "owner": owner, "periods": periods, "bars": bars, "table": table},
    )
