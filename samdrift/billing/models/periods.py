"""Billing periods (one a month), the runs that bill them and the background jobs that close and
reconcile them."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.billing.models.base import FinanceOnly, money_field
from samdrift.core.models import Job


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


def run_name(period: object, created: object) -> str:
    """A run or job in words, "2026-05, startad 2026-12-06 14:03", not "#12" (the pages add who
    started it: billing/_run_name.html)."""
    when = timezone.localtime(created).strftime("%Y-%m-%d %H:%M") if created else ""  # type: ignore[arg-type]
    return str(_("%(period)s, started %(when)s") % {"period": period, "when": when})


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
        return run_name(self.period, self.created)

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
        return f"{self.get_kind_display()} {run_name(self.period, self.created)}"

    def get_absolute_url(self) -> str:
        return reverse("billingjob_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)
