"""Billing (fakturering): what each owner is charged, for what, and why.

Charge sources (subscriptions, one-time charges, metered usage, shared cost pools, and whatever
other apps register in `samdrift.billing.sources`) become invoice lines in a monthly billing run.
Every line keeps where it came from (source type and id, or the pool, key and the figures used),
so any amount on any invoice can be explained.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.billing.vat import RATE_CHOICES, VatCategory, check_vat
from samdrift.core.access import OperatorOnlyModel, OwnerScopedModel, Scope
from samdrift.core.models import Job
from samdrift.core.roles import Role

FINANCE_ROLES: frozenset[str] = frozenset({Role.FINANCE, Role.ADMIN})
account_number = RegexValidator(r"^\d{4}$", _("An account number has four digits (BAS)."))


def money_field(verbose_name: str | object, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class FinanceOnly(OperatorOnlyModel):
    """Operator-level billing data: finance and administrators see it, owners never do."""

    OPERATOR_VIEW_ROLES = FINANCE_ROLES

    class Meta:
        abstract = True


class BillingOwnerScoped(OwnerScopedModel):
    """Owner billing rows: finance and administrators see all; an owner's viewers their own."""

    OPERATOR_VIEW_ROLES = FINANCE_ROLES
    OWNER_VIEW_ROLES = frozenset({Role.OWNER_VIEWER})

    class Meta:
        abstract = True


class Article(FinanceOnly):
    """A billable service or product (artikel) and the revenue account it is booked on.

    A wiring point: when the procurement catalogue lands, its services map onto articles.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit_code = models.CharField(
        _("unit"),
        max_length=3,
        default="C62",
        help_text=_("UN/ECE rec. 20: C62 piece, MON month, HUR hour, DAY day, E34 gigabyte, E35 terabyte."),
    )
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4, default=Decimal(0))
    revenue_account = models.CharField(_("revenue account"), max_length=4, validators=[account_number])
    vat_category = models.CharField(
        _("VAT category"), max_length=1, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal(25), choices=RATE_CHOICES
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("article_detail", args=[self.pk])

    def clean(self) -> None:
        check_vat(self.vat_category, self.vat_rate)


class BillingProfile(BillingOwnerScoped):
    """How an owner wants to be invoiced: where pool shares are booked, and the buyer reference."""

    owner = models.OneToOneField(
        "tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="billing_profile"
    )
    default_cost_centre = models.ForeignKey(
        "tenancy.CostCentre",
        verbose_name=_("cost centre for shared costs"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    split_by_reference = models.BooleanField(
        _("one invoice per invoice reference"),
        default=False,
        help_text=_("Some owners require a separate invoice for every cost centre reference."),
    )
    payment_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, validators=[MinValueValidator(0), MaxValueValidator(365)]
    )
    peppol_endpoint = models.CharField(
        _("Peppol address"),
        max_length=60,
        blank=True,
        help_text=_(
            "Scheme and identifier, e.g. 0007:2120001234 (organisation number) or 0088:7300010000001 (GLN). "
            "Empty: the organisation number (0007)."
        ),
    )
    pdf_email = models.EmailField(_("e-mail for the PDF invoice"), blank=True)

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")

    def __str__(self) -> str:
        return str(self.owner)

    def get_absolute_url(self) -> str:
        return reverse("billingprofile_detail", args=[self.pk])


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class BillingPeriod(FinanceOnly):
    """A calendar month that is invoiced (faktureringsperiod). Closing locks it."""

    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    status = models.CharField(_("status"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("billing period")
        verbose_name_plural = _("billing periods")
        ordering = ["-year", "-month"]
        constraints = [models.UniqueConstraint(fields=["year", "month"], name="billingperiod_unique_month")]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def get_absolute_url(self) -> str:
        return reverse("billingperiod_detail", args=[self.pk])

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def is_open(self) -> bool:
        return self.status == PeriodStatus.OPEN


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BillingRun(FinanceOnly, Job):
    """One run of the billing engine over a period (faktureringskörning), with its progress."""

    period = models.ForeignKey(BillingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    invoice_count = models.PositiveIntegerField(_("invoices"), default=0)
    total_net = money_field(_("total excl. VAT"), default=Decimal(0))
    created = models.DateTimeField(_("started"), default=timezone.now)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.period} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("billingrun_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)


class BillingJobKind(models.TextChoices):
    CLOSE_PERIOD = "close_period", _("Close the period")
    RECONCILE = "reconcile", _("Year-end reconciliation")


class BillingJob(FinanceOnly, Job):
    """Closing a period or reading a year-end accounting file, as a background job: its progress,
    lease and result. An uploaded file is kept on the job until it has been processed, so a job
    whose worker died can be started again with the same file."""

    kind = models.CharField(_("kind"), max_length=20, choices=BillingJobKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    period = models.ForeignKey(BillingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="jobs")
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    filename = models.CharField(_("file"), max_length=255, blank=True)
    data = models.BinaryField(_("file contents"), blank=True, default=b"")
    dry_run = models.BooleanField(_("check only"), default=False)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created = models.DateTimeField(_("started"), default=timezone.now)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("billing job")
        verbose_name_plural = _("billing jobs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["period", "kind", "status"], name="billingjob_period_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("billingjob_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)


# --- charge sources ---------------------------------------------------------------------------


class ChargeKind(models.TextChoices):
    """Why a one-time charge (or credit) exists; other apps name theirs through `billing.services`."""

    MANUAL = "manual", _("Entered by finance")
    DELIVERY = "delivery", _("Delivered product")
    SERVICE = "service", _("Service start")
    CATCH_UP = "catch_up", _("Service days in a closed month")
    RESIDUAL_VALUE = "residual_value", _("Residual value credited")
    CORRECTION = "correction", _("Correction credited")


class SourcedModel(models.Model):
    """Where a charge or subscription comes from: a generic reference to the source row of another
    app (a delivered unit, an order line, a take-back item), its label as shown to finance, and the
    day the source event happened (which may lie in a month that was already closed)."""

    source_content_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("source type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_object_id = models.PositiveBigIntegerField(_("source object id"), null=True, blank=True)
    source = GenericForeignKey("source_content_type", "source_object_id")
    source_label = models.CharField(_("source"), max_length=200, blank=True)
    source_date = models.DateField(_("source date"), null=True, blank=True)

    class Meta:
        abstract = True


class Subscription(BillingOwnerScoped, SourcedModel):
    """A running service instance (tjänsteinstans): a client package, a server, a mailbox.

    Charges its monthly price, pro rata by day in the months it starts or ends. `external_ref`
    names the asset or order it comes from once those apps land.
    """

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    cost_centre = models.ForeignKey(
        "tenancy.CostCentre", verbose_name=_("cost centre"), on_delete=models.PROTECT, related_name="+"
    )
    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=200, blank=True)
    monthly_price = money_field(_("monthly price"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True, help_text=_("Last day charged; empty while running."))
    external_ref = models.CharField(_("source reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["owner__name", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="subscription_end_after_start"
            )
        ]
        indexes = [
            models.Index(fields=["start", "end"], name="subscription_dates_idx"),
            models.Index(fields=["owner", "id"], name="subscription_owner_idx"),
            models.Index(fields=["source_content_type", "source_object_id"], name="subscription_source_idx"),
        ]

    def __str__(self) -> str:
        return self.description or str(self.article)

    def get_absolute_url(self) -> str:
        return reverse("subscription_detail", args=[self.pk])


class Charge(BillingOwnerScoped, SourcedModel):
    """A one-time charge (engångsavgift): a delivered product plus handling fee, or a set-up fee;
    negative: a credit (a residual value, a correction).

    Billed in the period its date falls in. `amount` = quantity × unit price, computed by the action.
    """

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    cost_centre = models.ForeignKey(
        "tenancy.CostCentre", verbose_name=_("cost centre"), on_delete=models.PROTECT, related_name="+"
    )
    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=200)
    charge_date = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4, default=Decimal(1))
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)
    amount = money_field(_("amount"))
    external_ref = models.CharField(_("source reference"), max_length=100, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=ChargeKind.choices, default=ChargeKind.MANUAL, db_default=ChargeKind.MANUAL
    )

    class Meta:
        verbose_name = _("one-time charge")
        verbose_name_plural = _("one-time charges")
        ordering = ["-charge_date", "id"]
        indexes = [
            models.Index(fields=["charge_date"], name="charge_date_idx"),
            models.Index(fields=["owner", "charge_date"], name="charge_owner_date_idx"),
            models.Index(fields=["source_content_type", "source_object_id"], name="charge_source_idx"),
        ]

    def __str__(self) -> str:
        return self.description

    def get_absolute_url(self) -> str:
        return reverse("charge_detail", args=[self.pk])


class UsageRow(BillingOwnerScoped):
    """Metered consumption for one month (förbrukning): storage GB-month, backup, servers."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    cost_centre = models.ForeignKey(
        "tenancy.CostCentre", verbose_name=_("cost centre"), on_delete=models.PROTECT, related_name="+"
    )
    article = models.ForeignKey(Article, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month measured."))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)
    source = models.CharField(_("source"), max_length=200, blank=True, help_text=_("File and row, or API client."))

    class Meta:
        verbose_name = _("usage row")
        verbose_name_plural = _("usage rows")
        ordering = ["-month", "id"]
        indexes = [models.Index(fields=["month", "owner", "cost_centre", "article"], name="usage_month_idx")]

    def __str__(self) -> str:
        return f"{self.article} {self.quantity} ({self.month:%Y-%m})"


class PoolKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly cost")
    INVESTMENT = "investment", _("Investment, depreciated")


class CostPool(FinanceOnly):
    """A shared cost (gemensam kostnadspool): data centre, network core, shared licences, overhead.

    Either a monthly cost, or an investment spread evenly (to the öre) over its depreciation months
    from `start`.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=PoolKind.choices, default=PoolKind.MONTHLY)
    monthly_cost = money_field(_("monthly cost"), default=Decimal(0))
    investment = money_field(_("investment"), default=Decimal(0))
    depreciation_months = models.PositiveSmallIntegerField(_("depreciation months"), default=0)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    revenue_account = models.CharField(_("revenue account"), max_length=4, validators=[account_number])
    vat_category = models.CharField(
        _("VAT category"), max_length=1, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal(25), choices=RATE_CHOICES
    )
    active = models.BooleanField(_("active"), default=True)
    # Where the year-end reconciliation finds the pool's actual cost in the accounting's SIE file:
    # the rows of cost accounts (4xxx-8xxx) tagged with this object, or else the #RES balances of
    # these accounts.
    sie_dimension = models.CharField(_("SIE dimension"), max_length=10, default="6", blank=True)
    sie_object = models.CharField(_("SIE object"), max_length=40, blank=True)
    cost_accounts = models.CharField(
        _("cost accounts"),
        max_length=200,
        blank=True,
        help_text=_("Comma-separated accounts, used when no object is given."),
    )

    class Meta:
        verbose_name = _("cost pool")
        verbose_name_plural = _("cost pools")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("costpool_detail", args=[self.pk])

    def clean(self) -> None:
        check_vat(self.vat_category, self.vat_rate)


class KeyBasis(models.TextChoices):
    POPULATION = "population", _("Population")
    USERS = "users", _("Users")
    DEVICES = "devices", _("Devices")
    CONSUMPTION = "consumption", _("Measured consumption")
    FIXED = "fixed", _("Fixed shares")


class AllocationKey(FinanceOnly):
    """How a pool is split between owners (fördelningsnyckel), valid for a period of time.

    The figures it uses are stored with it (`AllocationFigure`), so any past split can be explained
    even after populations or user counts change.
    """

    pool = models.ForeignKey(CostPool, verbose_name=_("cost pool"), on_delete=models.PROTECT, related_name="keys")
    basis = models.CharField(_("basis"), max_length=12, choices=KeyBasis.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("source of the figures"), max_length=300, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("allocation key")
        verbose_name_plural = _("allocation keys")
        ordering = ["pool__code", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.pool.code}: {self.get_basis_display()} {self.valid_from}"


class AllocationFigure(BillingOwnerScoped):
    """One owner's figure in a key (population, users, devices or share), stored as used."""

    key = models.ForeignKey(
        AllocationKey, verbose_name=_("allocation key"), on_delete=models.CASCADE, related_name="figures"
    )
    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    figure = models.DecimalField(_("figure"), max_digits=18, decimal_places=4, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("allocation figure")
        verbose_name_plural = _("allocation figures")
        ordering = ["key", "owner__name"]
        constraints = [models.UniqueConstraint(fields=["key", "owner"], name="allocationfigure_unique_owner")]

    def __str__(self) -> str:
        return f"{self.owner}: {self.figure}"


RATE_EPOCH = date(2000, 1, 1)  # "always": the valid-from of a rate set without a date


class WorkTypeRate(FinanceOnly):
    """The hourly rate (timpris) of a service-desk work type; its billable time is charged at it.

    Work types without a rate are not billed (support time included in a client package, say).
    The article gives the line its name, revenue account and VAT rate. A rate is valid from a day
    until the next rate of the same work type starts: time is charged at the rate valid on the day
    it was worked, so a change in the middle of a month splits that month's hours between the two
    rates, and a rerun of an earlier month keeps its old rate.
    """

    work_type = models.CharField(_("work type"), max_length=20)
    valid_from = models.DateField(
        _("valid from"),
        default=RATE_EPOCH,
        help_text=_("Time worked on and after this day is charged at this rate, until a later rate starts."),
    )
    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="+")
    hourly_rate = models.DecimalField(
        _("hourly rate"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("work-type rate")
        verbose_name_plural = _("work-type rates")
        ordering = ["work_type", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["work_type", "valid_from"], name="worktyperate_unique_from")]

    def __str__(self) -> str:
        return f"{self.get_work_type_label()}: {self.hourly_rate}"

    def get_absolute_url(self) -> str:
        return reverse("worktyperate_detail", args=[self.pk])

    def get_work_type_label(self) -> str:
        from samdrift.servicedesk.models import WorkType

        return str(dict(WorkType.choices).get(self.work_type, self.work_type))


# --- invoices ---------------------------------------------------------------------------------


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


# --- year-end reconciliation -----------------------------------------------------------------


class ReconciliationStatus(models.TextChoices):
    ACTIVE = "active", _("In force")
    SUPERSEDED = "superseded", _("Replaced")


class Reconciliation(FinanceOnly):
    """Year-end reconciliation (avräkning): billed against actual cost per pool, from a SIE file.

    At most one reconciliation of a year is in force. A new one replaces it: what the old one
    settled is taken back (deleted while still a draft in an open period, credited once billed), so
    that an owner is never billed a year's settlement twice.
    """

    year = models.PositiveSmallIntegerField(_("year"))
    filename = models.CharField(_("file"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("file checksum (SHA-256)"), max_length=64, blank=True)
    settle_period = models.ForeignKey(
        BillingPeriod, verbose_name=_("settled in period"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ReconciliationStatus.choices, default=ReconciliationStatus.ACTIVE
    )
    replaced_by = models.ForeignKey(
        "self",
        verbose_name=_("replaced by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces",
    )
    created = models.DateTimeField(_("created"), default=timezone.now)
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=Q(status="active"), name="reconciliation_one_in_force_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{_('Reconciliation')} {self.year}"


class Settlement(BillingOwnerScoped):
    """One owner's share of a pool's surplus (negative: credited) or deficit, billed in an open period."""

    reconciliation = models.ForeignKey(
        Reconciliation, verbose_name=_("reconciliation"), on_delete=models.CASCADE, related_name="settlements"
    )
    period = models.ForeignKey(BillingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    cost_centre = models.ForeignKey(
        "tenancy.CostCentre", verbose_name=_("cost centre"), on_delete=models.PROTECT, related_name="+"
    )
    pool = models.ForeignKey(CostPool, verbose_name=_("cost pool"), on_delete=models.PROTECT, related_name="+")
    allocation_key = models.ForeignKey(
        AllocationKey, verbose_name=_("allocation key"), on_delete=models.PROTECT, related_name="+"
    )
    billed = money_field(_("billed for the pool"))
    actual = money_field(_("actual cost of the pool"))
    key_figure = models.DecimalField(_("owner's figure"), max_digits=18, decimal_places=4)
    key_total = models.DecimalField(_("all owners' figures"), max_digits=18, decimal_places=4)
    amount = money_field(_("amount"))
    description = models.CharField(_("description"), max_length=300)
    reverses = models.ForeignKey(
        Reconciliation,
        verbose_name=_("takes back the reconciliation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Set on a row that takes back what a replaced reconciliation of the same year settled."),
    )

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["reconciliation", "pool__code", "owner__name"]

    def __str__(self) -> str:
        return self.description


# --- SIE export ------------------------------------------------------------------------------


class SieVoucherNumber(FinanceOnly):
    """The voucher (verifikation) an issued invoice or credit note is in the SIE export.

    Numbered once, in order of accounting date, per series (F invoices, K credit notes) and fiscal
    year, so that two exports of the same month always give the same numbers.
    """

    invoice = models.OneToOneField(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="sie_voucher"
    )
    series = models.CharField(_("series"), max_length=4)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    number = models.PositiveIntegerField(_("number"))

    class Meta:
        verbose_name = _("SIE voucher number")
        verbose_name_plural = _("SIE voucher numbers")
        ordering = ["fiscal_year", "series", "number"]
        constraints = [
            models.UniqueConstraint(fields=["series", "fiscal_year", "number"], name="sievoucher_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.number} ({self.fiscal_year})"


class SieExport(FinanceOnly):
    """The final SIE 4 file of one accounting month, stored as it first left: every later
    export of the month serves these bytes."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    content = models.BinaryField(_("file"))
    sha256 = models.CharField(_("checksum (SHA-256)"), max_length=64)
    vouchers = models.PositiveIntegerField(_("vouchers"), default=0)
    created = models.DateTimeField(_("exported"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("SIE export")
        verbose_name_plural = _("SIE exports")
        ordering = ["-year", "-month"]
        constraints = [models.UniqueConstraint(fields=["year", "month"], name="sieexport_unique_month")]

    def __str__(self) -> str:
        return f"SIE {self.year}-{self.month:02d}"
