"""Invoices (and credit notes), their rendered documents and their lines, each line keeping where
it came from."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.billing.models.base import BillingOwnerScoped, money_field
from samdrift.billing.models.periods import BillingPeriod, BillingRun
from samdrift.billing.models.pools import AllocationKey, CostPool
from samdrift.billing.models.reference import Article
from samdrift.billing.vat import VatCategory
from samdrift.core.access import Scope


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class Invoice(BillingOwnerScoped):
    """One invoice (faktura) or credit note (kreditfaktura) to one owner for one period."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(
        BillingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    number = models.CharField(_("number"), max_length=40, unique=True)
    buyer_reference = models.CharField(_("buyer reference"), max_length=100)
    issue_date = models.DateField(_("invoice date"))
    due_date = models.DateField(_("due date"))
    net_amount = money_field(_("amount excl. VAT"), default=Decimal(0))
    vat_amount = money_field(_("VAT"), default=Decimal(0))
    total_amount = money_field(_("amount incl. VAT"), default=Decimal(0))
    credited_invoice = models.ForeignKey(
        "self",
        verbose_name=_("credits invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    run = models.ForeignKey(
        BillingRun, verbose_name=_("run"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Lines outside the scope of VAT (O) are invoiced apart from all others (BR-O-11..14).
    outside_scope = models.BooleanField(_("outside the scope of VAT"), default=False)
    # Set when the period is closed and the invoice issued: until then it is a preview
    # (PRELIMINÄR) without an OCR number.
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    ocr = models.CharField(_("OCR number"), max_length=25, blank=True)
    # The failed rules of the last check (validation.check_invoice): [{"rule", "line", "text"}].
    problems = models.JSONField(_("rule failures"), default=list, blank=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-period__year", "-period__month", "owner__name", "number"]
        indexes = [models.Index(fields=["period", "owner"], name="invoice_period_owner_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        """Finance sees previews too; an owner sees its invoices only once they are issued."""
        if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES):
            return qs
        return super().scope_queryset(qs, scope).filter(issued_at__isnull=False)

    def get_absolute_url(self) -> str:
        return reverse("invoice_detail", args=[self.pk])

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None


class InvoiceDocument(BillingOwnerScoped):
    """The issued invoice as it left (utställd faktura): the Peppol XML and the PDF rendered,
    validated and stored at issue, and served from here ever after, whatever changes later."""

    invoice = models.OneToOneField(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="document"
    )
    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    xml = models.BinaryField(_("Peppol XML"))
    pdf = models.BinaryField(_("PDF"))
    xml_sha256 = models.CharField(_("XML SHA-256"), max_length=64)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64)
    rules = models.CharField(_("checked with"), max_length=500, blank=True)
    created = models.DateTimeField(_("stored"), default=timezone.now)

    class Meta:
        verbose_name = _("issued invoice document")
        verbose_name_plural = _("issued invoice documents")
        ordering = ["-id"]

    def __str__(self) -> str:
        return str(self.invoice)


class InvoicePreview(BillingOwnerScoped):
    """The last preview PDF (PRELIMINÄR) laid out for an invoice not yet issued, kept with the
    SHA-256 of the HTML it was laid out from: the PDF is a pure function of that HTML, so the same
    HTML serves the same bytes instead of seconds of layout, and any change to the invoice, its
    lines, the owner's address or the operator's details gives other HTML and a new layout. A
    cache, not a record: issuing stores the real document (InvoiceDocument) and the preview goes."""

    invoice = models.OneToOneField(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="preview")
    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.CASCADE, related_name="+")
    html_sha256 = models.CharField(_("HTML SHA-256"), max_length=64)
    pdf = models.BinaryField(_("PDF"))
    created = models.DateTimeField(_("laid out"), default=timezone.now)

    class Meta:
        verbose_name = _("invoice preview")
        verbose_name_plural = _("invoice previews")
        ordering = ["-id"]

    def __str__(self) -> str:
        return str(self.invoice)


class InvoiceLine(BillingOwnerScoped):
    """One line of an invoice, for one cost centre, with its source for drill-down."""

    period = models.ForeignKey(BillingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), null=True, blank=True, on_delete=models.CASCADE, related_name="lines"
    )
    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    cost_centre = models.ForeignKey(
        "tenancy.CostCentre", verbose_name=_("cost centre"), on_delete=models.PROTECT, related_name="+"
    )
    buyer_reference = models.CharField(_("buyer reference"), max_length=100)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit_code = models.CharField(_("unit"), max_length=3, default="C62")
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)
    base_quantity = models.DecimalField(_("per"), max_digits=10, decimal_places=4, default=Decimal(1))
    amount = money_field(_("amount excl. VAT"))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal(25))
    # Set from the line's article or pool after the sources ran (engine.apply_vat_categories), so
    # sources of other apps need not know about categories.
    vat_category = models.CharField(
        _("VAT category"),
        max_length=1,
        choices=VatCategory.choices,
        default=VatCategory.STANDARD,
        db_default=VatCategory.STANDARD,
    )
    revenue_account = models.CharField(_("revenue account"), max_length=4)
    source_type = models.CharField(_("source"), max_length=30)
    source_id = models.BigIntegerField(_("source id"), null=True, blank=True)
    article = models.ForeignKey(
        Article, verbose_name=_("article"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pool = models.ForeignKey(
        CostPool, verbose_name=_("cost pool"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allocation_key = models.ForeignKey(
        AllocationKey,
        verbose_name=_("allocation key"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    key_figure = models.DecimalField(_("owner's figure"), max_digits=18, decimal_places=4, null=True, blank=True)
    key_total = models.DecimalField(_("all owners' figures"), max_digits=18, decimal_places=4, null=True, blank=True)
    pool_amount = money_field(_("pool amount this month"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["cost_centre__code", "id"]
        indexes = [
            models.Index(fields=["period", "owner"], name="invoiceline_period_owner_idx"),
            models.Index(fields=["invoice", "cost_centre"], name="invoiceline_invoice_cc_idx"),
            models.Index(fields=["source_type", "source_id"], name="invoiceline_source_idx"),
        ]

    def __str__(self) -> str:
        return self.description

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        """An owner sees the lines of its issued invoices only, never a preview's."""
        if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES):
            return qs
        return super().scope_queryset(qs, scope).filter(invoice__issued_at__isnull=False)

    def get_absolute_url(self) -> str:
        return reverse("invoiceline_detail", args=[self.pk])
