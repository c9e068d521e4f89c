"""Sign-in through the owners' directories: identity providers, role mappings, SCIM provisioning.

Each owner (ägarkommun) connects its own directory: an identity provider for single sign-on
(OpenID Connect or SAML 2.0), chosen on the login page by the e-mail domain, and a SCIM token with
which the directory creates, updates and deactivates the owner's people and users. A directory's
groups become roles at that owner only, through role mappings kept here as data.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import OwnerScopedModel, Scope
from samdrift.core.roles import OWNER_ROLES, Role
from samdrift.core.secrets import EncryptedTextField

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{1,48}$", _("Lower-case letters, digits and hyphens only."))

ADMIN_ONLY = frozenset({Role.ADMIN})


class AdminOnlyModel(OwnerScopedModel):
    """Directory configuration: only operator administrators see it (it names groups and secrets)."""

    OPERATOR_VIEW_ROLES = ADMIN_ONLY

    class Meta:
        abstract = True

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES):
            return qs
        return qs.none()


class Protocol(models.TextChoices):
    OIDC = "oidc", _("OpenID Connect")
    SAML = "saml", _("SAML 2.0")


class IdentityProvider(AdminOnlyModel):
    """An owner's directory that people sign in through (identitetsleverantör), e.g. Entra ID."""

    owner = models.ForeignKey(
        "tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="identity_providers"
    )
    slug = models.CharField(_("short name"), max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    protocol = models.CharField(_("protocol"), max_length=10, choices=Protocol.choices)
    domains = models.CharField(
        _("e-mail domains"),
        max_length=500,
        help_text=_("Comma-separated, e.g. horby.se, skola.horby.se. The login page picks the provider by these."),
    )
    # OpenID Connect
    server_url = models.URLField(
        _("issuer URL"),
        max_length=500,
        blank=True,
        help_text=_("OpenID Connect: the issuer, e.g. for Entra ID https://login.microsoftonline.com/<tenant>/v2.0."),
    )
    client_id = models.CharField(_("client id"), max_length=191, blank=True)  # allauth's SocialApp holds 191
    client_secret = EncryptedTextField(_("client secret"), blank=True)
    # SAML
    saml_entity_id = models.CharField(_("IdP entity id"), max_length=500, blank=True)
    saml_sso_url = models.URLField(_("IdP sign-in URL"), max_length=500, blank=True)
    saml_x509cert = models.TextField(
        _("IdP signing certificate"), blank=True, help_text=_("PEM, without the BEGIN/END lines or with them.")
    )
    saml_metadata_url = models.URLField(
        _("IdP metadata URL"), max_length=500, blank=True, help_text=_("Instead of entity id, URL and certificate.")
    )
    # Which claim or attribute carries what.
    email_claim = models.CharField(_("e-mail claim"), max_length=200, default="email")
    employee_number_claim = models.CharField(_("employee-number claim"), max_length=200, blank=True)
    groups_claim = models.CharField(_("groups claim"), max_length=200, default="groups")
    active = models.BooleanField(_("active"), default=True)
    social_app = models.OneToOneField(
        "socialaccount.SocialApp", null=True, blank=True, on_delete=models.SET_NULL, related_name="identity_provider"
    )

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        ordering = ["owner__name", "name"]
        indexes = [models.Index(fields=["owner", "name"], name="idp_owner_name_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("identity_provider_detail", args=[self.pk])

    @property
    def domain_list(self) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in self.domains.split(",") if d.strip()]


class RoleMapping(AdminOnlyModel):
    """A directory group that gives a role at its owner (rollmappning): e.g. 'Samdrift-Attestanter' → approver."""

    owner = models.ForeignKey(
        "tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="role_mappings"
    )
    group = models.CharField(
        _("group"),
        max_length=200,
        help_text=_("The group's name or id as the directory sends it (claim or SCIM group)."),
    )
    role = models.CharField(_("role"), max_length=32, choices=[(r.value, r.label) for r in Role if r in OWNER_ROLES])
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("role mapping")
        verbose_name_plural = _("role mappings")
        ordering = ["owner__name", "group", "role"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "group", "role"], name="rolemapping_unique"),
            models.CheckConstraint(condition=Q(role__in=sorted(OWNER_ROLES)), name="rolemapping_owner_role"),
        ]
        indexes = [models.Index(fields=["owner", "active"], name="rolemapping_owner_idx")]

    def __str__(self) -> str:
        return f"{self.group} → {self.get_role_display()}"

    def get_absolute_url(self) -> str:
        return reverse("identity_provider_list") + f"#mapping-{self.pk}"


class ScimToken(AdminOnlyModel):
    """The bearer token one owner's directory provisions with (SCIM-token). Only its hash is kept."""

    owner = models.ForeignKey(
        "tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="scim_tokens"
    )
    name = models.CharField(_("name"), max_length=200)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("begins with"), max_length=8)
    created = models.DateTimeField(_("created"), default=timezone.now)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SCIM token")
        verbose_name_plural = _("SCIM tokens")
        ordering = ["owner__name", "name"]
        indexes = [models.Index(fields=["owner", "active"], name="scimtoken_owner_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class DirectoryAccount(AdminOnlyModel):
    """A user as the owner's directory knows them (SCIM User resource and SSO link): one per user.

    A user with a directory account belongs to that owner only: its roles come from the owner's
    role mappings of its groups, and the directory can deactivate it.
    """

    owner = models.ForeignKey(
        "tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="directory_accounts"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="directory_account"
    )
    scim_id = models.UUIDField(_("SCIM id"), default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(_("directory id"), max_length=200, blank=True)
    user_name = models.CharField(_("directory user name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    sso_groups = models.JSONField(_("groups at last sign-in"), default=list, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    updated = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("directory account")
        verbose_name_plural = _("directory accounts")
        ordering = ["owner__name", "user_name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "user_name"], name="diraccount_username_unique"),
            models.UniqueConstraint(
                fields=["owner", "external_id"], condition=~Q(external_id=""), name="diraccount_external_unique"
            ),
        ]
        indexes = [models.Index(fields=["owner", "user_name", "id"], name="diraccount_owner_idx")]

    def __str__(self) -> str:
        return self.user_name


class DirectoryGroup(AdminOnlyModel):
    """A group the owner's directory pushed by SCIM (SCIM Group resource); its members get the mapped roles."""

    owner = models.ForeignKey(
        "tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="directory_groups"
    )
    scim_id = models.UUIDField(_("SCIM id"), default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(_("directory id"), max_length=200, blank=True)
    display_name = models.CharField(_("name"), max_length=200)
    members = models.ManyToManyField(DirectoryAccount, related_name="groups", blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    updated = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("directory group")
        verbose_name_plural = _("directory groups")
        ordering = ["owner__name", "display_name"]
        constraints = [models.UniqueConstraint(fields=["owner", "display_name"], name="dirgroup_name_unique")]
        indexes = [models.Index(fields=["owner", "display_name", "id"], name="dirgroup_owner_idx")]

    def __str__(self) -> str:
        return self.display_name
