"""Software licences: products, the entitlements bought and their assignments."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.assets.models.catalogue import CatalogueModel
from samdrift.assets.models.devices import Asset
from samdrift.core.access import OwnerScopedModel


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
