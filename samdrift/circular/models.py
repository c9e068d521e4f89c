"""Take-back (återtag): devices handed to the framework agreement's partner in batches, the partner's
erasure report, an erasure certificate per device, the residual value credited to the device's
owner and the CO2e avoided by its outcome.

A batch and a partner report may hold devices of several owners, so they are the operator's
(staff see them); what belongs to one owner (a batch item, a certificate) carries that owner and is
what the owner's users see. Received files are kept as they came (DESIGN.md rule 4).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import OperatorOnlyModel, OwnerScopedModel, Scope, ScopedQuerySet
from samdrift.core.models import Job
from samdrift.core.roles import Role

STAFF = frozenset({Role.ADMIN, Role.TECHNICIAN})
# Staff who see take-back: technicians run it, finance follows the credits, records keeps the files.
VIEW_STAFF = frozenset({Role.ADMIN, Role.TECHNICIAN, Role.FINANCE, Role.RECORDS_OFFICER})
MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}


class StaffScopedModel(OperatorOnlyModel):
    """Rows of the operator's take-back work, across owners: staff see them, owner users do not."""

    OPERATOR_VIEW_ROLES = VIEW_STAFF

    class Meta:
        abstract = True


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class Partner(StaffScopedModel):
    """The take-back partner (återtagspartner) under the framework agreement: collects, erases,
    reuses, resells or recycles devices and reports per serial number."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    email = models.EmailField(_("e-mail for pickup orders"), blank=True)
    attachment_format = models.CharField(
        _("pickup order file"), max_length=4, choices=FileFormat.choices, default=FileFormat.CSV
    )
    credit_article = models.CharField(
        _("billing article for residual values"),
        max_length=40,
        default="RESTVARDE",
        help_text=_("The article code (in billing) the owners' residual-value credits are booked on."),
    )
    missing_after_days = models.PositiveSmallIntegerField(
        _("report due within (days)"),
        default=30,
        help_text=_("A device received by the partner and not reported within this many days is missing."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("take-back partner")
        verbose_name_plural = _("take-back partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SecurityContact(OwnerScopedModel):
    """Who receives an owner's security incidents about take-back (a device not erased or missing):
    the owner's security officer (informationssäkerhetssamordnare)."""

    OPERATOR_VIEW_ROLES = VIEW_STAFF
    OWNER_VIEW_ROLES = frozenset({Role.OWNER_VIEWER})

    owner = models.OneToOneField("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "tenancy.Person", verbose_name=_("security officer"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("security officer")
        verbose_name_plural = _("security officers")
        ordering = ["owner_id"]

    def __str__(self) -> str:
        return str(self.person)


class BatchStatus(models.TextChoices):
    OPEN = "open", _("Being packed")
    ORDERED = "ordered", _("Pickup ordered")
    PICKED_UP = "picked_up", _("Picked up")
    RECEIVED = "received", _("Received by the partner")
    REPORTED = "reported", _("Reported")
    CLOSED = "closed", _("Closed")


BATCH_FLOW = [BatchStatus.OPEN, BatchStatus.ORDERED, BatchStatus.PICKED_UP, BatchStatus.RECEIVED]


class Batch(StaffScopedModel):
    """A take-back batch (återtagsomgång): the devices one pickup takes to the partner, packed in
    numbered, sealed boxes. Devices of several owners may share a batch."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="batches")
    status = models.CharField(_("status"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.OPEN)
    pickup_address = models.CharField(_("pickup address"), max_length=300, blank=True)
    pickup_date = models.DateField(_("requested pickup date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    ordered_at = models.DateTimeField(_("pickup ordered"), null=True, blank=True)
    order_sent_at = models.DateTimeField(_("pickup order delivered"), null=True, blank=True)
    picked_up_at = models.DateTimeField(_("picked up"), null=True, blank=True)
    received_at = models.DateTimeField(_("received by the partner"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("take-back batch")
        verbose_name_plural = _("take-back batches")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "id"], name="circ_batch_status_idx"),
            models.Index(fields=["partner", "id"], name="circ_batch_partner_idx"),
            models.Index(fields=["closed_at"], name="circ_batch_closed_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("circular_batch_detail", args=[self.pk])


class ItemState(models.TextChoices):
    PACKED = "packed", _("Packed")
    ERASED = "erased", _("Erased, certificate stored")
    NOT_ERASED = "not_erased", _("Not erased (incident)")
    MISSING = "missing", _("Missing (incident)")
    LOST = "lost", _("Lost or stolen (left the batch)")


class Outcome(models.TextChoices):
    REUSED = "reused", _("Reused")
    RESOLD = "resold", _("Resold")
    RECYCLED = "recycled", _("Recycled")


class BatchItem(OwnerScopedModel):
    """One device in a batch (återtagen enhet), with its box and seal, and once reported its
    outcome, residual value (credited to its owner) and the CO2e avoided with factor and source."""

    OPERATOR_VIEW_ROLES = VIEW_STAFF
    OWNER_VIEW_ROLES = frozenset({Role.OWNER_VIEWER, Role.APPROVER})

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="items")
    asset = models.OneToOneField(
        "assets.Asset", verbose_name=_("device"), on_delete=models.PROTECT, related_name="takeback_item"
    )
    serial_number = models.CharField(_("serial number"), max_length=100)
    box = models.CharField(_("box"), max_length=40, blank=True)
    seal = models.CharField(_("seal"), max_length=40, blank=True)
    added_at = models.DateTimeField(_("packed"), default=timezone.now)
    state = models.CharField(_("state"), max_length=12, choices=ItemState.choices, default=ItemState.PACKED)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    residual_value = models.DecimalField(_("residual value (SEK)"), **MONEY, null=True, blank=True)
    credit = models.ForeignKey(
        "circular.Credit", verbose_name=_("credit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="items",
    )  # fmt: skip
    co2e_avoided_kg = models.DecimalField(
        _("CO2e avoided (kg)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    co2e_factor = models.CharField(_("CO2e factor"), max_length=200, blank=True)
    co2e_source = models.CharField(_("CO2e source"), max_length=300, blank=True)
    report_line = models.ForeignKey(
        "circular.ReportLine", verbose_name=_("report line"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("take-back device")
        verbose_name_plural = _("take-back devices")
        ordering = ["batch_id", "box", "id"]
        indexes = [
            models.Index(fields=["batch", "owner", "id"], name="circ_item_batch_owner_idx"),
            models.Index(fields=["owner", "id"], name="circ_item_owner_idx"),
            models.Index(fields=["owner", "state", "id"], name="circ_item_owner_state_idx"),
            models.Index(fields=["owner", "closed_at"], name="circ_item_owner_closed_idx"),
            models.Index(fields=["batch", "serial_number"], name="circ_item_batch_serial_idx"),
            models.Index(fields=["outcome", "id"], name="circ_item_outcome_idx"),
        ]

    def __str__(self) -> str:
        return self.serial_number

    def get_absolute_url(self) -> str:
        return reverse("circular_item_detail", args=[self.pk])


class ReportMapping(StaffScopedModel):
    """A saved column mapping (importmall) for a partner's report: which column holds which field.
    The partners' files differ (Swedish or English headers, extra columns); staff save one per
    partner and reuse it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), null=True, blank=True, on_delete=models.PROTECT, related_name="mappings"
    )
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    created = models.DateTimeField(_("saved"), default=timezone.now)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("report column mapping")
        verbose_name_plural = _("report column mappings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded, columns not chosen")
    CHECKING = "checking", _("Dry run under way")
    EXCEPTIONS = "exceptions", _("Checked, exceptions to resolve")
    READY = "ready", _("Checked, ready to apply")
    APPLYING = "applying", _("Being applied")
    APPLIED = "applied", _("Applied")
    ERROR = "error", _("Stopped by an error")


class PartnerReport(StaffScopedModel, Job):
    """The partner's erasure and outcome report (rapport) for a batch, as received, with its dry run
    and, once applied, what it did. Applying is all-or-nothing."""

    batch = models.ForeignKey(Batch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="reports")
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file as received"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_format = models.CharField(_("format"), max_length=4, blank=True)
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ReportState.choices, default=ReportState.UPLOADED)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    file_errors = models.JSONField(_("file errors"), default=list, blank=True)
    uploaded = models.DateTimeField(_("received"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner report")
        verbose_name_plural = _("partner reports")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["batch", "id"], name="circ_report_batch_idx"),
            models.Index(fields=["status", "id"], name="circ_report_status_idx"),
            models.Index(fields=["applied_at"], name="circ_report_applied_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.batch.number}: {self.filename}" if self.batch_id else self.filename

    def get_absolute_url(self) -> str:
        return reverse("circular_report_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in {ReportState.CHECKING, ReportState.APPLYING}

    @property
    def progress_indeterminate(self) -> bool:
        return self.status == ReportState.APPLYING


class EraseMethod(models.TextChoices):
    CLEAR = "clear", _("NIST SP 800-88 Clear")
    PURGE = "purge", _("NIST SP 800-88 Purge")
    DESTROY = "destroy", _("NIST SP 800-88 Destroy")
    PHYSICAL = "physical", _("Physical destruction")


class EraseResult(models.TextChoices):
    ERASED = "erased", _("Erased")
    EXCEPTIONS = "exceptions", _("Erased with exceptions")
    NOT_ERASED = "not_erased", _("Not erased")


class Problem(models.TextChoices):
    """What the dry run found that someone must decide before the report is applied."""

    INVALID = "invalid", _("Invalid row")
    DUPLICATE = "duplicate", _("Serial number twice in the report")
    UNKNOWN = "unknown", _("Unknown serial number")
    NOT_SENT = "not_sent", _("Never sent in this batch")
    ALREADY = "already", _("Already reported")
    OWNER = "owner", _("Owner differs from the batch")
    EXCEPTIONS = "exceptions", _("Erased with exceptions")
    NOT_ERASED = "not_erased", _("Not erased")
    MISSING = "missing", _("Missing from the report")
    NO_OFFICER = "no_officer", _("No security officer for the owner")


class Resolution(models.TextChoices):
    IGNORE = "ignore", _("Leave out of this report")
    ACCEPT = "accept", _("Apply as reported")
    INCIDENT = "incident", _("Raise an incident for the security officer")
    NEW_BATCH = "new_batch", _("Put in a new batch")
    LOST = "lost", _("Report as lost")


# Which resolutions each problem allows; a problem without any (an invalid row) is corrected in the
# file and the report uploaded again.
RESOLUTIONS: dict[str, tuple[str, ...]] = {
    Problem.INVALID: (Resolution.IGNORE,),
    Problem.DUPLICATE: (),
    Problem.UNKNOWN: (Resolution.IGNORE,),
    Problem.NOT_SENT: (Resolution.IGNORE,),
    Problem.ALREADY: (Resolution.IGNORE,),
    Problem.OWNER: (Resolution.ACCEPT, Resolution.IGNORE),
    Problem.EXCEPTIONS: (Resolution.ACCEPT, Resolution.INCIDENT),
    Problem.NOT_ERASED: (Resolution.INCIDENT,),
    Problem.MISSING: (Resolution.NEW_BATCH, Resolution.LOST, Resolution.INCIDENT, Resolution.IGNORE),
    Problem.NO_OFFICER: (),
}


class ReportLine(StaffScopedModel):
    """One row of a partner report as read and checked (a device missing from the report is a line
    of its own, without a row number). `owner` is the device's owner when the serial is known."""

    report = models.ForeignKey(PartnerReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="lines")
    row = models.PositiveIntegerField(_("row"), null=True, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    asset = models.ForeignKey(
        "assets.Asset", verbose_name=_("device"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        BatchItem, verbose_name=_("batch device"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        "tenancy.Owner", verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("erasure method"), max_length=10, choices=EraseMethod.choices, blank=True)
    standard = models.CharField(_("standard"), max_length=100, blank=True)
    erasure_report_id = models.CharField(_("erasure report id"), max_length=100, blank=True)
    erased_at = models.DateTimeField(_("erasure time"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=12, choices=EraseResult.choices, blank=True)
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    residual_value = models.DecimalField(_("residual value (SEK)"), **MONEY, null=True, blank=True)
    raw = models.JSONField(_("row as read"), default=dict, blank=True)
    problem = models.CharField(_("exception"), max_length=12, choices=Problem.choices, blank=True)
    message = models.CharField(_("details"), max_length=500, blank=True)
    resolution = models.CharField(_("resolution"), max_length=10, choices=Resolution.choices, blank=True)
    resolution_note = models.CharField(_("note"), max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    ticket_number = models.CharField(_("incident"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("report line")
        verbose_name_plural = _("report lines")
        ordering = ["report_id", "row", "id"]
        indexes = [
            models.Index(fields=["report", "problem", "id"], name="circ_line_report_problem_idx"),
            models.Index(fields=["report", "row"], name="circ_line_report_row_idx"),
            models.Index(fields=["asset"], name="circ_line_asset_idx"),
            models.Index(fields=["item"], name="circ_line_item_idx"),
            models.Index(fields=["owner", "id"], name="circ_line_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.serial_number or '-'} ({self.row or '-'})"

    @property
    def open_problem(self) -> bool:
        return bool(self.problem) and not self.resolution

    @property
    def allowed_resolutions(self) -> list[tuple[str, str]]:
        return [(r, str(Resolution(r).label)) for r in RESOLUTIONS.get(self.problem, ())]


class Credit(OwnerScopedModel):
    """The residual value of one owner's devices in one applied report (kreditering), credited on
    the owner's next invoice through billing. The invoice line leads here, and from here to each
    device and its report line."""

    OPERATOR_VIEW_ROLES = VIEW_STAFF
    OWNER_VIEW_ROLES = frozenset({Role.OWNER_VIEWER, Role.APPROVER})

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(
        PartnerReport, verbose_name=_("report"), on_delete=models.PROTECT, related_name="credits"
    )
    amount = models.DecimalField(_("amount (SEK)"), **MONEY)
    devices = models.PositiveIntegerField(_("devices"))
    charge_id = models.PositiveBigIntegerField(_("billing credit"), null=True, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("residual-value credit")
        verbose_name_plural = _("residual-value credits")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["report", "owner"], name="circ_credit_report_owner")]
        indexes = [models.Index(fields=["owner", "id"], name="circ_credit_owner_idx")]

    def __str__(self) -> str:
        return _("Residual value %(batch)s") % {"batch": self.report.batch.number}

    def get_absolute_url(self) -> str:
        return reverse("circular_credit_detail", args=[self.pk])


class CertificateSource(models.TextChoices):
    PARTNER = "partner", _("The partner's file")
    RENDERED = "rendered", _("Rendered by Samdrift from the report")


class Certificate(OwnerScopedModel):
    """The erasure certificate (raderingsintyg) of one device: the partner's own file, or a PDF
    Samdrift renders from the report line. An official record of the operator, kept as issued."""

    OPERATOR_VIEW_ROLES = VIEW_STAFF
    OWNER_VIEW_ROLES = frozenset({Role.OWNER_VIEWER, Role.APPROVER})

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    asset = models.OneToOneField(
        "assets.Asset", verbose_name=_("device"), on_delete=models.PROTECT, related_name="erasure_certificate"
    )
    item = models.OneToOneField(
        BatchItem, verbose_name=_("batch device"), on_delete=models.PROTECT, related_name="certificate"
    )
    report_line = models.ForeignKey(
        ReportLine, verbose_name=_("report line"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("number"), max_length=40, unique=True)
    source = models.CharField(_("source"), max_length=10, choices=CertificateSource.choices)
    serial_number = models.CharField(_("serial number"), max_length=100)
    method = models.CharField(_("erasure method"), max_length=10, choices=EraseMethod.choices)
    standard = models.CharField(_("standard"), max_length=100, blank=True)
    erasure_report_id = models.CharField(_("erasure report id"), max_length=100, blank=True)
    erased_at = models.DateTimeField(_("erasure time"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=12, choices=EraseResult.choices)
    issued = models.DateTimeField(_("issued"), default=timezone.now)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    mimetype = models.CharField(_("type"), max_length=100, blank=True)
    content = models.BinaryField(_("file"), blank=True, default=b"")
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("erasure certificate")
        verbose_name_plural = _("erasure certificates")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "id"], name="circ_cert_owner_idx"),
            models.Index(fields=["issued"], name="circ_cert_issued_idx"),
            models.Index(fields=["sha256"], condition=Q(sha256=""), name="circ_cert_unrendered_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("circular_certificate_download", args=[self.pk])


class Co2eFactor(models.Model):
    """A CO2e factor per device category (klimatfaktor) with its source, from the reference file
    (`co2e_factors.csv`) and replaceable by an administrator; every figure computed from it keeps
    the factor and its source."""

    category = models.CharField(_("category"), max_length=20, unique=True)
    reference_category = models.CharField(_("category in the source"), max_length=40)
    lifecycle_kg = models.DecimalField(_("life cycle (kg CO2e)"), max_digits=10, decimal_places=2, null=True)
    manufacturing_share = models.DecimalField(
        _("manufacturing share"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    reuse_saving_kg = models.DecimalField(
        _("saved per reused unit (kg CO2e)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    lifecycle_source = models.CharField(_("life-cycle source"), max_length=300, blank=True)
    reuse_source = models.CharField(_("reuse source"), max_length=300, blank=True)
    version = models.CharField(_("version"), max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("CO2e factor")
        verbose_name_plural = _("CO2e factors")
        ordering = ["category"]

    def __str__(self) -> str:
        return self.category

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        """Reference data: anyone signed in may read the factors behind the figures they see."""
        return qs if scope.user_id is not None or scope.is_system else qs.none()


class LossKind(models.TextChoices):
    LOST = "lost", _("Lost")
    STOLEN = "stolen", _("Stolen")


class LossReport(OwnerScopedModel):
    """A loss report (förlustanmälan) for a lost or stolen device: what happened, where and when,
    the police report for a theft, and whether the data on it was protected. An official record of
    the owner's, with its retention in the information management plan; the device goes to its lost
    or stolen status, leaves a take-back batch it was packed in, and the owner's security officer
    gets an incident. The person who reported it sees their own reports."""

    OPERATOR_VIEW_ROLES = VIEW_STAFF
    OWNER_VIEW_ROLES = frozenset({Role.OWNER_VIEWER, Role.APPROVER})
    PERSON_PATH = "reporter_person"

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=20, unique=True)
    asset = models.ForeignKey(
        "assets.Asset", verbose_name=_("device"), on_delete=models.PROTECT, related_name="loss_reports"
    )
    kind = models.CharField(_("lost or stolen"), max_length=8, choices=LossKind.choices)
    occurred_on = models.DateField(_("date of the loss"))
    place = models.CharField(_("place"), max_length=200)
    police_report = models.CharField(_("police report number"), max_length=40, blank=True)
    encrypted = models.BooleanField(_("the disk was encrypted"), default=False)
    remotely_wiped = models.BooleanField(_("remotely wiped"), default=False)
    description = models.TextField(_("what happened"), blank=True)
    reporter_person = models.ForeignKey(
        "tenancy.Person", verbose_name=_("reported by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    status_before = models.CharField(_("status before"), max_length=20, blank=True)
    batch_item = models.ForeignKey(
        BatchItem, verbose_name=_("take-back batch left"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="loss_reports",
    )  # fmt: skip
    report_line = models.ForeignKey(
        ReportLine, verbose_name=_("missing from report line"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    ticket_number = models.CharField(_("incident"), max_length=20, blank=True)
    created = models.DateTimeField(_("registered"), default=timezone.now)

    class Meta:
        verbose_name = _("loss report")
        verbose_name_plural = _("loss reports")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "id"], name="circ_loss_owner_idx"),
            models.Index(fields=["reporter_person", "id"], name="circ_loss_person_idx"),
            models.Index(fields=["created"], name="circ_loss_created_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("circular_loss_detail", args=[self.pk])
