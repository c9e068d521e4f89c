from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from samdrift.core.forms import bootstrapify
from samdrift.core.views import ScopedModelForm
from samdrift.identity.models import IdentityProvider, RoleMapping
from samdrift.tenancy.models import Owner


class SsoForm(forms.Form):
    """The login page's way to a municipality's directory: the e-mail address picks the provider."""

    email = forms.EmailField(
        label=_("Your work e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["id"] = "id_sso_email"
        bootstrapify(self)


class IdentityProviderForm(ScopedModelForm):
    client_secret = forms.CharField(
        label=_("client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored secret."),
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "owner", "name", "slug", "protocol", "domains", "server_url", "client_id", "client_secret",
            "saml_metadata_url", "saml_entity_id", "saml_sso_url", "saml_x509cert",
            "email_claim", "employee_number_claim", "groups_claim",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("owner", "slug"):
                self.fields.pop(name)


class RoleMappingForm(ScopedModelForm):
    class Meta:
        model = RoleMapping
        fields = ["owner", "group", "role"]


class ScimTokenForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("owner"), queryset=Owner.objects.none())
    name = forms.CharField(label=_("name"), max_length=200, help_text=_("e.g. the directory it is for: Entra ID Hörby"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Owner.objects.for_user(user).filter(active=True)  # type: ignore[attr-defined]
        bootstrapify(self)
