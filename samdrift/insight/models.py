"""Insight's summary tables: per owner and month, the figures the start pages, the owner insight
page, the API, the exports and the monthly report read. Jobs fill them from the other apps'
published functions (insight/refresh.py); no page scans tickets, assets or invoice lines.

Each row belongs to one owner: finance and administrators see every owner's rows, an owner viewer
those of the owners where the role is held. The group average is read from the same tables as an
aggregate (never another owner's row as such; names only when `InsightSettings` allows it).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import OwnerScopedModel, Scope, ScopedQuerySet
from samdrift.core.roles import Role

INSIGHT_OPERATOR_ROLES: frozenset[str] = frozenset({Role.ADMIN, Role.FINANCE})
INSIGHT_OWNER_ROLES: frozenset[str] = frozenset({Role.OWNER_VIEWER})


def money_field(verbose_name: object, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class InsightScoped(OwnerScopedModel):
    OPERATOR_VIEW_ROLES = INSIGHT_OPERATOR_ROLES
    OWNER_VIEW_ROLES = INSIGHT_OWNER_ROLES

    class Meta:
        abstract = True


class OwnerMonth(InsightScoped):
    """One owner's figures for one month (månadsbild): cost, headcount, service, delivery, devices."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    employees = models.PositiveIntegerField(_("employees"), default=0)
    pupils = models.PositiveIntegerField(_("pupils"), default=0)
    cost = money_field(_("cost excl. VAT"), default=Decimal(0))
    invoice_lines = models.PositiveIntegerField(_("invoice lines"), default=0)
    tickets_opened = models.PositiveIntegerField(_("tickets opened"), default=0)
    tickets_resolved = models.PositiveIntegerField(_("tickets resolved"), default=0)
    resolution_met = models.PositiveIntegerField(_("resolved within SLA"), default=0)
    first_responses = models.PositiveIntegerField(_("first responses"), default=0)
    first_response_met = models.PositiveIntegerField(_("first responses within SLA"), default=0)
    csat_sum = models.PositiveIntegerField(_("sum of ratings"), default=0)
    csat_count = models.PositiveIntegerField(_("ratings"), default=0)
    lines_handed_over = models.PositiveIntegerField(_("order lines handed over"), default=0)
    lead_days_median = models.DecimalField(_("lead time, median (days)"), max_digits=8, decimal_places=1, null=True)
    lead_days_p90 = models.DecimalField(
        _("lead time, 90th percentile (days)"), max_digits=8, decimal_places=1, null=True
    )
    devices = models.PositiveIntegerField(_("devices"), default=0)
    device_age_months = models.DecimalField(_("average device age (months)"), max_digits=6, decimal_places=1, null=True)
    refresh_due = models.PositiveIntegerField(_("devices due for refresh within 12 months"), default=0)
    refresh_cost = money_field(_("forecast refresh cost"), default=Decimal(0))
    licence_seats = models.PositiveIntegerField(_("licence seats entitled"), default=0)
    licence_used = models.PositiveIntegerField(_("licence seats used"), default=0)
    takeback_credit = money_field(_("take-back credits"), default=Decimal(0))
    co2e_avoided_kg = models.DecimalField(_("CO2e avoided (kg)"), max_digits=12, decimal_places=1, default=Decimal(0))
    refreshed_at = models.DateTimeField(_("refreshed"), default=timezone.now)

    class Meta:
        verbose_name = _("owner month")
        verbose_name_plural = _("owner months")
        ordering = ["owner", "month"]
        constraints = [models.UniqueConstraint(fields=["owner", "month"], name="insight_ownermonth_unique")]
        indexes = [models.Index(fields=["month", "owner"], name="insight_ownermonth_month_idx")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.month:%Y-%m}"

    @property
    def cost_per_employee(self) -> Decimal | None:
        return (self.cost / self.employees).quantize(Decimal("0.01")) if self.employees else None

    @property
    def cost_per_pupil(self) -> Decimal | None:
        return (self.cost / self.pupils).quantize(Decimal("0.01")) if self.pupils else None

    @property
    def sla_attainment(self) -> Decimal | None:
        if not self.tickets_resolved:
            return None
        return (Decimal(100) * self.resolution_met / self.tickets_resolved).quantize(Decimal("0.1"))

    @property
    def csat_average(self) -> Decimal | None:
        return (Decimal(self.csat_sum) / self.csat_count).quantize(Decimal("0.01")) if self.csat_count else None

    @property
    def tickets_per_employee(self) -> Decimal | None:
        if not self.employees:
            return None
        return (Decimal(self.tickets_opened) / self.employees).quantize(Decimal("0.001"))


class Dimension(models.TextChoices):
    SERVICE = "service", _("Service")
    COST_CENTRE = "cost_centre", _("Cost centre")
    CATEGORY = "category", _("Ticket category")


class OwnerMonthBreakdown(InsightScoped):
    """One owner's month split by service, by cost centre (cost) or by ticket category (count)."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    dimension = models.CharField(_("split by"), max_length=12, choices=Dimension.choices)
    key = models.CharField(_("key"), max_length=60)
    label = models.CharField(_("name"), max_length=300)
    amount = money_field(_("amount excl. VAT"), default=Decimal(0))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("owner month breakdown")
        verbose_name_plural = _("owner month breakdowns")
        ordering = ["owner", "month", "dimension", "-amount", "label"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "month", "dimension", "key"], name="insight_breakdown_unique")
        ]
        indexes = [models.Index(fields=["owner", "dimension", "month"], name="insight_breakdown_owner_idx")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.month:%Y-%m} {self.dimension} {self.label}"


class Stage(models.TextChoices):
    APPROVAL = "approval", _("Submitted to approved")
    ORDERING = "ordering", _("Approved to ordered")
    DELIVERY = "delivery", _("Ordered to delivered")
    HANDOVER = "handover", _("Delivered to handed over")
    TOTAL = "total", _("Submitted to handed over")


class OwnerMonthLeadTime(InsightScoped):
    """Order lead time of one stage for the order lines handed over in the month (days)."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    lines = models.PositiveIntegerField(_("order lines"), default=0)
    median_days = models.DecimalField(_("median (days)"), max_digits=8, decimal_places=1, null=True)
    p90_days = models.DecimalField(_("90th percentile (days)"), max_digits=8, decimal_places=1, null=True)

    class Meta:
        verbose_name = _("lead time")
        verbose_name_plural = _("lead times")
        ordering = ["owner", "month", "stage"]
        constraints = [models.UniqueConstraint(fields=["owner", "month", "stage"], name="insight_leadtime_unique")]
        indexes = [models.Index(fields=["owner", "month"], name="insight_leadtime_owner_idx")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.month:%Y-%m} {self.stage}"


class OwnerReport(InsightScoped):
    """The monthly owner report (månadsrapport) as it was made and mailed, kept unchanged."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    recipients = models.JSONField(_("sent to"), default=list, blank=True)
    created = models.DateTimeField(_("made"), default=timezone.now)

    class Meta:
        verbose_name = _("owner report")
        verbose_name_plural = _("owner reports")
        ordering = ["-month", "owner"]
        constraints = [models.UniqueConstraint(fields=["owner", "month"], name="insight_report_unique")]
        indexes = [models.Index(fields=["owner", "-month"], name="insight_report_owner_idx")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.month:%Y-%m}"


class InsightSettingsQuerySet(ScopedQuerySet["InsightSettings"]):
    pass


class InsightSettings(models.Model):
    """The operator's settings for insight (one row): whether owners see each other by name."""

    name_other_owners = models.BooleanField(
        _("show other owners by name"),
        default=False,
        help_text=_("Off: an owner sees its figures beside the group average only. On: also each other owner's."),
    )
    updated = models.DateTimeField(_("updated"), default=timezone.now)

    objects = InsightSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = _("insight settings")
        verbose_name_plural = _("insight settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="insight_settings_single_row")]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        return qs if scope.has_operator_role({Role.ADMIN}) else qs.none()

    @classmethod
    def current(cls) -> InsightSettings:
        return cls.objects.filter(pk=1).first() or cls(pk=1)
