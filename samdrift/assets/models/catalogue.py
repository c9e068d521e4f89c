"""The operator's catalogue of devices (manufacturers, categories, models) and the sites they stand at."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import OperatorOnlyModel, OwnerScopedModel
from samdrift.core.roles import Role

STAFF = frozenset({Role.ADMIN, Role.TECHNICIAN})


class CatalogueModel(OperatorOnlyModel):
    """Reference data kept by the operator. Owner users see it only through their own assets."""

    class Meta:
        abstract = True


class Manufacturer(CatalogueModel):
    """A maker of devices (tillverkare)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    aliases = models.CharField(
        _("aliases"),
        max_length=500,
        blank=True,
        help_text=_("Other spellings that inventory agents report, separated by commas."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("manufacturer")
        verbose_name_plural = _("manufacturers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("manufacturer_detail", args=[self.pk])


class Category(models.TextChoices):
    LAPTOP = "laptop", _("Laptop")
    DESKTOP = "desktop", _("Desktop")
    CHROMEBOOK = "chromebook", _("Chromebook")
    TABLET = "tablet", _("Tablet")
    PHONE = "phone", _("Phone")
    MONITOR = "monitor", _("Monitor")
    SWITCH = "switch", _("Switch")
    ACCESS_POINT = "access_point", _("Access point")
    SERVER = "server", _("Server")
    OTHER = "other", _("Other")


class AssetModel(CatalogueModel):
    """A device model (modell) with its expected lifetime and life-cycle CO2e footprint."""

    manufacturer = models.ForeignKey(
        Manufacturer, verbose_name=_("manufacturer"), on_delete=models.PROTECT, related_name="models"
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    expected_lifetime_months = models.PositiveSmallIntegerField(_("expected lifetime (months)"), default=48)
    list_price = models.DecimalField(_("list price (SEK)"), max_digits=14, decimal_places=2, null=True, blank=True)
    co2e_kg = models.DecimalField(_("CO2e (kg, life cycle)"), max_digits=10, decimal_places=2, null=True, blank=True)
    co2e_source = models.CharField(_("CO2e source"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("model")
        verbose_name_plural = _("models")
        ordering = ["manufacturer__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["manufacturer", "name"], name="assetmodel_name_unique_per_manufacturer"),
        ]
        indexes = [models.Index(fields=["category"], name="assetmodel_category_idx")]

    def __str__(self) -> str:
        return f"{self.manufacturer.name} {self.name}" if self.manufacturer_id else self.name

    def get_absolute_url(self) -> str:
        return reverse("assetmodel_detail", args=[self.pk])


class Site(OwnerScopedModel):
    """A place where devices are (plats): a school, an office, a server room."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="site_name_unique_per_owner")]
        indexes = [models.Index(fields=["owner", "name"], name="site_owner_name_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("site_detail", args=[self.pk])
