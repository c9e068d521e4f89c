"""Shared models: the audit trail (granskningslogg)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import Scope, ScopedQuerySet
from samdrift.core.roles import Role


class AuditEventType(models.TextChoices):
    """Typed event kinds; every action records one of these."""

    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    DEACTIVATED = "deactivated", _("Deactivated")
    REACTIVATED = "reactivated", _("Reactivated")
    IMPORTED = "imported", _("Imported")
    ROLE_GRANTED = "role_granted", _("Role granted")
    ROLE_REVOKED = "role_revoked", _("Role revoked")
    PASSWORD_SET = "password_set", _("Password set")
    TOKEN_CREATED = "token_created", _("API token created")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGIN_THROTTLED = "login_throttled", _("Login refused after too many failures")
    LOGOUT = "logout", _("Logged out")
    EXPORTED = "exported", _("Exported")
    DEMO_LOADED = "demo_loaded", _("Demo data loaded")


class AuditEvent(models.Model):
    """One append-only, hash-chained entry of the audit trail.

    Database triggers refuse UPDATE and DELETE; `hash` covers every field plus the previous
    event's hash, so `samdrift audit verify` finds any row edited or removed behind our back.
    """

    created = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    actor_role = models.CharField(_("role"), max_length=32, blank=True)
    owner = models.ForeignKey(
        "tenancy.Owner",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    event_type = models.CharField(_("event"), max_length=32, choices=AuditEventType.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    OPERATOR_VIEW_ROLES = frozenset({Role.ADMIN, Role.RECORDS_OFFICER})

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx"),
            models.Index(fields=["owner", "id"], name="audit_owner_idx"),
            models.Index(fields=["actor", "id"], name="audit_actor_idx"),
            models.Index(fields=["event_type", "id"], name="audit_type_idx"),
            models.Index(fields=["created"], name="audit_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.event_type} {self.object_type}:{self.object_id}"

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        """Operator admins and records officers see the whole trail; nobody else sees any of it."""
        if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES):
            return qs
        return qs.none()
