"""Shared cost pools and the allocation keys (with their figures) that divide them between owners."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.billing.models.base import BillingOwnerScoped, FinanceOnly, account_number, money_field
from samdrift.billing.vat import RATE_CHOICES, VatCategory, check_vat


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
