"""Who Samdrift serves: the operator, its owners, their org units, cost centres and people."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import OwnerScopedModel, Scope, ScopedQuerySet
from samdrift.core.models import Job
from samdrift.core.roles import OPERATOR_ROLES, OWNER_ROLES, Role
from samdrift.tenancy.validators import format_orgnr, validate_orgnr, validate_vat

digits_4 = RegexValidator(r"^\d{4}$", _("A municipality code has four digits."))
bankgiro = RegexValidator(r"^\d{3,4}-\d{4}$", _("A Bankgiro number looks like 123-4567 or 1234-5678."))


class Operator(models.Model):
    """The shared company itself (det gemensamma bolaget) that runs IT for its owners. One row."""

    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(_("organisation number"), max_length=11, validators=[validate_orgnr])
    vat_number = models.CharField(_("VAT number"), max_length=14, validators=[validate_vat])
    bankgiro = models.CharField(_("Bankgiro"), max_length=9, validators=[bankgiro], blank=True)
    peppol_id = models.CharField(_("Peppol id"), max_length=50, blank=True)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_fictitious = models.BooleanField(
        _("fictitious demo data"), default=False, help_text=_("Set on demo data whose numbers are invented.")
    )

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operator")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="operator_single_row")]

    def __str__(self) -> str:
        return self.name

    @property
    def org_number_display(self) -> str:
        return format_orgnr(self.org_number)


class Owner(OwnerScopedModel):
    """A municipality that owns the company and buys its services (ägarkommun)."""

    OWNER_PATH = "pk"
    OWNER_VIEW_ROLES = OWNER_ROLES

    name = models.CharField(_("name"), max_length=200, unique=True)
    municipality_code = models.CharField(_("municipality code"), max_length=4, unique=True, validators=[digits_4])
    org_number = models.CharField(_("organisation number"), max_length=11, unique=True, validators=[validate_orgnr])
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("population year"), null=True, blank=True)
    population_source = models.CharField(_("population source"), max_length=300, blank=True)
    peppol_endpoint = models.CharField(
        _("Peppol endpoint"),
        max_length=50,
        blank=True,
        help_text=_("Electronic address for invoices, usually 0007:<organisation number>."),
    )
    invoice_street = models.CharField(_("invoice address"), max_length=200, blank=True)
    invoice_postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    invoice_city = models.CharField(_("city"), max_length=100, blank=True)
    is_fictitious = models.BooleanField(
        _("fictitious numbers"),
        default=False,
        help_text=_("Demo data: the organisation number is invented and only passes the check."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("owner_detail", args=[self.pk])

    @property
    def owner_id(self) -> int:
        return self.pk

    @property
    def org_number_display(self) -> str:
        return format_orgnr(self.org_number)


class OrgUnitKind(models.TextChoices):
    ADMINISTRATION = "administration", _("Administration (förvaltning)")
    UNIT = "unit", _("Unit (enhet)")
    SCHOOL = "school", _("School")


class OrgUnit(OwnerScopedModel):
    """An owner's administration, unit or school (förvaltning, enhet, skola), as a tree."""

    owner = models.ForeignKey(Owner, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="org_units")
    parent = models.ForeignKey(
        "self", verbose_name=_("part of"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrgUnitKind.choices, default=OrgUnitKind.UNIT)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["owner__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "code"], name="orgunit_code_unique_per_owner"),
        ]
        indexes = [models.Index(fields=["owner", "name"], name="orgunit_owner_name_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("orgunit_detail", args=[self.pk])


class CostCentre(OwnerScopedModel):
    """An owner's accounting unit that pays (kostnadsställe); carries the invoice reference."""

    owner = models.ForeignKey(Owner, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="cost_centres")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    invoice_reference = models.CharField(
        _("invoice reference"),
        max_length=100,
        help_text=_("The buyer reference the owner requires on every invoice for this cost centre."),
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cost_centres",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("cost centre")
        verbose_name_plural = _("cost centres")
        ordering = ["owner__name", "code"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "code"], name="costcentre_code_unique_per_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("costcentre_detail", args=[self.pk])


class PersonKind(models.TextChoices):
    EMPLOYEE = "employee", _("Employee")
    PUPIL = "pupil", _("Pupil")
    EXTERNAL = "external", _("External")


class Person(OwnerScopedModel):
    """Someone at an owner who uses the company's services: an employee, a pupil or an external.

    Pupils are children: we keep only name, school and an identifier, never phone or title, and
    only operator staff and the owner's orderers and approvers see them.
    """

    PUPIL_VIEW_OWNER_ROLES = frozenset({Role.ORDERER, Role.APPROVER})

    owner = models.ForeignKey(Owner, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="people")
    kind = models.CharField(_("kind"), max_length=10, choices=PersonKind.choices, default=PersonKind.EMPLOYEE)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    external_id = models.CharField(
        _("identifier"), max_length=64, help_text=_("The owner's own id, e.g. an employee number or user name.")
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    cost_centre = models.ForeignKey(
        CostCentre,
        verbose_name=_("cost centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    active = models.BooleanField(_("active"), default=True)
    # Restriction of processing (begränsning av behandling, GDPR art. 18): the data are kept but not
    # used. Set and lifted only by the records officer (samdrift.records.actions); the reason is kept
    # in the GDPR request, which only records roles read, not here where owner users see the person.
    processing_restricted = models.BooleanField(_("processing restricted"), default=False)
    processing_restricted_since = models.DateTimeField(_("processing restricted since"), null=True, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "external_id"], name="person_external_id_unique_per_owner"),
            models.CheckConstraint(
                condition=~Q(kind="pupil") | (Q(phone="") & Q(title="")),
                name="person_pupil_minimal_data",
            ),
            models.CheckConstraint(
                condition=Q(processing_restricted=False, processing_restricted_since__isnull=True)
                | Q(processing_restricted=True, processing_restricted_since__isnull=False),
                name="person_restriction_has_since",
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="person_name_idx"),
            models.Index(fields=["owner", "last_name", "first_name", "id"], name="person_owner_name_idx"),
            models.Index(fields=["org_unit", "last_name"], name="person_orgunit_idx"),
            models.Index(fields=["kind", "active"], name="person_kind_active_idx"),
            models.Index(fields=["email"], name="person_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def get_absolute_url(self) -> str:
        return reverse("person_detail", args=[self.pk])

    @property
    def is_pupil(self) -> bool:
        return self.kind == PersonKind.PUPIL

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES):
            return qs
        full = scope.owner_ids(cls.PUPIL_VIEW_OWNER_ROLES)
        no_pupils = [oid for oid in scope.owner_ids(cls.OWNER_VIEW_ROLES) if oid not in full]
        condition = Q(owner_id__in=full) | (Q(owner_id__in=no_pupils) & ~Q(kind=PersonKind.PUPIL))
        if scope.person_id:
            condition |= Q(pk=scope.person_id)  # everyone sees their own record
        if not full and not no_pupils and not scope.person_id:
            return qs.none()
        return qs.filter(condition)


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A login. What it may do comes from its memberships, not from Django's staff flags."""

    person = models.OneToOneField(
        Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL, related_name="user"
    )
    language = models.CharField(
        _("language"), max_length=5, choices=[("sv", "Svenska"), ("en", "English")], default="sv"
    )

    objects = ScopedUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def get_absolute_url(self) -> str:
        return reverse("user_detail", args=[self.pk])

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        """Admins see every user; others see only themselves."""
        if scope.has_operator_role({Role.ADMIN}):
            return qs
        if scope.user_id is None:
            return qs.none()
        return qs.filter(pk=scope.user_id)


class Membership(models.Model):
    """A role held by a user: operator-wide (owner empty) or at one owner."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    owner = models.ForeignKey(
        Owner, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "owner"], name="membership_unique"),
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(owner__isnull=True), name="membership_unique_operator_role"
            ),
            models.CheckConstraint(
                condition=(Q(role__in=sorted(OPERATOR_ROLES)) & Q(owner__isnull=True))
                | (Q(role__in=sorted(OWNER_ROLES)) & Q(owner__isnull=False)),
                name="membership_role_matches_owner",
            ),
        ]
        indexes = [models.Index(fields=["owner", "role"], name="membership_owner_role_idx")]

    def __str__(self) -> str:
        where = self.owner.name if self.owner_id and self.owner else _("operator")
        return f"{self.user} · {self.get_role_display()} · {where}"

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        if scope.has_operator_role({Role.ADMIN}):
            return qs
        if scope.user_id is None:
            return qs.none()
        return qs.filter(user_id=scope.user_id)


class ImportKind(models.TextChoices):
    ORG_UNITS = "org_units", _("Org units")
    COST_CENTRES = "cost_centres", _("Cost centres")
    PEOPLE = "people", _("People")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded, not checked")
    CHECKING = "checking", _("Dry run under way")
    VALIDATED = "validated", _("Checked, ready to import")
    FAILED_VALIDATION = "failed_validation", _("Checked, has errors")
    COMMITTING = "committing", _("Import under way")
    COMMITTED = "committed", _("Imported")
    ERROR = "error", _("Stopped by an error")


class ImportBatch(Job):
    """One uploaded file of org units, cost centres or people (importfil) and its dry-run report.

    Not owner-scoped: one file may cover several owners (the `owner` column), so only operator
    administrators see batches. The file is kept after processing, so a failed run can be retried
    and what was imported can be traced back to what was received.
    """

    OPERATOR_VIEW_ROLES = frozenset({Role.ADMIN})

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=255)
    original_filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("uploaded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("uploaded"), default=timezone.now)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    report = models.JSONField(_("report"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    create_count = models.PositiveIntegerField(_("new"), default=0)
    update_count = models.PositiveIntegerField(_("changed"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    committed_at = models.DateTimeField(_("imported"), null=True, blank=True)
    committed_by = models.ForeignKey(
        User, verbose_name=_("imported by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["-created"], name="importbatch_created_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_filename}"

    def get_absolute_url(self) -> str:
        return reverse("import_detail", args=[self.pk])

    @property
    def may_commit(self) -> bool:
        return self.status == ImportStatus.VALIDATED

    @property
    def is_running(self) -> bool:
        return self.status in {ImportStatus.CHECKING, ImportStatus.COMMITTING}

    @property
    def progress_indeterminate(self) -> bool:
        """The import is one transaction: nothing to count until it commits."""
        return self.status == ImportStatus.COMMITTING

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        """Administrators see every batch; nobody else sees any (a file may hold every owner's people)."""
        if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES):
            return qs
        return qs.none()


class Session(AbstractBaseSession):
    """A signed-in browser's session (Django's database sessions), with the user it belongs to as
    a column of its own: every request reads the session, its user and the user's roles in one
    query (`samdrift.tenancy.sessions`) instead of three. Deleting a user ends their sessions."""

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    @classmethod
    def get_session_store_class(cls) -> Any:
        from samdrift.tenancy.sessions import SessionStore

        return SessionStore

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("session")  # type: ignore[assignment]
        verbose_name_plural = _("sessions")  # type: ignore[assignment]
