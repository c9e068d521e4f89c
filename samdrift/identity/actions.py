"""Every write in identity (DESIGN.md rule 2): configuration by administrators, sign-in through a
directory (SSO), and provisioning by a directory (SCIM). Each action checks who may act, writes
with update_fields and records its audit event in the same transaction.

Writes made by a directory are audited in the role `scim` (a SCIM token; its id in the details) or
`sso` (a sign-in), with no user as actor.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import forget_scope, require_role
from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import OWNER_ROLES, Role
from samdrift.identity.models import (
    DirectoryAccount,
    DirectoryGroup,
    IdentityProvider,
    Protocol,
    RoleMapping,
    ScimToken,
)
from samdrift.identity.sessions import end_sessions, revoke_api_tokens
from samdrift.tenancy.models import Membership, Owner, Person, PersonKind

SCIM_ROLE = "scim"
SSO_ROLE = "sso"


def _admin(actor: Any) -> str:
    return require_role(actor, owner_id=None, operator_roles={Role.ADMIN})


# --- identity providers ----------------------------------------------------------------------


def check_identity_provider(data: dict[str, Any], instance: IdentityProvider | None = None) -> None:
    merged = {
        **({f.name: getattr(instance, f.name) for f in IdentityProvider._meta.fields} if instance else {}),
        **data,
    }
    errors: dict[str, str] = {}
    if merged.get("protocol") == Protocol.OIDC:
        for name in ("server_url", "client_id"):
            if not merged.get(name):
                errors[name] = _("Required for OpenID Connect.")
    elif merged.get("protocol") == Protocol.SAML:
        if not merged.get("saml_metadata_url") and not (
            merged.get("saml_entity_id") and merged.get("saml_sso_url") and merged.get("saml_x509cert")
        ):
            errors["saml_metadata_url"] = _("Give the metadata URL, or the entity id, sign-in URL and certificate.")
    domains = [d.strip().lower().lstrip("@") for d in str(merged.get("domains") or "").split(",") if d.strip()]
    if not domains:
        errors["domains"] = _("Give at least one e-mail domain.")
    else:
        taken = IdentityProvider.objects.filter(active=True)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        for other in taken:
            clash = set(domains) & set(other.domain_list)
            if clash:
                errors["domains"] = _("The domain %(domain)s already belongs to %(provider)s.") % {
                    "domain": sorted(clash)[0],
                    "provider": other.name,
                }
    if errors:
        raise ValidationError(errors)


def check_secret(secret: str | None) -> None:
    if secret and len(secret) > 191:
        raise ValidationError({"client_secret": _("At most 191 characters.")})


def _pem_body(cert: str) -> str:
    lines = [line.strip() for line in cert.strip().splitlines() if line.strip() and "-----" not in line]
    return "".join(lines)


def _sync_social_app(idp: IdentityProvider) -> None:
    """Keep django-allauth's SocialApp (what its OIDC and SAML views read) in step with the provider."""
    from allauth.socialaccount.models import SocialApp

    if idp.protocol == Protocol.OIDC:
        values: dict[str, Any] = {
            "provider": "openid_connect",
            "provider_id": idp.slug,
            "name": idp.name[:40],
            "client_id": idp.client_id,
            "secret": idp.client_secret,
            "settings": {"server_url": idp.server_url, "oauth_pkce_enabled": True},
        }
    else:
        idp_settings: dict[str, Any] = {"entity_id": idp.saml_entity_id}
        if idp.saml_metadata_url:
            idp_settings["metadata_url"] = idp.saml_metadata_url
        else:
            idp_settings.update({"sso_url": idp.saml_sso_url, "x509cert": _pem_body(idp.saml_x509cert)})
        uid_attrs = [idp.employee_number_claim] if idp.employee_number_claim else []
        values = {
            "provider": "saml",
            "provider_id": idp.slug,
            "name": idp.name[:40],
            "client_id": idp.slug,
            "secret": "",
            "settings": {
                "idp": idp_settings,
                "attribute_mapping": {
                    "uid": [*uid_attrs, idp.email_claim, "urn:oasis:names:tc:SAML:attribute:subject-id"],
                    "email": [idp.email_claim],
                },
                # Responses and their assertions must be signed by the IdP's certificate.
                "advanced": {
                    "want_assertion_signed": True,
                    "want_message_signed": False,
                    "reject_idp_initiated_sso": True,
                },
            },
        }
    app = idp.social_app
    if app is None:
        app = SocialApp.objects.create(**values)
        idp.social_app = app
        idp.save(update_fields=["social_app"])
    else:
        for key, value in values.items():
            setattr(app, key, value)
        app.save(update_fields=list(values))


@transaction.atomic
def do_create_identity_provider(data: dict[str, Any], *, actor: Any) -> IdentityProvider:
    role = _admin(actor)
    secret = data.pop("client_secret", "") or ""
    check_secret(secret)
    check_identity_provider(data)
    idp = create_audited(IdentityProvider, {**data}, actor=actor, role=role)
    if secret:
        idp.client_secret = secret
        idp.save(update_fields=["client_secret"])
    _sync_social_app(idp)
    return idp


@transaction.atomic
def do_update_identity_provider(idp: IdentityProvider, data: dict[str, Any], *, actor: Any) -> IdentityProvider:
    role = _admin(actor)
    secret = data.pop("client_secret", None)
    check_secret(secret)
    check_identity_provider(data, idp)
    idp = update_audited(idp, data, actor=actor, role=role, immutable=("owner", "slug"))
    if secret:  # kept encrypted and never written into the audit trail; an empty field keeps the old one
        idp.client_secret = secret
        idp.save(update_fields=["client_secret"])
        record_event(actor, role, AuditEventType.UPDATED, idp, changes={"client_secret": ["•••", "•••"]})
    _sync_social_app(idp)
    return idp


@transaction.atomic
def do_set_identity_provider_active(idp: IdentityProvider, active: bool, *, actor: Any) -> IdentityProvider:
    role = _admin(actor)
    if active:
        check_identity_provider({}, idp)
    return set_active_audited(idp, active, actor=actor, role=role)


def provider_for_email(email: str) -> IdentityProvider | None:
    """The active provider whose e-mail domains include this address's domain."""
    domain = email.rsplit("@", 1)[-1].strip().lower() if "@" in email else email.strip().lower()
    if not domain:
        return None
    for idp in IdentityProvider.objects.filter(active=True, domains__icontains=domain).select_related("social_app"):
        if domain in idp.domain_list:
            return idp
    return None


# --- role mappings ---------------------------------------------------------------------------


def _recompute_owner(owner_id: int) -> None:
    for account in DirectoryAccount.objects.filter(owner_id=owner_id, active=True).select_related("user"):
        sync_roles(account, role_label="mapping")


@transaction.atomic
def do_create_role_mapping(data: dict[str, Any], *, actor: Any) -> RoleMapping:
    role = _admin(actor)
    data = {**data, "group": str(data.get("group") or "").strip()}
    if data.get("role") not in OWNER_ROLES:
        raise ValidationError({"role": _("Only roles held at an owner can be mapped from a directory group.")})
    owner = data.get("owner")
    existing = RoleMapping.objects.filter(owner=owner, group=data["group"], role=data["role"]).first()
    if existing is not None:
        if existing.active:
            raise ValidationError({"group": _("This group already gives this role.")})
        mapping = set_active_audited(existing, True, actor=actor, role=role)
    else:
        mapping = create_audited(RoleMapping, data, actor=actor, role=role)
    _recompute_owner(mapping.owner_id)
    return mapping


@transaction.atomic
def do_set_role_mapping_active(mapping: RoleMapping, active: bool, *, actor: Any) -> RoleMapping:
    role = _admin(actor)
    mapping = set_active_audited(mapping, active, actor=actor, role=role)
    _recompute_owner(mapping.owner_id)
    return mapping


def mapped_roles(owner_id: int, groups: set[str]) -> set[str]:
    if not groups:
        return set()
    folded = {g.casefold() for g in groups}
    return {
        m.role
        for m in RoleMapping.objects.filter(owner_id=owner_id, active=True).only("group", "role")
        if m.group.casefold() in folded
    }


def account_groups(account: DirectoryAccount) -> set[str]:
    groups = {str(g) for g in account.sso_groups or []}
    for name, external in account.groups.values_list("display_name", "external_id"):
        groups.add(name)
        if external:
            groups.add(external)
    return groups


def _set_owner_roles(user: Any, owner_id: int, desired: set[str], *, role_label: str, extra: dict[str, Any]) -> None:
    held = {m.role: m for m in Membership.objects.filter(user=user, owner_id=owner_id)}
    for role_name in sorted(desired):
        membership = held.get(role_name)
        if membership is not None and membership.active:
            continue
        if membership is None:
            Membership.objects.create(user=user, owner_id=owner_id, role=role_name)
        else:
            membership.active = True
            membership.save(update_fields=["active"])
        record_event(None, role_label, AuditEventType.ROLE_GRANTED, user, owner_id=owner_id,
                     extra={"role": role_name, "owner": owner_id, **extra})  # fmt: skip
    for role_name, membership in sorted(held.items()):
        if role_name not in desired and membership.active:
            membership.active = False
            membership.save(update_fields=["active"])
            record_event(None, role_label, AuditEventType.ROLE_REVOKED, user, owner_id=owner_id,
                         extra={"role": role_name, "owner": owner_id, **extra})  # fmt: skip
    forget_scope(user)


def sync_roles(account: DirectoryAccount, *, role_label: str = SCIM_ROLE) -> set[str]:
    """The user's roles at the account's owner become exactly what the mappings give its groups."""
    desired = mapped_roles(account.owner_id, account_groups(account)) if account.active else set()
    _set_owner_roles(account.user, account.owner_id, desired, role_label=role_label, extra={"directory": True})
    return desired


# --- single sign-on --------------------------------------------------------------------------


class SignInRefused(Exception):
    """A directory sign-in that Samdrift refuses, with the Swedish reason shown to the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Claims:
    email: str = ""
    employee_number: str = ""
    groups: list[str] = field(default_factory=list)
    first_name: str = ""
    last_name: str = ""


def _privileged_elsewhere(user: Any, owner_id: int) -> bool:
    """A user with an operator role or a role at another owner never signs in through an owner's directory."""
    return (
        Membership.objects.filter(user=user, active=True).filter(Q(owner__isnull=True) | ~Q(owner_id=owner_id)).exists()
    )


def _find_person(owner_id: int, claims: Claims) -> Person | None:
    people = Person.objects.filter(owner_id=owner_id)
    if claims.employee_number:
        person = people.filter(external_id=claims.employee_number).first()
        if person is not None:
            return person
    if claims.email:
        return people.filter(email__iexact=claims.email).order_by("-active", "id").first()
    return None


def _new_username(preferred: str) -> str:
    User = get_user_model()
    base = preferred[:140] or "user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def do_sign_in_with_directory(idp: IdentityProvider, claims: Claims, *, linked_user: Any = None) -> Any:
    """A person signs in through their owner's directory: link (just in time) to the person by
    employee number or e-mail, create their user on first sign-in, and set their roles at that
    owner from the mapped groups. Returns the user, or raises SignInRefused."""
    if not idp.active:
        raise SignInRefused(_("Sign-in through %(name)s is switched off.") % {"name": idp.name})
    email = claims.email.strip().lower()
    domain = email.rsplit("@", 1)[-1] if "@" in email else ""
    if domain not in idp.domain_list:
        raise SignInRefused(
            _("Your account's e-mail address (%(email)s) is not in a domain of %(name)s.")
            % {"email": email or "—", "name": idp.name}
        )
    owner_id = idp.owner_id
    account = None
    user = linked_user
    if user is not None:
        account = DirectoryAccount.objects.filter(user=user).first()
    person = None
    if user is None:
        person = _find_person(owner_id, claims)
        if person is None:
            raise SignInRefused(
                _(
                    "No person with your e-mail address or employee number is registered at %(owner)s in Samdrift. Ask your IT contact to add you."
                )
                % {"owner": idp.owner.name}
            )
        user = getattr(person, "user", None) if hasattr(person, "user") else None
        account = DirectoryAccount.objects.filter(user=user).first() if user is not None else None
    if account is not None and account.owner_id != owner_id:
        raise SignInRefused(_("Your account belongs to another owner's directory."))
    if account is not None and not account.active:
        raise SignInRefused(_("Your account has been closed in your organisation's directory."))
    if person is not None and not person.active:
        raise SignInRefused(_("Your person record is inactive. Ask your IT contact."))
    if user is not None and (not user.is_active or _privileged_elsewhere(user, owner_id)):
        # Deactivated users stay out; operator staff and users of several owners sign in locally
        # (with their second factor), so that one owner's directory cannot take over their access.
        raise SignInRefused(
            _("This account cannot sign in through your organisation's directory. Use your Samdrift password.")
        )
    extra = {"provider": idp.slug}
    if user is None:
        assert person is not None
        User = get_user_model()
        user = User(
            username=_new_username(email or f"{idp.slug}-{claims.employee_number}"),
            email=email,
            first_name=(claims.first_name or person.first_name)[:150],
            last_name=(claims.last_name or person.last_name)[:150],
            person=person,
        )
        user.set_unusable_password()  # signs in through the directory only
        user.full_clean(exclude=["password"])
        user.save(force_insert=True)
        record_event(None, SSO_ROLE, AuditEventType.CREATED, user, owner_id=owner_id,
                     changes={"username": [None, user.username], "person": [None, person.pk]}, extra=extra)  # fmt: skip
    if account is None:
        account = DirectoryAccount(owner_id=owner_id, user=user, user_name=email or user.username)
        if DirectoryAccount.objects.filter(owner_id=owner_id, user_name=account.user_name).exists():
            account.user_name = user.username
        account.save(force_insert=True)
        record_event(None, SSO_ROLE, AuditEventType.CREATED, account, extra=extra)
    groups = sorted({str(g) for g in claims.groups})
    if groups != sorted(account.sso_groups or []):
        before = account.sso_groups
        account.sso_groups = groups
        account.updated = timezone.now()
        account.save(update_fields=["sso_groups", "updated"])
        record_event(
            None, SSO_ROLE, AuditEventType.UPDATED, account, changes={"sso_groups": [before, groups]}, extra=extra
        )
    _set_owner_roles(user, owner_id, mapped_roles(owner_id, account_groups(account)), role_label=SSO_ROLE, extra=extra)
    return user


# --- SCIM tokens -----------------------------------------------------------------------------


def hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


@transaction.atomic
def do_create_scim_token(owner: Owner, name: str, *, actor: Any) -> tuple[ScimToken, str]:
    """A new token for one owner's directory; the plain token is returned once and never stored."""
    role = _admin(actor)
    if not name.strip():
        raise ValidationError({"name": _("Give the token a name, e.g. the directory it is for.")})
    plain = "scim_" + secrets.token_urlsafe(32)
    token = ScimToken(owner=owner, name=name.strip(), token_hash=hash_token(plain), prefix=plain[:8])
    token.full_clean()
    token.save(force_insert=True)
    record_event(actor, role, AuditEventType.TOKEN_CREATED, token, extra={"name": token.name})
    return token, plain


@transaction.atomic
def do_set_scim_token_active(token: ScimToken, active: bool, *, actor: Any) -> ScimToken:
    return set_active_audited(token, active, actor=actor, role=_admin(actor))


def token_for(plain: str) -> ScimToken | None:
    token = ScimToken.objects.filter(token_hash=hash_token(plain), active=True).select_related("owner").first()
    if token is None or not token.owner.active:
        return None
    if token.last_used is None or (timezone.now() - token.last_used).total_seconds() > 300:
        ScimToken.objects.filter(pk=token.pk).update(
            last_used=timezone.now()
        )  # a usage stamp, not a change: not audited
    return token


# --- SCIM provisioning -----------------------------------------------------------------------


class ScimConflict(Exception):
    """RFC 7644 3.3: a resource with this unique attribute exists (HTTP 409, scimType uniqueness)."""


@dataclass
class ScimUser:
    user_name: str
    external_id: str = ""
    active: bool = True
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    employee_number: str = ""
    title: str = ""
    phone: str = ""


def _scim_extra(token: ScimToken) -> dict[str, Any]:
    return {"scim_token": token.pk}


def _check_scim_user(data: ScimUser) -> None:
    errors = {}
    if not data.user_name.strip():
        errors["userName"] = _("userName is required.")
    if not (data.given_name or data.family_name):
        errors["name"] = _("name.givenName or name.familyName is required.")
    if errors:
        raise ValidationError(errors)


def _person_values(data: ScimUser) -> dict[str, Any]:
    return {
        "first_name": (data.given_name or data.family_name)[:100],
        "last_name": (data.family_name or data.given_name)[:100],
        "email": data.email[:254],
        "title": data.title[:100],
        "phone": data.phone[:40],
    }


@transaction.atomic
def do_scim_create_user(token: ScimToken, data: ScimUser) -> DirectoryAccount:
    _check_scim_user(data)
    owner_id = token.owner_id
    accounts = DirectoryAccount.objects.filter(owner_id=owner_id)
    if accounts.filter(user_name__iexact=data.user_name).exists() or (
        data.external_id and accounts.filter(external_id=data.external_id).exists()
    ):
        raise ScimConflict(data.user_name)
    extra = _scim_extra(token)
    claims = Claims(email=data.email, employee_number=data.employee_number)
    person = _find_person(owner_id, claims)
    values = _person_values(data)
    if person is None:
        person = create_audited(
            Person,
            {"owner_id": owner_id, "kind": PersonKind.EMPLOYEE, "external_id": (data.employee_number or data.user_name)[:64],
             "active": data.active, **values},
            actor=None, role=SCIM_ROLE,
        )  # fmt: skip
    else:
        person = update_audited(person, {**values, "active": data.active}, actor=None, role=SCIM_ROLE)
    User = get_user_model()
    user = getattr(person, "user", None) if hasattr(person, "user") else None
    if user is None:
        if User.objects.filter(username__iexact=data.user_name).exists():
            raise ScimConflict(data.user_name)
        user = User(username=data.user_name[:150], email=data.email, first_name=values["first_name"],
                    last_name=values["last_name"], person=person, is_active=data.active)  # fmt: skip
        user.set_unusable_password()  # signs in through the directory only
        user.full_clean(exclude=["password"])
        user.save(force_insert=True)
        record_event(None, SCIM_ROLE, AuditEventType.CREATED, user, owner_id=owner_id,
                     changes={"username": [None, user.username], "person": [None, person.pk]}, extra=extra)  # fmt: skip
    else:
        previous = DirectoryAccount.objects.filter(user=user).first()
        if previous is not None and previous.owner_id == owner_id and is_removed(previous):
            # Provisioned again after a DELETE: the same person and user, a new SCIM resource.
            previous.scim_id = uuid.uuid4()
            previous.user_name, previous.external_id, previous.active = (
                data.user_name[:200],
                data.external_id[:200],
                data.active,
            )
            previous.updated = timezone.now()
            previous.save(update_fields=["scim_id", "user_name", "external_id", "active", "updated"])
            record_event(
                None,
                SCIM_ROLE,
                AuditEventType.REACTIVATED,
                previous,
                changes={"user_name": [None, previous.user_name]},
                extra=extra,
            )
            if data.active and not user.is_active:
                user.is_active = True
                user.save(update_fields=["is_active"])
                record_event(
                    None,
                    SCIM_ROLE,
                    AuditEventType.REACTIVATED,
                    user,
                    owner_id=owner_id,
                    changes={"is_active": [False, True]},
                    extra=extra,
                )
            return previous
        if previous is not None or _privileged_elsewhere(user, owner_id):
            raise ScimConflict(data.user_name)
    account = DirectoryAccount(owner_id=owner_id, user=user, user_name=data.user_name[:200],
                               external_id=data.external_id[:200], active=data.active)  # fmt: skip
    account.save(force_insert=True)
    record_event(None, SCIM_ROLE, AuditEventType.CREATED, account,
                 changes={"user_name": [None, account.user_name], "external_id": [None, account.external_id],
                          "active": [None, account.active]}, extra=extra)  # fmt: skip
    if not data.active:
        _close(account, extra)
    return account


def _close(account: DirectoryAccount, extra: dict[str, Any]) -> None:
    """Deactivation by the directory: the user, the person and every session and API token, at once."""
    user = account.user
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    sessions = end_sessions(user)
    tokens = revoke_api_tokens(user)
    record_event(None, SCIM_ROLE, AuditEventType.DEACTIVATED, user, owner_id=account.owner_id,
                 changes={"is_active": [True, False]},
                 extra={**extra, "sessions_ended": sessions, "api_tokens_revoked": tokens})  # fmt: skip
    person = user.person
    if person is not None and person.active:
        set_active_audited(person, False, actor=None, role=SCIM_ROLE)


@transaction.atomic
def do_scim_update_user(token: ScimToken, account: DirectoryAccount, data: ScimUser) -> DirectoryAccount:
    """PUT (replace) or PATCH (already merged by the caller): the same values twice change nothing."""
    _check_scim_user(data)
    extra = _scim_extra(token)
    others = DirectoryAccount.objects.filter(owner_id=account.owner_id).exclude(pk=account.pk)
    if others.filter(user_name__iexact=data.user_name).exists() or (
        data.external_id and others.filter(external_id=data.external_id).exists()
    ):
        raise ScimConflict(data.user_name)
    user = account.user
    was_active = account.active
    changes: dict[str, list[Any]] = {}
    for name, value in (
        ("user_name", data.user_name[:200]),
        ("external_id", data.external_id[:200]),
        ("active", data.active),
    ):
        if getattr(account, name) != value:
            changes[name] = [getattr(account, name), value]
            setattr(account, name, value)
    if changes:
        account.updated = timezone.now()
        account.save(update_fields=[*changes, "updated"])
        record_event(None, SCIM_ROLE, AuditEventType.UPDATED, account, changes=changes, extra=extra)
    values = _person_values(data)
    if user.person is not None:
        person_values = dict(values)
        if data.employee_number and data.employee_number != user.person.external_id:
            if not Person.objects.filter(owner_id=account.owner_id, external_id=data.employee_number).exists():
                person_values["external_id"] = data.employee_number[:64]
        update_audited(user.person, person_values, actor=None, role=SCIM_ROLE)
    user_changes: dict[str, list[Any]] = {}
    for name, value in (
        ("email", data.email),
        ("first_name", values["first_name"]),
        ("last_name", values["last_name"]),
    ):
        if getattr(user, name) != value:
            user_changes[name] = [getattr(user, name), value]
            setattr(user, name, value)
    if user_changes:
        user.save(update_fields=list(user_changes))
        record_event(
            None, SCIM_ROLE, AuditEventType.UPDATED, user, owner_id=account.owner_id, changes=user_changes, extra=extra
        )
    if was_active and not data.active:
        _close(account, extra)
        sync_roles(account)
    elif data.active and not was_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        record_event(None, SCIM_ROLE, AuditEventType.REACTIVATED, user, owner_id=account.owner_id,
                     changes={"is_active": [False, True]}, extra=extra)  # fmt: skip
        if user.person is not None:
            set_active_audited(user.person, True, actor=None, role=SCIM_ROLE)
        sync_roles(account)
    return account


@transaction.atomic
def do_scim_delete_user(token: ScimToken, account: DirectoryAccount) -> None:
    """DELETE: Samdrift keeps people and users for the records (arkivlagen), so the account is
    closed and removed from SCIM's view (404 from now on), never erased."""
    extra = _scim_extra(token)
    if account.active:
        account.active = False
        account.save(update_fields=["active"])
        _close(account, extra)
        sync_roles(account)
    account.groups.clear()
    removed_name = f"removed-{account.scim_id}"
    before = account.user_name
    account.user_name, account.external_id = removed_name, ""
    account.save(update_fields=["user_name", "external_id"])
    record_event(None, SCIM_ROLE, AuditEventType.DEACTIVATED, account,
                 changes={"user_name": [before, removed_name]}, extra={**extra, "scim": "deleted"})  # fmt: skip


def is_removed(account: DirectoryAccount) -> bool:
    return account.user_name.startswith("removed-") and not account.active


# --- SCIM groups -----------------------------------------------------------------------------


def _members(owner_id: int, scim_ids: list[str]) -> list[DirectoryAccount]:
    found = []
    for value in scim_ids:
        try:
            account = DirectoryAccount.objects.filter(owner_id=owner_id, scim_id=value).select_related("user").first()
        except ValidationError:
            account = None
        if account is None:
            raise ValidationError({"members": _("Unknown member %(id)s.") % {"id": value}})
        found.append(account)
    return found


def _set_members(token: ScimToken, group: DirectoryGroup, members: list[DirectoryAccount]) -> None:
    before = {a.pk: a for a in group.members.select_related("user")}
    after = {a.pk: a for a in members}
    added = [a for pk, a in after.items() if pk not in before]
    removed = [a for pk, a in before.items() if pk not in after]
    if not added and not removed:
        return
    group.members.add(*added)
    group.members.remove(*removed)
    record_event(None, SCIM_ROLE, AuditEventType.UPDATED, group,
                 changes={"members": [sorted(a.user_name for a in before.values()), sorted(a.user_name for a in after.values())]},
                 extra=_scim_extra(token))  # fmt: skip
    for account in [*added, *removed]:
        sync_roles(account)


@transaction.atomic
def do_scim_create_group(
    token: ScimToken, display_name: str, external_id: str, member_ids: list[str]
) -> DirectoryGroup:
    if not display_name.strip():
        raise ValidationError({"displayName": _("displayName is required.")})
    if DirectoryGroup.objects.filter(owner_id=token.owner_id, display_name=display_name.strip()).exists():
        raise ScimConflict(display_name)
    members = _members(token.owner_id, member_ids)
    group = DirectoryGroup(
        owner_id=token.owner_id, display_name=display_name.strip()[:200], external_id=external_id[:200]
    )
    group.save(force_insert=True)
    record_event(None, SCIM_ROLE, AuditEventType.CREATED, group,
                 changes={"display_name": [None, group.display_name]}, extra=_scim_extra(token))  # fmt: skip
    _set_members(token, group, members)
    return group


@transaction.atomic
def do_scim_update_group(
    token: ScimToken, group: DirectoryGroup, display_name: str, external_id: str, member_ids: list[str] | None
) -> DirectoryGroup:
    display_name = display_name.strip()
    if not display_name:
        raise ValidationError({"displayName": _("displayName is required.")})
    if DirectoryGroup.objects.filter(owner_id=group.owner_id, display_name=display_name).exclude(pk=group.pk).exists():
        raise ScimConflict(display_name)
    changes = {}
    for name, value in (("display_name", display_name[:200]), ("external_id", external_id[:200])):
        if getattr(group, name) != value:
            changes[name] = [getattr(group, name), value]
            setattr(group, name, value)
    if changes:
        group.updated = timezone.now()
        group.save(update_fields=[*changes, "updated"])
        record_event(None, SCIM_ROLE, AuditEventType.UPDATED, group, changes=changes, extra=_scim_extra(token))
    if member_ids is not None:
        _set_members(token, group, _members(group.owner_id, member_ids))
    if "display_name" in changes or "external_id" in changes:
        for account in group.members.select_related("user"):
            sync_roles(account)
    return group


@transaction.atomic
def do_scim_delete_group(token: ScimToken, group: DirectoryGroup) -> None:
    members = list(group.members.select_related("user"))
    record_event(None, SCIM_ROLE, AuditEventType.DEACTIVATED, group,
                 changes={"members": [sorted(a.user_name for a in members), []]}, extra={**_scim_extra(token), "scim": "deleted"})  # fmt: skip
    group.members.clear()
    group.delete()
    for account in members:
        sync_roles(account)


def require_admin(actor: Any) -> None:
    if not actor or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    _admin(actor)
