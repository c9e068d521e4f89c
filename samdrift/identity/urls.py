from allauth.account import views as account_views
from django.urls import include, path, re_path

from samdrift.identity import scim, views
from samdrift.tenancy.login import ThrottledLoginView

# allauth's pages that Samdrift uses, and no others (no sign-up, no e-mail management, no
# password reset by e-mail): the directory sign-in callbacks, the second-factor pages and the
# password check before changing a second factor.
allauth_patterns = [
    path("", include("allauth.socialaccount.providers.openid_connect.urls")),
    path("", include("allauth.socialaccount.providers.saml.urls")),
    path("2fa/", include("allauth.mfa.urls")),
    path("reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    # Names allauth's templates and flows reverse; they lead to Samdrift's own login page.
    path("login/", ThrottledLoginView.as_view(), name="account_login"),
    path("signup/", ThrottledLoginView.as_view(), name="account_signup"),
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
