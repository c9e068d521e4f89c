"""What inventory agents report: interfaces, installed software, the agents' keys, the uploads and
the devices waiting for triage."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.assets.models.devices import Asset
from samdrift.core.access import OwnerScopedModel


class AssetInterface(models.Model):
    """A network interface an agent reported, kept as rows so that matching by MAC uses an index."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="interfaces")
    owner = models.ForeignKey("tenancy.Owner", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100, blank=True)
    mac = models.CharField(_("MAC address"), max_length=17)
    ip_address = models.CharField(_("IP address"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("network interface")
        verbose_name_plural = _("network interfaces")
        indexes = [models.Index(fields=["owner", "mac"], name="assetiface_owner_mac_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.mac}"


class InstalledSoftware(models.Model):
    """Software an agent found on a device (replaced with each inventory), with the product it is."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="software")
    owner = models.ForeignKey("tenancy.Owner", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        "SoftwareProduct", null=True, blank=True, on_delete=models.SET_NULL, related_name="installations"
    )
    name = models.CharField(_("name"), max_length=255)
    version = models.CharField(_("version"), max_length=100, blank=True)
    publisher = models.CharField(_("publisher"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("installed software")
        verbose_name_plural = _("installed software")
        indexes = [
            models.Index(fields=["asset", "name"], name="software_asset_idx"),
            models.Index(fields=["owner", "name"], name="software_owner_name_idx"),
            models.Index(fields=["product", "owner"], name="software_product_owner_idx"),
            models.Index(Lower("name"), name="software_lower_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class AgentKey(OwnerScopedModel):
    """The secret an owner's inventory agents use (agentnyckel); only its hash is kept."""

    OWNER_VIEW_ROLES: frozenset[str] = frozenset()

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key begins with"), max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent key")
        verbose_name_plural = _("agent keys")
        ordering = ["owner_id", "name"]
        indexes = [models.Index(fields=["owner", "name"], name="agentkey_owner_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def get_absolute_url(self) -> str:
        return reverse("agentkey_list")


class UploadStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not processed")
    PROLOG = "prolog", _("Prolog answered")
    MATCHED = "matched", _("Matched to an asset")
    TRIAGE = "triage", _("Unmatched, in triage")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Processing failed")
    STALE = "stale", _("Older than the inventory applied, not applied")


class InventoryUpload(OwnerScopedModel):
    """One request an inventory agent sent, kept as received before anything else is done with it."""

    OWNER_VIEW_ROLES: frozenset[str] = frozenset()

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    agent_key = models.ForeignKey(AgentKey, verbose_name=_("agent key"), on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    remote_addr = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    truncated = models.BooleanField(_("cut off at the size limit"), default=False)
    raw = models.BinaryField(_("payload as received"))
    query = models.CharField(_("query"), max_length=20, blank=True)
    device_id = models.CharField(_("agent device id"), max_length=200, blank=True)
    agent_time = models.DateTimeField(_("inventory time (agent)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=UploadStatus.choices, default=UploadStatus.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    asset = models.ForeignKey(
        Asset, verbose_name=_("asset"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        verbose_name = _("inventory upload")
        verbose_name_plural = _("inventory uploads")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "status", "-id"], name="upload_owner_status_idx"),
            models.Index(fields=["status", "-id"], name="upload_status_idx"),
            models.Index(fields=["device_id"], name="upload_device_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.query or '?'} {self.device_id}"

    def get_absolute_url(self) -> str:
        return reverse("inventoryupload_detail", args=[self.pk])


class TriageDevice(OwnerScopedModel):
    """A device an agent reported that matches no asset (okänd enhet); one row per agent device id."""

    OWNER_VIEW_ROLES: frozenset[str] = frozenset()

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    device_id = models.CharField(_("agent device id"), max_length=200)
    hostname = models.CharField(_("host name"), max_length=200, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    hardware_uuid = models.CharField(_("hardware UUID"), max_length=64, blank=True)
    macs = models.CharField(_("MAC addresses"), max_length=500, blank=True)
    manufacturer_name = models.CharField(_("manufacturer"), max_length=200, blank=True)
    model_name = models.CharField(_("model"), max_length=200, blank=True)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)
    last_upload = models.ForeignKey(
        InventoryUpload, verbose_name=_("last upload"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_agent_time = models.DateTimeField(_("inventory time (agent)"), null=True, blank=True)
    resolved_asset = models.ForeignKey(
        Asset, verbose_name=_("linked asset"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("unmatched device")
        verbose_name_plural = _("unmatched devices")
        ordering = ["-last_seen", "-id"]
        constraints = [models.UniqueConstraint(fields=["owner", "device_id"], name="triage_device_unique_per_owner")]
        indexes = [models.Index(fields=["owner", "resolved_asset", "-last_seen"], name="triage_owner_open_idx")]

    def __str__(self) -> str:
        return self.hostname or self.device_id

    def get_absolute_url(self) -> str:
        return reverse("triagedevice_detail", args=[self.pk])
