"""Devices and what is known about them: the catalogue (manufacturers, models), sites, assets
(tillgångar), their assignment history, and what inventory agents report."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import OperatorOnlyModel, OwnerScopedModel, Scope, ScopedQuerySet
from samdrift.core.models import Job
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


# --- licences --------------------------------------------------------------------------------


class SoftwareProduct(CatalogueModel):
    """A software product (programvara) as we license it, with the names agents report for it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    aliases = models.TextField(
        _("reported names"),
        blank=True,
        help_text=_("Names inventory agents report for this product, one per line (case does not matter)."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("software product")
        verbose_name_plural = _("software products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("softwareproduct_detail", args=[self.pk])

    @property
    def alias_list(self) -> list[str]:
        names = {line.strip().lower() for line in self.aliases.splitlines() if line.strip()}
        names.add(self.name.strip().lower())
        return sorted(names)


class LicenceKind(models.TextChoices):
    PER_USER = "per_user", _("Per user")
    PER_DEVICE = "per_device", _("Per device")
    SITE = "site", _("Site licence")
    SUBSCRIPTION = "subscription", _("Subscription")


class LicenceEntitlement(OwnerScopedModel):
    """A licence bought (licensrätt): seats of a product for a period, paid by an owner or shared."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        SoftwareProduct, verbose_name=_("product"), on_delete=models.PROTECT, related_name="entitlements"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LicenceKind.choices)
    seats = models.PositiveIntegerField(_("seats"), default=1)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    cost = models.DecimalField(_("cost (SEK)"), max_digits=14, decimal_places=2, null=True, blank=True)
    shared = models.BooleanField(
        _("cost shared between owners"), default=False, help_text=_("Bought by the company for all owners.")
    )
    reference = models.CharField(_("agreement or order reference"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["product__name", "-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="entitlement_ends_after_start",
            )
        ]
        indexes = [
            models.Index(fields=["owner", "product"], name="entitlement_owner_product_idx"),
            models.Index(fields=["valid_until"], name="entitlement_until_idx"),
            models.Index(fields=["kind"], name="entitlement_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} × {self.seats}" if self.product_id else str(self.seats)

    def get_absolute_url(self) -> str:
        return reverse("licenceentitlement_detail", args=[self.pk])


class LicenceAssignment(OwnerScopedModel):
    """A seat of a licence given to a person or a device (licenstilldelning)."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    entitlement = models.ForeignKey(
        LicenceEntitlement, verbose_name=_("licence"), on_delete=models.PROTECT, related_name="assignments"
    )
    person = models.ForeignKey(
        "tenancy.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    asset = models.ForeignKey(
        Asset, verbose_name=_("asset"), null=True, blank=True, on_delete=models.PROTECT, related_name="licences"
    )
    created = models.DateTimeField(_("assigned"), default=timezone.now)

    class Meta:
        verbose_name = _("licence assignment")
        verbose_name_plural = _("licence assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, asset__isnull=True) | Q(person__isnull=True, asset__isnull=False),
                name="licence_assignment_person_or_asset",
            )
        ]
        indexes = [models.Index(fields=["entitlement"], name="licassign_entitlement_idx")]

    def __str__(self) -> str:
        return f"{self.entitlement_id}: {self.person_id or self.asset_id}"


# --- public Wi-Fi zones ----------------------------------------------------------------------


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


# --- imports ---------------------------------------------------------------------------------


class AssetImportMapping(models.Model):
    """A saved column mapping for asset files (importmall): which column of a supplier's delivery
    file or an MDM export holds which asset field. Kept for one owner, or for every owner when
    `owner` is empty. Only operator staff import, so only they see mappings."""

    OPERATOR_VIEW_ROLES: frozenset[str] = STAFF

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        "tenancy.Owner",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the mapping is offered for every owner."),
    )
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    created_by = models.ForeignKey(
        "tenancy.User", verbose_name=_("saved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("saved"), default=timezone.now)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"], condition=Q(owner__isnull=False), name="assetimportmapping_owner_name"
            ),
            models.UniqueConstraint(
                fields=["name"], condition=Q(owner__isnull=True), name="assetimportmapping_shared_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES):
            return qs
        return qs.none()


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded, columns not chosen")
    CHECKING = "checking", _("Dry run under way")
    VALIDATED = "validated", _("Checked, ready to import")
    FAILED_VALIDATION = "failed_validation", _("Checked, has errors")
    COMMITTING = "committing", _("Import under way")
    COMMITTED = "committed", _("Imported")
    ERROR = "error", _("Stopped by an error")


class AssetImport(OwnerScopedModel, Job):
    """One uploaded file of assets for one owner (importfil), its column mapping and the outcome
    of its dry run. The file is kept as received, whatever happens to its rows."""

    OPERATOR_VIEW_ROLES: frozenset[str] = STAFF
    OWNER_VIEW_ROLES: frozenset[str] = frozenset()

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("file"), upload_to="asset-imports/%Y/%m/", max_length=255)
    original_filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    file_format = models.CharField(_("format"), max_length=10, blank=True)
    headers = models.JSONField(_("columns in the file"), default=list, blank=True)
    columns = models.JSONField(_("column mapping"), default=dict, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    mapping = models.ForeignKey(
        AssetImportMapping,
        verbose_name=_("saved mapping"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=20, choices=ImportState.choices, default=ImportState.UPLOADED)
    file_errors = models.JSONField(_("errors in the file"), default=list, blank=True)
    notes = models.JSONField(_("notes"), default=list, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    create_count = models.PositiveIntegerField(_("new"), default=0)
    update_count = models.PositiveIntegerField(_("changed"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    created_by = models.ForeignKey(
        "tenancy.User", verbose_name=_("uploaded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("uploaded"), default=timezone.now)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    committed_at = models.DateTimeField(_("imported"), null=True, blank=True)
    committed_by = models.ForeignKey(
        "tenancy.User", verbose_name=_("imported by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("asset import")
        verbose_name_plural = _("asset imports")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "id"], name="assetimport_owner_idx"),
            models.Index(fields=["status", "id"], name="assetimport_status_idx"),
        ]

    def __str__(self) -> str:
        return self.original_filename

    def get_absolute_url(self) -> str:
        return reverse("assetimport_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in {ImportState.CHECKING, ImportState.COMMITTING}

    @property
    def progress_indeterminate(self) -> bool:
        """The import is one transaction: nothing to count until it commits."""
        return self.status == ImportState.COMMITTING


class AssetImportRow(OwnerScopedModel):
    """One row of an import's dry-run report: what it would do, or why it cannot."""

    OPERATOR_VIEW_ROLES: frozenset[str] = STAFF
    OWNER_VIEW_ROLES: frozenset[str] = frozenset()

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(AssetImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField(_("row"))
    action = models.CharField(_("outcome"), max_length=10)
    key = models.CharField(_("asset"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["batch", "row"]
        indexes = [
            models.Index(fields=["batch", "row"], name="assetimportrow_batch_idx"),
            models.Index(fields=["batch", "action", "row"], name="assetimportrow_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row}"
