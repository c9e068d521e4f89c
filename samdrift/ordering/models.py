"""Ordering under the framework agreement (avrop under ramavtal).

Operator reference data (suppliers, framework agreements, their price lists, the service catalogue
and client packages) is seen by the company's staff; owners see the catalogue only through the
order form. Orders, their lines, approvers, purchase orders and deliveries belong to one owner.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import OperatorOnlyModel, OwnerScopedModel
from samdrift.core.models import Job
from samdrift.core.roles import Role
from samdrift.tenancy.validators import validate_orgnr

# Who keeps suppliers, agreements, price lists and the catalogue.
CATALOGUE_ROLES: frozenset[str] = frozenset({Role.ADMIN, Role.FINANCE})
# Who buys: creates purchase orders, registers confirmations, deliveries and hand-overs.
PURCHASING_ROLES: frozenset[str] = frozenset({Role.ADMIN, Role.TECHNICIAN})
OWNER_ORDER_ROLES: frozenset[str] = frozenset({Role.OWNER_VIEWER, Role.ORDERER, Role.APPROVER})


def money_field(verbose_name: object, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


def price_field(verbose_name: object, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=4, **kwargs)  # type: ignore[arg-type]


class OperatorModel(OperatorOnlyModel):
    """Reference data kept by the operator: its staff see it, owner users never by id."""

    class Meta:
        abstract = True


# --- suppliers and agreements ------------------------------------------------------------------


class OrderChannel(models.TextChoices):
    EMAIL = "email", _("Email with attachment")
    FILE = "file", _("File")
    API = "api", _("API (later)")


class Supplier(OperatorModel):
    """A supplier (leverantör) the company buys from under a framework agreement."""

    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(_("organisation number"), max_length=11, validators=[validate_orgnr])
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    email = models.EmailField(_("order email"), blank=True, help_text=_("Purchase orders are sent here."))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    channel = models.CharField(_("ordering channel"), max_length=10, choices=OrderChannel.choices, default="email")
    attachment_format = models.CharField(
        _("attachment format"), max_length=4, choices=[("csv", "CSV"), ("xlsx", "XLSX")], default="csv"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["org_number"], name="ordering_supplier_orgnr_unique")]
        indexes = [models.Index(fields=["name", "id"], name="ordering_supplier_name_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("supplier_detail", args=[self.pk])


class CallOffMethod(models.TextChoices):
    DIRECT = "direct", _("Direct call-off")
    RANKED = "ranked", _("Ranking order")
    MINI_COMPETITION = "mini_competition", _("Renewed competition")


class Agreement(OperatorModel):
    """A framework agreement (ramavtal): max 4 years (LOU 7 kap. 2 §) and a stated maximum value."""

    reference = models.CharField(_("registration number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="agreements"
    )
    parties = models.ManyToManyField(
        "tenancy.Owner", verbose_name=_("parties allowed to call off"), related_name="+", blank=True
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    extension_options = models.PositiveSmallIntegerField(_("extension options"), default=0)
    extensions_taken = models.PositiveSmallIntegerField(_("extensions taken"), default=0)
    max_value = money_field(_("maximum value (SEK)"))
    call_off_method = models.CharField(
        _("call-off method"), max_length=20, choices=CallOffMethod.choices, default=CallOffMethod.DIRECT
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    secret_until_award = models.BooleanField(
        _("secret until award"), default=False, help_text=_("OSL 19 kap. 3 §: procurement secrecy until the award.")
    )
    awarded = models.DateField(_("award date"), null=True, blank=True)
    handling_fee_percent = models.DecimalField(
        _("handling fee (%)"), max_digits=5, decimal_places=2, default=Decimal(0),
        help_text=_("Added to the agreement price when a delivery is charged to the owner."),
    )  # fmt: skip
    alert_12_sent = models.DateTimeField(_("12-month alert sent"), null=True, blank=True, editable=False)
    alert_6_sent = models.DateTimeField(_("6-month alert sent"), null=True, blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("framework agreement")
        verbose_name_plural = _("framework agreements")
        ordering = ["-end", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="ordering_agreement_end_after_start"),
            models.CheckConstraint(
                condition=Q(extensions_taken__lte=models.F("extension_options")),
                name="ordering_agreement_extensions_within_options",
            ),
        ]
        indexes = [
            models.Index(fields=["end", "id"], name="ordering_agreement_end_idx"),
            models.Index(fields=["supplier", "id"], name="ordering_agreement_sup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("agreement_detail", args=[self.pk])

    @property
    def extensions_left(self) -> int:
        return self.extension_options - self.extensions_taken

    @property
    def is_secret(self) -> bool:
        return self.secret_until_award and self.awarded is None


class AgreementArticle(OperatorModel):
    """One price of one article under an agreement, for one validity period (prislista).

    Never edited in place: a new price is a new row from the day it applies, and the row before it
    gets its last day. The article number is the stable identity packages refer to.
    """

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("framework agreement"), on_delete=models.PROTECT, related_name="articles"
    )
    article_number = models.CharField(_("article number"), max_length=60)
    description = models.CharField(_("description"), max_length=300)
    unit = models.CharField(_("unit"), max_length=20, default="st")
    category = models.CharField(_("category"), max_length=40, blank=True)
    unit_price = price_field(_("unit price (SEK)"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    price_import = models.ForeignKey(
        "PriceImport", verbose_name=_("price-list import"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("agreement price")
        verbose_name_plural = _("agreement prices")
        ordering = ["agreement", "article_number", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "article_number", "valid_from"], name="ordering_article_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="ordering_article_valid_to_after_from",
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="ordering_article_price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["agreement", "article_number", "valid_from"], name="ordering_article_lookup_idx"),
            models.Index(fields=["agreement", "valid_to", "id"], name="ordering_article_current_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.article_number} {self.description}"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded, not checked")
    CHECKING = "checking", _("Dry run under way")
    CHECKED = "checked", _("Checked (dry run)")
    APPLYING = "applying", _("Import under way")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")


class PriceImport(OperatorModel, Job):
    """A supplier's price-list file as received, its dry-run report and whether it was applied."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("framework agreement"), on_delete=models.PROTECT, related_name="imports"
    )
    valid_from = models.DateField(_("valid from"))
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file as received"))
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.CHECKED)
    report = models.JSONField(_("report"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    changed_count = models.PositiveIntegerField(_("changed"), default=0)
    removed_count = models.PositiveIntegerField(_("removed"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    created = models.DateTimeField(_("received"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("price-list import")
        verbose_name_plural = _("price-list imports")
        ordering = ["-id"]
        indexes = [models.Index(fields=["agreement", "id"], name="ordering_priceimport_agr_idx")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.valid_from})"

    def get_absolute_url(self) -> str:
        return reverse("priceimport_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in {ImportStatus.CHECKING, ImportStatus.APPLYING}

    @property
    def progress_indeterminate(self) -> bool:
        """The import is one transaction: nothing to count until it commits."""
        return self.status == ImportStatus.APPLYING


# --- service catalogue -------------------------------------------------------------------------


class ServiceKind(models.TextChoices):
    ONE_TIME = "one_time", _("One-time product")
    MONTHLY = "monthly", _("Monthly subscription")
    METERED = "metered", _("Metered consumption")
    HOURLY = "hourly", _("Hourly work")


ORDERABLE_ROLE_CHOICES = [(Role.ORDERER.value, Role.ORDERER.label), (Role.APPROVER.value, Role.APPROVER.label)]


class Service(OperatorModel):
    """A service the company offers its owners (tjänst), priced at self-cost per validity period."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=ServiceKind.choices)
    unit = models.CharField(_("unit"), max_length=20, default="st", help_text=_("For example GB-month or hour."))
    description = models.TextField(_("description"), blank=True)
    sla = models.TextField(_("SLA"), blank=True)
    orderable_by = models.JSONField(_("roles that may order"), default=list, blank=True)
    billing_article = models.ForeignKey(
        "billing.Article", verbose_name=_("billing article"), on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name", "id"], name="ordering_service_name_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("service_detail", args=[self.pk])


class ServicePrice(OperatorModel):
    """The price of a service for one validity period; a new price is a new row."""

    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="prices")
    price = price_field(_("price (SEK)"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("service price")
        verbose_name_plural = _("service prices")
        ordering = ["service", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["service", "valid_from"], name="ordering_serviceprice_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="ordering_serviceprice_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.price} ({self.valid_from})"


class Package(OperatorModel):
    """A client package (klientpaket): agreement articles and services with quantities."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("client package")
        verbose_name_plural = _("client packages")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("package_detail", args=[self.pk])


class PackageLine(OperatorModel):
    """One line of a package: an agreement article (bought) or a catalogue service (billed)."""

    package = models.ForeignKey(Package, verbose_name=_("package"), on_delete=models.CASCADE, related_name="lines")
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("framework agreement"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    article_number = models.CharField(_("article number"), max_length=60, blank=True)
    asset_model = models.ForeignKey(
        "assets.AssetModel", verbose_name=_("asset model"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Set for devices: each delivered unit becomes an asset."),
    )  # fmt: skip
    billing_article = models.ForeignKey(
        "billing.Article", verbose_name=_("billing article"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    service = models.ForeignKey(
        Service, verbose_name=_("service"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)

    class Meta:
        verbose_name = _("package line")
        verbose_name_plural = _("package lines")
        ordering = ["package", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(service__isnull=True) & Q(agreement__isnull=False) & ~Q(article_number=""))
                | (Q(service__isnull=False) & Q(agreement__isnull=True) & Q(article_number="")),
                name="ordering_packageline_article_or_service",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="ordering_packageline_quantity"),
        ]

    def __str__(self) -> str:
        return str(self.service) if self.service_id else f"{self.article_number}"


# --- approvers ---------------------------------------------------------------------------------


class Approver(OwnerScopedModel):
    """An approver (attestant) of a cost centre up to a limit, or of the whole owner at level 2."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    cost_centre = models.ForeignKey(
        "tenancy.CostCentre", verbose_name=_("cost centre"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Empty for a second-level approver of the whole owner."),
    )  # fmt: skip
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approver"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(
        _("level"), choices=[(1, _("Cost centre")), (2, _("Second level"))], default=1
    )
    limit = money_field(_("amount limit (SEK)"), null=True, blank=True, help_text=_("Empty: no limit."))
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("substitute"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    away_from = models.DateField(_("away from"), null=True, blank=True)
    away_until = models.DateField(_("away until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("approver")
        verbose_name_plural = _("approvers")
        ordering = ["owner", "level", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level=2, cost_centre__isnull=True) | Q(level=1, cost_centre__isnull=False),
                name="ordering_approver_level_scope",
            ),
            models.UniqueConstraint(fields=["owner", "cost_centre", "user"], name="ordering_approver_unique"),
        ]
        indexes = [
            models.Index(fields=["owner", "id"], name="ordering_approver_owner_idx"),
            models.Index(fields=["cost_centre", "level"], name="ordering_approver_cc_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_level_display()})"

    def get_absolute_url(self) -> str:
        return reverse("approver_detail", args=[self.pk])


# --- orders ------------------------------------------------------------------------------------


#: At most this many packages and services in one order (each for every recipient).
MAX_ORDER_ITEMS = 20


class OrderStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    ORDERED = "ordered", _("Ordered from supplier")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Handed over")


class Order(OwnerScopedModel):
    """An order (beställning) by an owner's orderer for one or more recipients, on a cost centre."""

    OWNER_VIEW_ROLES = OWNER_ORDER_ROLES

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    orderer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("orderer"), on_delete=models.PROTECT, related_name="+"
    )
    cost_centre = models.ForeignKey(
        "tenancy.CostCentre", verbose_name=_("cost centre"), on_delete=models.PROTECT, related_name="+"
    )
    delivery_site = models.ForeignKey(
        "assets.Site", verbose_name=_("delivery site"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    delivery_address = models.CharField(_("delivery address"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.SUBMITTED)
    one_time_total = money_field(_("one-time cost (SEK)"), default=Decimal(0))
    monthly_total = money_field(_("monthly cost (SEK)"), default=Decimal(0))
    approval_level = models.PositiveSmallIntegerField(_("approval level"), default=1)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    decision_reason = models.TextField(_("reason"), blank=True)
    approval_round = models.PositiveSmallIntegerField(_("approval round"), default=1)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "id"], name="ordering_order_owner_idx"),
            models.Index(fields=["owner", "status", "id"], name="ordering_order_status_idx"),
            models.Index(fields=["status", "id"], name="ordering_order_st_idx"),
            models.Index(fields=["cost_centre", "status", "id"], name="ordering_order_cc_idx"),
            models.Index(fields=["orderer", "id"], name="ordering_order_orderer_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"B-{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("order_detail", args=[self.pk])

    @property
    def approval_amount(self) -> Decimal:
        """What the approval limit is compared with: the one-time cost plus a year of the monthly."""
        return self.one_time_total + 12 * self.monthly_total


class LineStatus(models.TextChoices):
    OPEN = "open", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    ORDERED = "ordered", _("Ordered")
    CONFIRMED = "confirmed", _("Confirmed by supplier")
    DELIVERED = "delivered", _("Delivered")
    HANDED_OVER = "handed_over", _("Handed over")
    CANCELLED = "cancelled", _("Cancelled")


class OrderLine(OwnerScopedModel):
    """One package or service for one recipient; its timestamps are the lead-time stages."""

    OWNER_VIEW_ROLES = OWNER_ORDER_ROLES
    PERSON_PATH = "recipient_id"  # a recipient follows their own lines

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="lines")
    recipient = models.ForeignKey(
        "tenancy.Person", verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="+"
    )
    package = models.ForeignKey(
        Package, verbose_name=_("package"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        Service, verbose_name=_("service"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    description = models.CharField(_("description"), max_length=200)
    one_time_price = money_field(_("one-time price (SEK)"), default=Decimal(0))
    monthly_price = money_field(_("monthly price (SEK)"), default=Decimal(0))
    status = models.CharField(_("status"), max_length=12, choices=LineStatus.choices, default=LineStatus.OPEN)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    ordered_at = models.DateTimeField(_("ordered"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(package__isnull=True, service__isnull=False)
                | Q(package__isnull=False, service__isnull=True),
                name="ordering_line_package_or_service",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="ordering_line_quantity"),
        ]
        indexes = [
            models.Index(fields=["owner", "id"], name="ordering_line_owner_idx"),
            models.Index(fields=["order", "id"], name="ordering_line_order_idx"),
            models.Index(fields=["recipient", "id"], name="ordering_line_recipient_idx"),
            models.Index(fields=["status", "id"], name="ordering_line_status_idx"),
            models.Index(fields=["owner", "submitted_at"], name="ordering_line_submitted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.description} · {self.recipient_id}"

    def get_absolute_url(self) -> str:
        return reverse("order_detail", args=[self.order_id])


# --- purchase orders and deliveries ------------------------------------------------------------


class POStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    CONFIRMED = "confirmed", _("Confirmed")
    PARTIAL = "partial", _("Partly delivered")
    DELIVERED = "delivered", _("Delivered")


class PurchaseOrder(OwnerScopedModel):
    """A purchase order (inköpsorder) to one supplier for one order, at the agreement price of the day."""

    OWNER_VIEW_ROLES = OWNER_ORDER_ROLES

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="purchase_orders")
    supplier = models.ForeignKey(Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("framework agreement"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=POStatus.choices, default=POStatus.SENT)
    total = money_field(_("total (SEK)"), default=Decimal(0))
    created = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    supplier_reference = models.CharField(_("supplier's reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "id"], name="ordering_po_owner_idx"),
            models.Index(fields=["status", "id"], name="ordering_po_status_idx"),
            models.Index(fields=["supplier", "id"], name="ordering_po_supplier_idx"),
            models.Index(fields=["agreement", "id"], name="ordering_po_agreement_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"IO-{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("purchaseorder_detail", args=[self.pk])


class PurchaseOrderLine(OwnerScopedModel):
    """One article line of a purchase order; `amount` counts against the agreement's maximum."""

    OWNER_VIEW_ROLES = OWNER_ORDER_ROLES

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    purchase_order = models.ForeignKey(
        PurchaseOrder, verbose_name=_("purchase order"), on_delete=models.PROTECT, related_name="lines"
    )
    order_line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.PROTECT, related_name="po_lines"
    )
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("framework agreement"), on_delete=models.PROTECT, related_name="+"
    )
    article_number = models.CharField(_("article number"), max_length=60)
    description = models.CharField(_("description"), max_length=300)
    category = models.CharField(_("category"), max_length=40, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = price_field(_("unit price (SEK)"))
    amount = money_field(_("amount (SEK)"))
    handling_fee_percent = models.DecimalField(
        _("handling fee (%)"), max_digits=5, decimal_places=2, default=Decimal(0)
    )
    asset_model = models.ForeignKey(
        "assets.AssetModel", verbose_name=_("asset model"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    billing_article = models.ForeignKey(
        "billing.Article", verbose_name=_("billing article"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    delivered_quantity = models.PositiveIntegerField(_("delivered"), default=0)
    # From the supplier's order confirmation (orderbekräftelse); empty until it is registered.
    confirmed_quantity = models.PositiveIntegerField(_("confirmed quantity"), null=True, blank=True)
    confirmed_delivery = models.DateField(_("expected delivery"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["purchase_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivered_quantity__lte=models.F("quantity")), name="ordering_poline_not_overdelivered"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_quantity__isnull=True) | Q(confirmed_quantity__lte=models.F("quantity")),
                name="ordering_poline_not_overconfirmed",
            ),
        ]
        indexes = [
            models.Index(fields=["purchase_order", "id"], name="ordering_poline_po_idx"),
            models.Index(fields=["agreement", "owner", "category"], name="ordering_poline_agr_idx"),
            models.Index(fields=["order_line"], name="ordering_poline_line_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.article_number} × {self.quantity}"


class Delivery(OwnerScopedModel):
    """A delivery (leverans) registered against a purchase order, by file or by hand."""

    OWNER_VIEW_ROLES = OWNER_ORDER_ROLES

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    purchase_order = models.ForeignKey(
        PurchaseOrder, verbose_name=_("purchase order"), on_delete=models.PROTECT, related_name="deliveries"
    )
    delivered_on = models.DateField(_("delivery date"))
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    created = models.DateTimeField(_("registered"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["purchase_order", "id"], name="ordering_delivery_po_idx")]

    def __str__(self) -> str:
        return f"{self.purchase_order_id} {self.delivered_on}"


class DeliveredUnit(OwnerScopedModel):
    """One delivered unit: its serial number (unique: a serial delivered twice is refused)."""

    OWNER_VIEW_ROLES = OWNER_ORDER_ROLES

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    delivery = models.ForeignKey(Delivery, verbose_name=_("delivery"), on_delete=models.PROTECT, related_name="units")
    po_line = models.ForeignKey(
        PurchaseOrderLine, verbose_name=_("purchase order line"), on_delete=models.PROTECT, related_name="units"
    )
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    asset = models.ForeignKey(
        "assets.Asset", verbose_name=_("asset"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("delivered unit")
        verbose_name_plural = _("delivered units")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["serial_number"], condition=~Q(serial_number=""), name="ordering_unit_serial_unique"
            )
        ]
        indexes = [models.Index(fields=["po_line"], name="ordering_unit_poline_idx")]

    def __str__(self) -> str:
        return self.serial_number or f"#{self.pk}"
