from typing import Any

from allauth.account import views as account_views
from allauth.mfa.base import views as mfa_views
from allauth.mfa.webauthn import views as webauthn_views
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path

from samdrift.identity import scim, views
from samdrift.tenancy.login import ThrottledLoginView


def _key(view: Any) -> Any:
    """allauth's passkey pages take the key's id as `pk`; here it is `key`, because these ids are
    a user's own authenticators (allauth looks them up among the signed-in user's), not owner rows."""

    def wrapped(request: HttpRequest, key: int) -> HttpResponse:
        return view(request, pk=key)

    wrapped.__name__ = getattr(view, "__name__", "view")
    return wrapped


mfa_patterns = [
    path("", mfa_views.index, name="mfa_index"),
    path("authenticate/", mfa_views.authenticate, name="mfa_authenticate"),
    path("reauthenticate/", mfa_views.reauthenticate, name="mfa_reauthenticate"),
    path("totp/", include("allauth.mfa.totp.urls")),
    path("recovery-codes/", include("allauth.mfa.recovery_codes.urls")),
    path("webauthn/", webauthn_views.list_webauthn, name="mfa_list_webauthn"),
    path("webauthn/add/", webauthn_views.add_webauthn, name="mfa_add_webauthn"),
    path("webauthn/reauthenticate/", webauthn_views.reauthenticate_webauthn, name="mfa_reauthenticate_webauthn"),
    path("webauthn/keys/<int:key>/remove/", _key(webauthn_views.remove_webauthn), name="mfa_remove_webauthn"),
    path("webauthn/keys/<int:key>/edit/", _key(webauthn_views.edit_webauthn), name="mfa_edit_webauthn"),
]

# allauth's pages that Samdrift uses, and no others (no sign-up, no e-mail management, no
# password reset by e-mail): the directory sign-in callbacks, the second-factor pages and the
# password check before changing a second factor.
allauth_patterns = [
    path("", include("allauth.socialaccount.providers.openid_connect.urls")),
    path("", include("allauth.socialaccount.providers.saml.urls")),
    path("2fa/", include(mfa_patterns)),
    path("reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    # Names allauth's templates and flows reverse; they lead to Samdrift's own login page.
    path("login/", ThrottledLoginView.as_view(), name="account_login"),
    path("signup/", ThrottledLoginView.as_view(), name="account_signup"),
    path("logout/", auth_views.LogoutView.as_view(), name="account_logout"),
    path("social/login/error/", views.sso_error, name="socialaccount_login_error"),
    path("social/login/cancelled/", views.sso_error, name="socialaccount_login_cancelled"),
    path("sso/", views.sso_start, name="sso_start"),
]

urlpatterns = [
    path("accounts/", include(allauth_patterns)),
    path("identity/", views.IdentityOverview.as_view(), name="identity_provider_list"),
    path("identity/providers/new/", views.IdentityProviderFormView.as_view(), name="identity_provider_create"),
    path("identity/providers/<int:pk>/", views.IdentityProviderDetail.as_view(), name="identity_provider_detail"),
    path("identity/providers/<int:pk>/edit/", views.IdentityProviderFormView.as_view(), name="identity_provider_edit"),
    path(
        "identity/providers/<int:pk>/active/", views.IdentityProviderActive.as_view(), name="identity_provider_active"
    ),
    path("identity/mappings/new/", views.RoleMappingFormView.as_view(), name="role_mapping_create"),
    path("identity/mappings/<int:pk>/active/", views.RoleMappingActive.as_view(), name="role_mapping_active"),
    path("identity/scim-tokens/new/", views.ScimTokenCreate.as_view(), name="scim_token_create"),
    path("identity/scim-tokens/<int:pk>/active/", views.ScimTokenActive.as_view(), name="scim_token_active"),
    # SCIM 2.0 (RFC 7644); Entra ID calls the base URL ".../scim/v2".
    re_path(r"^scim/v2/Users/?$", scim.users, name="scim_users"),
    re_path(r"^scim/v2/Users/(?P<scim_id>[^/]+)/?$", scim.user, name="scim_user"),
    re_path(r"^scim/v2/Groups/?$", scim.groups, name="scim_groups"),
    re_path(r"^scim/v2/Groups/(?P<scim_id>[^/]+)/?$", scim.group, name="scim_group"),
    re_path(r"^scim/v2/ServiceProviderConfig/?$", scim.service_provider_config, name="scim_config"),
    re_path(r"^scim/v2/ResourceTypes/?$", scim.resource_types, name="scim_resource_types"),
    re_path(r"^scim/v2/Schemas/?$", scim.schemas, name="scim_schemas"),
]
