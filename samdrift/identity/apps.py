from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "samdrift.identity"
    label = "identity"
    verbose_name = _("Identity and sign-in")

    def ready(self) -> None:
        from samdrift.identity import signals  # noqa: F401 - connect the login and MFA signal receivers
        from samdrift.identity.views import sso_form
        from samdrift.tenancy.login import LOGIN_EXTRAS

        LOGIN_EXTRAS["sso_form"] = sso_form  # the login page offers sign-in through the owner's directory
