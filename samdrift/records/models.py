"""Official records (allmänna handlingar): secrecy grounds, record types with their retention rules
(informationshanteringsplan), secrecy markings on any object, the records register (diarium),
public access requests (begäran om allmän handling), disposal (gallring), GDPR requests and the
log of reads of secrecy-marked records.

Everything here is the operator's records management: only records officers (and, reading,
operator administrators) see it. The rows are not owner-scoped; a case or request may name the
owner it concerns, but it belongs to the operator's register.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from samdrift.core.access import OperatorOnlyModel
from samdrift.core.models import Job
from samdrift.core.roles import Role

# Who reads records management data, and who does the work (registers, decides, disposes).
READ_ROLES: frozenset[str] = frozenset({Role.RECORDS_OFFICER, Role.ADMIN})
OFFICER_ROLES: frozenset[str] = frozenset({Role.RECORDS_OFFICER})


class RecordsModel(OperatorOnlyModel):
    """Operator records data: records officers and admins see all of it, nobody else any."""

    OPERATOR_VIEW_ROLES = READ_ROLES

    class Meta:
        abstract = True


class SecrecyGround(RecordsModel):
    """A ground for secrecy under OSL (sekretessgrund), e.g. OSL 18 kap. 8 § (security measures).

    Kept as data so that the records officer can add the grounds the operator meets; the `code`
    of the usual ones is the same as the service desk's confidential-ticket ground."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9_]+$", _("Lower-case letters, digits and _."))],
    )
    reference = models.CharField(
        _("provision"), max_length=100, help_text=_("As printed in a decision, e.g. OSL 18 kap. 8 §.")
    )
    description = models.CharField(_("what it protects"), max_length=300)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("secrecy ground")
        verbose_name_plural = _("secrecy grounds")
        ordering = ["reference", "id"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.description})"

    def get_absolute_url(self) -> str:
        return reverse("secrecyground_list")


class Ownership(models.TextChoices):
    OPERATOR = "operator", _("The operator's own official record")
    OWNER_DATA = "owner_data", _("Held only technically for an owner (not our official record)")


class RetentionEvent(models.TextChoices):
    CREATED = "created", _("Creation")
    CLOSED = "closed", _("Closure")
    END_OF_EMPLOYMENT = "end_of_employment", _("End of employment")
    FINANCIAL_YEAR = "financial_year", _("End of the financial year")


class DisposalMethod(models.TextChoices):
    DELETE = "delete", _("Delete")
    ANONYMISE = "anonymise", _("Anonymise")


class RecordType(RecordsModel):
    """A type of record in the information management plan (informationshanteringsplan).

    Says which objects of the system it covers (`content_type`, empty for letters registered by
    hand), whose record it is (`ownership`), whether it is registered, kept or disposed of N years
    after an event, and whether it goes to the archive. `decision` cites the decided rule that
    allows disposal (gallringsbeslut); without one nothing of the type is disposed of."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("system object"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ownership = models.CharField(
        _("whose record"), max_length=20, choices=Ownership.choices, default=Ownership.OPERATOR
    )
    registered = models.BooleanField(_("registered in the register"), default=False)
    keep = models.BooleanField(_("kept for ever"), default=True)
    retention_years = models.PositiveSmallIntegerField(
        _("disposed of after (years)"), null=True, blank=True, validators=[MaxValueValidator(200)]
    )
    retention_event = models.CharField(
        _("counted from"), max_length=20, choices=RetentionEvent.choices, default=RetentionEvent.CLOSED
    )
    disposal_method = models.CharField(
        _("disposal by"), max_length=10, choices=DisposalMethod.choices, default=DisposalMethod.DELETE
    )
    archived = models.BooleanField(_("delivered to the archive"), default=False)
    decision = models.CharField(_("disposal decision"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("record type")
        verbose_name_plural = _("record types")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(keep=True, retention_years__isnull=True) | Q(keep=False, retention_years__isnull=False),
                name="records_recordtype_retention",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("recordtype_detail", args=[self.pk])

    @property
    def retention_display(self) -> str:
        if self.keep:
            return str(_("Kept"))
        return str(_("Disposed of %(years)s years after %(event)s")) % {
            "years": self.retention_years,
            "event": str(self.get_retention_event_display()).lower(),
        }


class SecrecyMarking(RecordsModel):
    """A secrecy marking (sekretessmarkering) on any object of the system, or on one of its fields,
    with its ground, who set it and when. A lifted marking stays, with who lifted it."""

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("object id"), max_length=64)
    field_name = models.CharField(_("field"), max_length=100, blank=True, help_text=_("Empty: the whole record."))
    ground = models.ForeignKey(
        SecrecyGround, verbose_name=_("ground"), on_delete=models.PROTECT, related_name="markings"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set"), default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)

    class Meta:
        verbose_name = _("secrecy marking")
        verbose_name_plural = _("secrecy markings")
        ordering = ["-set_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "field_name"],
                condition=Q(lifted_at__isnull=True),
                name="records_marking_one_active",
            ),
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="records_marking_object_idx"),
            models.Index(fields=["ground", "id"], name="records_marking_ground_idx"),
        ]

    def __str__(self) -> str:
        where = f".{self.field_name}" if self.field_name else ""
        return f"{self.content_type.model}:{self.object_id}{where} · {self.ground.reference}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class StandingMarking(RecordsModel):
    """A field that is always secret (alltid sekretessmarkerad), such as passwords or a pupil's
    identity: every object of the type is treated as marked there, with no marking row needed."""

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+"
    )
    field_name = models.CharField(_("field"), max_length=100)
    ground = models.ForeignKey(SecrecyGround, verbose_name=_("ground"), on_delete=models.PROTECT, related_name="+")
    condition = models.JSONField(
        _("only where"), default=dict, blank=True, help_text=_('Field values that must match, e.g. {"kind": "pupil"}.')
    )

    class Meta:
        verbose_name = _("standing secrecy marking")
        verbose_name_plural = _("standing secrecy markings")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "field_name"], name="records_standing_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.content_type.model}.{self.field_name} · {self.ground.reference}"


class Series(RecordsModel):
    """A register series (diarieserie), e.g. SAM for the company's general register."""

    code = models.CharField(
        _("code"),
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-ZÅÄÖ0-9]+$", _("Capital letters and digits."))],
    )
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("register series")
        verbose_name_plural = _("register series")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SeriesCounter(models.Model):
    """The last registration number used in a series and year; locked while a number is taken."""

    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="records_counter_unique")]

    def __str__(self) -> str:
        return f"{self.series_id} {self.year}: {self.last}"


class Direction(models.TextChoices):
    INCOMING = "incoming", _("Incoming")
    OUTGOING = "outgoing", _("Outgoing")
    INTERNAL = "internal", _("Drawn up here")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", pgettext_lazy("records", "Closed")


class Case(RecordsModel):
    """An entry of the records register (diarium): a registration number per series and year
    (dnr SAM 2026/17), date, sender or recipient, the subject in general terms (never secret
    content), a secrecy marking, and what it is: a letter registered by hand or an object of the
    system (a ticket, an invoice, a contract). A legal hold on an entry is a `LegalHold` row, as on
    any other record."""

    series = models.ForeignKey(Series, verbose_name=_("series"), on_delete=models.PROTECT, related_name="cases")
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    registration_number = models.CharField(_("registration number"), max_length=30, unique=True, editable=False)
    registered = models.DateField(_("date"), default=timezone.localdate)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.INCOMING)
    counterparty = models.CharField(_("sender or recipient"), max_length=200, blank=True)
    subject = models.CharField(_("subject (in general terms)"), max_length=300)
    record_type = models.ForeignKey(
        RecordType, verbose_name=_("record type"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    secrecy_ground = models.ForeignKey(
        SecrecyGround,
        verbose_name=_("secrecy marking"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    concerns_owner = models.ForeignKey(
        "tenancy.Owner",
        verbose_name=_("concerns owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("system object type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_id = models.CharField(_("system object id"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    closed_at = models.DateTimeField(pgettext_lazy("records", "closed"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("register entry")
        verbose_name_plural = _("records register")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "year", "number"], name="records_case_number_unique"),
        ]
        indexes = [
            models.Index(fields=["registered", "id"], name="records_case_date_idx"),
            models.Index(fields=["status", "id"], name="records_case_status_idx"),
            models.Index(fields=["direction", "id"], name="records_case_direction_idx"),
            models.Index(fields=["record_type", "id"], name="records_case_type_idx"),
            models.Index(fields=["concerns_owner", "id"], name="records_case_owner_idx"),
            models.Index(fields=["content_type", "object_id"], name="records_case_object_idx"),
            models.Index(fields=["series", "year", "id"], name="records_case_series_idx"),
            models.Index(fields=["status", "closed_at"], name="records_case_closed_idx"),
            models.Index(fields=["created"], name="records_case_created_idx"),  # the records search by period
        ]

    def __str__(self) -> str:
        return f"{self.registration_number} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("case_detail", args=[self.pk])


class Attachment(RecordsModel):
    """A file of a register entry (a scanned letter, a sent reply), kept through Django's storage."""

    case = models.ForeignKey(
        Case, verbose_name=_("register entry"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="records/%Y/%m/", max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    secrecy_ground = models.ForeignKey(
        SecrecyGround,
        verbose_name=_("secrecy marking"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["case", "id"], name="records_attachment_case_idx")]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("case_detail", args=[self.case_id])


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Being handled")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AccessRequest(RecordsModel):
    """A request for official records (begäran om allmän handling). The requester may stay
    anonymous; the request must be handled promptly (skyndsamt): flagged after one working day,
    alarmed after three."""

    reference = models.CharField(pgettext_lazy("records", "reference"), max_length=30, unique=True, editable=False)
    received = models.DateTimeField(pgettext_lazy("records", "received"), default=timezone.now)
    requester_name = models.CharField(
        pgettext_lazy("records", "requester"), max_length=200, blank=True, help_text=_("Empty: anonymous.")
    )
    requester_contact = models.CharField(_("contact (address, e-mail)"), max_length=300, blank=True)
    channel = models.CharField(_("received by"), max_length=20, blank=True)
    description = models.TextField(_("what is requested"))
    search_from = models.DateField(_("records from"), null=True, blank=True)
    search_to = models.DateField(_("records until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_text = models.TextField(_("written decision"), blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        Case, verbose_name=_("register entry"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("public access request")
        verbose_name_plural = _("public access requests")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "received"], name="records_request_status_idx"),
            models.Index(fields=["received", "id"], name="records_request_received_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("accessrequest_detail", args=[self.pk])

    @property
    def requester_display(self) -> str:
        return self.requester_name or str(_("Anonymous"))


class Decision(models.TextChoices):
    PENDING = "pending", _("Not decided")
    RELEASE = "release", _("Release")
    PARTIAL = "partial", _("Release with parts masked")
    REFUSE = "refuse", _("Refuse")


class RequestItem(RecordsModel):
    """One record added to a request, and the decision on it."""

    request = models.ForeignKey(
        AccessRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="items"
    )
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("object id"), max_length=64)
    label = models.CharField(_("record"), max_length=300)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    grounds = models.ManyToManyField(SecrecyGround, verbose_name=_("grounds"), blank=True, related_name="+")
    reason = models.TextField(_("reasoning"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    added = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("requested record")
        verbose_name_plural = _("requested records")
        ordering = ["added", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "content_type", "object_id"], name="records_item_unique"),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="records_item_object_idx")]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("accessrequest_detail", args=[self.request_id])


class LegalHold(RecordsModel):
    """A hold (bevarandebeslut, pågående tvist) on one object of any kind (a register entry, a
    ticket, an invoice): disposal skips it while active. The only way to hold a record; it is set
    and released by `do_set_hold` and `do_release_hold`, and a released hold stays as the history."""

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("object id"), max_length=64)
    reason = models.CharField(_("reason"), max_length=300)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set"), default=timezone.now)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-set_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="records_hold_object_idx")]

    def __str__(self) -> str:
        return f"{self.content_type.model}:{self.object_id} · {self.reason}"


def holds_on(obj: models.Model) -> models.QuerySet[LegalHold]:
    """The active legal holds on one object, the oldest first."""
    return LegalHold.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk), released_at__isnull=True
    ).order_by("set_at", "id")


def is_held(model: type[models.Model] | ContentType, id_field: str = "pk") -> Exists:
    """Whether the record each row names (a row of `model` by its pk, or the id in `id_field` of a
    record of that type) has an active legal hold: an `EXISTS` over the holds' (content type,
    object id) index, for an annotation or a filter, not a query per row."""
    content_type = model if isinstance(model, ContentType) else ContentType.objects.get_for_model(model)
    return Exists(
        LegalHold.objects.filter(
            content_type=content_type,
            object_id=Cast(OuterRef(id_field), models.CharField()),
            released_at__isnull=True,
        )
    )


class BatchStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    EXECUTED = "executed", _("Disposed of")
    REJECTED = "rejected", pgettext_lazy("records", "Rejected")


class DisposalBatch(RecordsModel):
    """A batch of records past retention (gallringsomgång): proposed by the periodic task, approved
    by a records officer citing the decision, then executed. What it disposed of stays listed in
    its items (type and identifier only, never content)."""

    record_type = models.ForeignKey(
        RecordType, verbose_name=_("record type"), on_delete=models.PROTECT, related_name="batches"
    )
    status = models.CharField(_("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PROPOSED)
    cutoff = models.DateTimeField(_("past retention before"))
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    item_count = models.PositiveIntegerField(_("records"), default=0)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    decision = models.CharField(_("disposal decision"), max_length=200, blank=True)
    executed_at = models.DateTimeField(_("disposed of"), null=True, blank=True)
    disposed_count = models.PositiveIntegerField(_("disposed of"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped (legal hold)"), default=0)
    method = models.CharField(
        _("disposal by"), max_length=10, choices=DisposalMethod.choices, default=DisposalMethod.DELETE
    )

    class Meta:
        verbose_name = _("disposal batch")
        verbose_name_plural = _("disposal batches")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"], name="records_batch_status_idx")]

    def __str__(self) -> str:
        return f"{_('Disposal')} #{self.pk} · {self.record_type}"

    def get_absolute_url(self) -> str:
        return reverse("disposalbatch_detail", args=[self.pk])


class DisposalItem(models.Model):
    """One record in a disposal batch: its type and identifier (a ticket number), no content."""

    batch = models.ForeignKey(DisposalBatch, on_delete=models.PROTECT, related_name="items")
    object_id = models.BigIntegerField()
    identifier = models.CharField(max_length=64)
    disposed = models.BooleanField(default=False)
    skipped = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "object_id"], name="records_disposalitem_unique")]

    def __str__(self) -> str:
        return self.identifier


class GdprKind(models.TextChoices):
    EXTRACT = "extract", _("Register extract (art. 15)")
    RECTIFY = "rectify", _("Rectification (art. 16)")
    ERASE = "erase", _("Erasure (art. 17)")
    RESTRICT = "restrict", _("Restriction (art. 18)")


class GdprRequest(RecordsModel):
    """A data subject's request about a person (registerutdrag, radering, begränsning), and what
    was done: the report says what was kept and why."""

    person = models.ForeignKey(
        "tenancy.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person_label = models.CharField(_("person"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=GdprKind.choices)
    received = models.DateTimeField(pgettext_lazy("records", "received"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("GDPR request")
        verbose_name_plural = _("GDPR requests")
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "id"], name="records_gdpr_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.person_label}"

    def get_absolute_url(self) -> str:
        return reverse("gdprrequest_detail", args=[self.pk])


class AccessLogEntry(RecordsModel):
    """A read of a record with secrecy-marked parts or a pupil's data (who, when, what)."""

    at = models.DateTimeField(_("time"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    user_label = models.CharField(_("user"), max_length=150)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("record"), max_length=200)
    reason = models.CharField(_("why logged"), max_length=100)
    purpose = models.CharField(_("view"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("read of a marked record")
        verbose_name_plural = _("reads of marked records")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "id"], name="records_accesslog_user_idx"),
            models.Index(fields=["content_type", "object_id", "id"], name="records_accesslog_object_idx"),
            models.Index(fields=["at"], name="records_accesslog_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_label} {self.object_repr}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ArchiveExport(RecordsModel, Job):
    """An archive package (arkivleverans) of the closed records of one record type that the plan
    delivers to the archive: a ZIP with metadata.xml, the records' files and checksums.sha256.
    Secret records are included (the archive receives them too); their markings travel in the
    metadata. Built by a task; its progress is kept here."""

    record_type = models.ForeignKey(
        RecordType, verbose_name=_("record type"), on_delete=models.PROTECT, related_name="archive_exports"
    )
    date_from = models.DateField(_("closed from"))
    date_to = models.DateField(_("closed until"))
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    file_count = models.PositiveIntegerField(_("files"), default=0)
    file = models.FileField(_("package"), upload_to="records/archive/%Y/%m/", max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created = models.DateTimeField(_("started"), default=timezone.now)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("archive export")
        verbose_name_plural = _("archive exports")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(date_from__lte=models.F("date_to")), name="records_export_range"),
        ]

    def __str__(self) -> str:
        return f"{_('Archive export')} #{self.pk} · {self.record_type}"

    def get_absolute_url(self) -> str:
        return reverse("archiveexport_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
