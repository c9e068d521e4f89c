"""Public Wi-Fi zones, the standard they are checked against, and the checks."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from samdrift.assets.models.catalogue import CatalogueModel, Site
from samdrift.assets.models.devices import Asset
from samdrift.core.access import OwnerScopedModel


class WifiAuthentication(models.TextChoices):
    OPEN_PORTAL = "open_portal", _("Open with captive portal")
    OPEN = "open", _("Open")
    EDUROAM = "eduroam", _("eduroam (WPA2/WPA3-Enterprise)")
    PSK = "psk", _("Pre-shared key")


class WifiFunding(models.TextChoices):
    OWN = "own", _("Owner's own budget")
    WIFI4EU = "wifi4eu", _("WiFi4EU")
    OTHER = "other", _("Other grant")


class WifiZone(OwnerScopedModel):
    """A public Wi-Fi zone (offentligt wifi): where, which networks, how funded, and its checklist."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.PROTECT, related_name="wifi_zones"
    )
    outdoor = models.BooleanField(_("outdoor"), default=False)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    ssids = models.CharField(
        _("SSIDs"), max_length=300, help_text=_("Separated by commas, e.g. Kommun-Gäst, eduroam, WiFi4EU.")
    )
    authentication = models.CharField(_("authentication"), max_length=20, choices=WifiAuthentication.choices)
    portal_terms_version = models.CharField(_("captive-portal terms version"), max_length=40, blank=True)
    access_points = models.ManyToManyField(
        Asset, verbose_name=_("access points"), blank=True, related_name="wifi_zones"
    )
    backhaul = models.CharField(_("backhaul"), max_length=200, blank=True)
    funding = models.CharField(_("funding"), max_length=20, choices=WifiFunding.choices, default=WifiFunding.OWN)
    funding_obligations = models.TextField(_("funding obligations"), blank=True)
    operating_from = models.DateField(_("in operation from"), null=True, blank=True)
    operating_until = models.DateField(_("in operation until"), null=True, blank=True)
    log_retention_days = models.PositiveSmallIntegerField(_("log retention (days)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("public Wi-Fi zone")
        verbose_name_plural = _("public Wi-Fi zones")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["owner", "name"], name="wifizone_owner_name_idx"),
            models.Index(fields=["funding"], name="wifizone_funding_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("wifizone_detail", args=[self.pk])


class WifiStandardItem(CatalogueModel):
    """One point of the company's common Wi-Fi standard (gemensam wifistandard), checked per zone."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    text = models.CharField(_("requirement"), max_length=300)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("Wi-Fi standard point")
        verbose_name_plural = _("Wi-Fi standard")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    def get_absolute_url(self) -> str:
        return reverse("wifistandarditem_detail", args=[self.pk])


class CheckResult(models.TextChoices):
    NOT_CHECKED = "not_checked", _("Not checked")
    PASS = "pass", _("Meets it")
    FAIL = "fail", _("Fails")


class WifiZoneCheck(OwnerScopedModel):
    """How a zone stands against one point of the standard."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    zone = models.ForeignKey(WifiZone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="checks")
    item = models.ForeignKey(
        WifiStandardItem, verbose_name=_("requirement"), on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(_("result"), max_length=20, choices=CheckResult.choices, default=CheckResult.NOT_CHECKED)
    note = models.CharField(_("note"), max_length=300, blank=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("Wi-Fi check")
        verbose_name_plural = _("Wi-Fi checks")
        constraints = [models.UniqueConstraint(fields=["zone", "item"], name="wificheck_unique_per_zone")]
        indexes = [models.Index(fields=["owner", "result"], name="wificheck_owner_result_idx")]

    def __str__(self) -> str:
        return f"{self.zone_id} {self.item_id} {self.result}"
