"""Billing's reference data: articles, the owners' billing profiles and the work type rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from samdrift.billing.models.base import BillingOwnerScoped, FinanceOnly, account_number
from samdrift.billing.vat import RATE_CHOICES, VatCategory, check_vat


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
