"""Single sign-on through django-allauth: the adapters that tie a directory sign-in to a person.

allauth runs the protocol (OpenID Connect or SAML 2.0, signatures, state, PKCE); here the signed-in
identity becomes a Samdrift user: `do_sign_in_with_directory` links it just in time to the person of
the provider's owner and sets the roles that owner's mappings give its groups.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest
from django.shortcuts import render

from samdrift.identity.actions import Claims, SignInRefused, do_sign_in_with_directory
from samdrift.identity.models import IdentityProvider


class AccountAdapter(DefaultAccountAdapter):
    """Nobody signs up: users come from an administrator, an import, SCIM or a directory sign-in."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        if not hasattr(user, "backend"):
            # The first backend (the login throttle) signs nobody in; sessions name Django's own.
            user.backend = "samdrift.tenancy.sessions.SessionUserBackend"
        super().login(request, user)


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def _many(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def claims_from(idp: IdentityProvider, extra_data: dict[str, Any]) -> Claims:
    """What the directory said about the person: OIDC merges the ID token and userinfo; SAML
    attributes are lists."""
    data: dict[str, Any] = {}
    if "id_token" in extra_data or "userinfo" in extra_data:
        data.update(extra_data.get("id_token") or {})
        data.update(extra_data.get("userinfo") or {})
    else:
        data = dict(extra_data)
    email = _first(data.get(idp.email_claim)) or _first(data.get("email")) or _first(data.get("upn"))
    return Claims(
        email=email,
        employee_number=_first(data.get(idp.employee_number_claim)) if idp.employee_number_claim else "",
        groups=_many(data.get(idp.groups_claim)) if idp.groups_claim else [],
        first_name=_first(data.get("given_name") or data.get("urn:oid:2.5.4.42")),
        last_name=_first(data.get("family_name") or data.get("urn:oid:2.5.4.4")),
    )


def refused(request: HttpRequest, message: str) -> ImmediateHttpResponse:
    return ImmediateHttpResponse(render(request, "identity/sso_refused.html", {"message": message}, status=403))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False  # every directory user is linked in pre_social_login or refused there

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        app = sociallogin.account.get_provider().app
        idp = IdentityProvider.objects.select_related("owner").filter(social_app_id=app.pk).first()
        if idp is None:
            raise refused(request, "")
        claims = claims_from(idp, sociallogin.account.extra_data or {})
        linked = sociallogin.user if sociallogin.is_existing else None
        try:
            user = do_sign_in_with_directory(idp, claims, linked_user=linked)
        except SignInRefused as exc:
            raise refused(request, exc.message) from exc
        if not sociallogin.is_existing:
            sociallogin.user = user
            sociallogin.account.user = user
            sociallogin.account.save()
        else:
            sociallogin.user = user
