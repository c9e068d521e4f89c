"""Identity pages: the way to a municipality's directory from the login page, and the
administrators' page of identity providers, role mappings and SCIM tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from samdrift.core.access import access_object, may
from samdrift.core.roles import Role
from samdrift.core.views import ActionFormView, SetActiveView, apply_validation_error
from samdrift.identity import actions
from samdrift.identity.forms import IdentityProviderForm, RoleMappingForm, ScimTokenForm, SsoForm
from samdrift.identity.models import DirectoryAccount, IdentityProvider, RoleMapping, ScimToken


def is_admin(user: Any, obj: Any = None) -> bool:
    return may(user, owner_id=None, operator_roles={Role.ADMIN})


def sso_form(request: HttpRequest) -> SsoForm | None:
    """The form is shown only when some owner has connected its directory."""
    if not IdentityProvider.objects.filter(active=True).exists():
        return None
    return SsoForm(initial={"next": request.GET.get("next", "")})


@require_POST
def sso_start(request: HttpRequest) -> HttpResponse:
    """POST an e-mail address: on to the sign-in of the directory that serves its domain."""
    from samdrift.tenancy.login import ThrottledLoginView

    form = SsoForm(request.POST)
    idp = actions.provider_for_email(form.data.get("email", "")) if form.is_valid() else None
    if form.is_valid() and idp is None:
        form.add_error(
            "email",
            _(
                "No municipality's directory is connected for that e-mail domain. Log in with your Samdrift user name instead, or ask the service desk."
            ),
        )
    if idp is None or idp.social_app is None:
        view = ThrottledLoginView.as_view(extra_context={"sso_form": form})
        request.method = "GET"
        response = view(request)
        response.status_code = 400
        return response  # type: ignore[return-value]
    next_url = form.cleaned_data.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    request.META.setdefault("HTTP_HOST", request.get_host())  # allauth's SAML request builder reads it
    provider = idp.social_app.get_provider(request)
    return provider.redirect(request, process="login", next_url=next_url or None)


class IdentityOverview(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not is_admin(request.user):
            raise PermissionDenied
        providers = IdentityProvider.objects.for_user(request.user).select_related("owner")
        mappings = RoleMapping.objects.for_user(request.user).select_related("owner")
        tokens = ScimToken.objects.for_user(request.user).select_related("owner")
        accounts = DirectoryAccount.objects.for_user(request.user).count()
        return render(
            request,
            "identity/overview.html",
            {"providers": providers, "mappings": mappings, "tokens": tokens, "account_count": accounts,
             "title": _("Sign-in and directories")},
        )  # fmt: skip


class IdentityProviderDetail(LoginRequiredMixin, View):
    model = IdentityProvider

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        idp = access_object(IdentityProvider, request.user, pk)
        sp_metadata = reverse("saml_metadata", args=[idp.slug]) if idp.protocol == "saml" else ""
        callback = reverse("openid_connect_callback", args=[idp.slug]) if idp.protocol == "oidc" else ""
        return render(
            request,
            "identity/provider_detail.html",
            {"object": idp, "sp_metadata": request.build_absolute_uri(sp_metadata) if sp_metadata else "",
             "callback": request.build_absolute_uri(callback) if callback else "",
             "acs": request.build_absolute_uri(reverse("saml_acs", args=[idp.slug])) if sp_metadata else ""},
        )  # fmt: skip


class IdentityProviderFormView(ActionFormView):
    model = IdentityProvider
    form_class = IdentityProviderForm
    create_action = actions.do_create_identity_provider
    update_action = actions.do_update_identity_provider
    may_write = is_admin
    success_url_name = "identity_provider_detail"


class IdentityProviderActive(SetActiveView):
    model = IdentityProvider
    active_action = actions.do_set_identity_provider_active
    may_write = is_admin
    success_url_name = "identity_provider_detail"


class RoleMappingFormView(ActionFormView):
    model = RoleMapping
    form_class = RoleMappingForm
    create_action = actions.do_create_role_mapping
    may_write = is_admin

    def form_valid(self, form: Any) -> HttpResponse:
        data = {name: form.cleaned_data[name] for name in form.fields}
        try:
            actions.do_create_role_mapping(data, actor=self.request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return HttpResponseRedirect(reverse("identity_provider_list"))


class RoleMappingActive(LoginRequiredMixin, View):
    model = RoleMapping
    http_method_names = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mapping = access_object(RoleMapping, request.user, pk)
        if not is_admin(request.user):
            raise PermissionDenied
        actions.do_set_role_mapping_active(mapping, request.POST.get("active") == "1", actor=request.user)
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(reverse("identity_provider_list"))


class ScimTokenCreate(LoginRequiredMixin, View):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not is_admin(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "identity/token_form.html",
            {"form": ScimTokenForm(user=request.user), "title": _("New SCIM token")},
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ScimTokenForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                token, plain = actions.do_create_scim_token(
                    form.cleaned_data["owner"], form.cleaned_data["name"], actor=request.user
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                scim_url = request.build_absolute_uri("/scim/v2/")
                return render(
                    request,
                    "identity/token_created.html",
                    {"token": token, "plain": plain, "scim_url": scim_url, "title": _("SCIM token created")},
                )
        return render(request, "identity/token_form.html", {"form": form, "title": _("New SCIM token")}, status=400)


class ScimTokenActive(LoginRequiredMixin, View):
    model = ScimToken
    http_method_names = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        token = access_object(ScimToken, request.user, pk)
        if not is_admin(request.user):
            raise PermissionDenied
        actions.do_set_scim_token_active(token, request.POST.get("active") == "1", actor=request.user)
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(reverse("identity_provider_list"))


def sso_error(request: HttpRequest) -> HttpResponse:
    return render(request, "identity/sso_refused.html", {"message": ""}, status=400)
