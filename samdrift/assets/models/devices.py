"""Devices (tillgångar): their lifecycle of statuses and their assignment history."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.assets.models.catalogue import AssetModel, Manufacturer, Site
from samdrift.core.access import OwnerScopedModel


class AssetStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    IN_STOCK = "in_stock", _("In stock")
    DEPLOYED = "deployed", _("Deployed")
    IN_REPAIR = "in_repair", _("In repair")
    RETURNED = "returned", _("Returned")
    AWAITING_ERASURE = "awaiting_erasure", _("Awaiting erasure")
    ERASED = "erased", _("Erased")
    REUSED = "reused", _("Reused")
    RESOLD = "resold", _("Resold")
    RECYCLED = "recycled", _("Recycled")
    LOST = "lost", _("Lost")
    STOLEN = "stolen", _("Stolen")


S = AssetStatus
# The lifecycle: from each status, where a device may go next (deployed only by check-out).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.ORDERED: frozenset({S.IN_STOCK, S.LOST}),
    S.IN_STOCK: frozenset({S.DEPLOYED, S.IN_REPAIR, S.RETURNED, S.AWAITING_ERASURE, S.LOST, S.STOLEN}),
    S.DEPLOYED: frozenset({S.IN_STOCK, S.IN_REPAIR, S.RETURNED, S.LOST, S.STOLEN}),
    S.IN_REPAIR: frozenset({S.IN_STOCK, S.DEPLOYED, S.RETURNED, S.AWAITING_ERASURE, S.LOST}),
    S.RETURNED: frozenset({S.IN_STOCK, S.AWAITING_ERASURE, S.LOST}),
    S.AWAITING_ERASURE: frozenset({S.ERASED, S.LOST, S.STOLEN}),
    S.ERASED: frozenset({S.REUSED, S.RESOLD, S.RECYCLED}),
    S.REUSED: frozenset(),
    S.RESOLD: frozenset(),
    S.RECYCLED: frozenset(),
    S.LOST: frozenset({S.IN_STOCK}),
    S.STOLEN: frozenset({S.IN_STOCK}),
}
# Reaching one of these ends the person's possession: the open assignment is closed.
RELEASING_STATUSES = frozenset({S.IN_STOCK, S.RETURNED, S.AWAITING_ERASURE, S.ERASED, S.REUSED, S.RESOLD, S.RECYCLED})
TERMINAL_STATUSES = frozenset(k for k, v in TRANSITIONS.items() if not v)


class Asset(OwnerScopedModel):
    """One device (tillgång) with its owner, who pays for it, who has it and what it is made of.
    Staff and the owner's viewers see the owner's devices; an end user sees their own."""

    PERSON_PATH = "assigned_to_id"

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    asset_tag = models.CharField(_("asset tag"), max_length=40)
    manufacturer = models.ForeignKey(
        Manufacturer, verbose_name=_("manufacturer"), on_delete=models.PROTECT, related_name="assets"
    )
    model = models.ForeignKey(AssetModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="assets")
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=AssetStatus.choices, default=AssetStatus.IN_STOCK)
    org_unit = models.ForeignKey(
        "tenancy.OrgUnit", verbose_name=_("org unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cost_centre = models.ForeignKey(
        "tenancy.CostCentre",
        verbose_name=_("cost centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assets",
    )
    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.PROTECT, related_name="assets"
    )
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    price = models.DecimalField(_("price (SEK)"), max_digits=14, decimal_places=2, null=True, blank=True)
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    order_reference = models.CharField(_("order reference"), max_length=100, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    lease_end = models.DateField(_("lease end"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Hardware facts, as the inventory agent last reported them.
    hostname = models.CharField(_("host name"), max_length=200, blank=True)
    hardware_uuid = models.CharField(_("hardware UUID"), max_length=64, blank=True)
    os_name = models.CharField(_("operating system"), max_length=200, blank=True)
    os_version = models.CharField(_("OS version"), max_length=100, blank=True)
    cpu = models.CharField(_("processor"), max_length=200, blank=True)
    memory_mb = models.PositiveIntegerField(_("memory (MB)"), null=True, blank=True)
    last_user = models.CharField(_("last user"), max_length=200, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    hardware = models.JSONField(_("hardware facts"), default=dict, blank=True)
    agent_device_id = models.CharField(_("agent device id"), max_length=200, blank=True)
    # Which inventory the facts above come from, so that an older one never overwrites them: the
    # upload's id (the order we received them in) and the agent's own time of the inventory.
    inventory_upload_id = models.BigIntegerField(_("inventory upload"), null=True, blank=True)
    inventory_agent_time = models.DateTimeField(_("inventory time (agent)"), null=True, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "asset_tag"], name="asset_tag_unique_per_owner"),
            models.UniqueConstraint(
                fields=["manufacturer", "serial_number"],
                condition=~Q(serial_number=""),
                name="asset_serial_unique_per_manufacturer",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "id"], name="asset_owner_status_idx"),
            models.Index(fields=["owner", "id"], name="asset_owner_idx"),
            models.Index(fields=["status", "id"], name="asset_status_idx"),
            models.Index(fields=["asset_tag"], name="asset_tag_idx"),
            models.Index(fields=["serial_number"], name="asset_serial_idx"),
            models.Index(fields=["hardware_uuid"], name="asset_uuid_idx"),
            models.Index(
                fields=["owner", "agent_device_id"], condition=~Q(agent_device_id=""), name="asset_agent_device_idx"
            ),
            models.Index(fields=["hostname"], name="asset_hostname_idx"),
            models.Index(fields=["model", "id"], name="asset_model_idx"),
            models.Index(fields=["org_unit", "id"], name="asset_orgunit_idx"),
            models.Index(fields=["cost_centre", "id"], name="asset_costcentre_idx"),
            models.Index(fields=["assigned_to", "id"], name="asset_person_idx"),
            models.Index(fields=["site", "id"], name="asset_site_idx"),
            models.Index(fields=["owner", "last_seen"], name="asset_owner_last_seen_idx"),
            models.Index(fields=["purchase_date"], name="asset_purchase_date_idx"),
            models.Index(fields=["warranty_end"], name="asset_warranty_end_idx"),
            models.Index(fields=["lease_end"], name="asset_lease_end_idx"),
            models.Index(fields=["supplier"], name="asset_supplier_idx"),
            models.Index(fields=["order_reference"], name="asset_order_ref_idx"),
        ]

    def __str__(self) -> str:
        return self.asset_tag

    def get_absolute_url(self) -> str:
        return reverse("asset_detail", args=[self.pk])


class AssetAssignment(OwnerScopedModel):
    """Who had a device, for which owner and at whose cost, from when to when (utlåning).

    Exactly one open row per asset; every change of owner, person or cost centre closes it and
    opens the next, so the history is complete for billing and for a GDPR request.
    """

    PERSON_PATH = "person_id"  # an end user's own devices, for the portal

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(Asset, verbose_name=_("asset"), on_delete=models.PROTECT, related_name="assignments")
    person = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="asset_assignments",
    )
    cost_centre = models.ForeignKey(
        "tenancy.CostCentre",
        verbose_name=_("cost centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_unit = models.ForeignKey(
        "tenancy.OrgUnit", verbose_name=_("org unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("from"), default=timezone.now)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=40, blank=True)

    # What the stored reason codes mean to a reader (the codes stay as they are in the database).
    REASON_LABELS: ClassVar[dict[str, Any]] = {
        "created": _("New device"),
        "check_out": _("Handed out"),
        "check_in": _("Returned"),
        "moved": _("Moved"),
        "import": _("Imported"),
    }

    @property
    def reason_label(self) -> str:
        return str(self.REASON_LABELS.get(self.reason, self.reason))

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["asset"], condition=Q(ended_at__isnull=True), name="assignment_one_open"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="assignment_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["asset", "-started_at"], name="assignment_asset_idx"),
            models.Index(fields=["person", "-started_at"], name="assignment_person_idx"),
            models.Index(fields=["owner", "-started_at"], name="assignment_owner_idx"),
            models.Index(fields=["cost_centre", "-started_at"], name="assignment_costcentre_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.started_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("asset_detail", args=[self.asset_id])
