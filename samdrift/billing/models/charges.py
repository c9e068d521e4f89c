"""Charge sources: subscriptions, one-off charges and metered usage, each traceable to its source."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from samdrift.billing.models.base import BillingOwnerScoped, money_field
from samdrift.billing.models.reference import Article


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
