"""What finance hands to the books: the year-end self-cost reconciliation with its settlements, and
the SIE exports with their voucher numbers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.billing.models.base import BillingOwnerScoped, FinanceOnly, money_field
from samdrift.billing.models.invoices import Invoice
from samdrift.billing.models.periods import BillingPeriod
from samdrift.billing.models.pools import AllocationKey, CostPool

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
