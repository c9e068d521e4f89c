"""Asset imports from file: saved column mappings, the import jobs and their rows."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.assets.models.catalogue import STAFF
from samdrift.core.access import OwnerScopedModel, Scope, ScopedQuerySet
from samdrift.core.models import Job


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
