from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "samdrift.identity"
    label = "identity"
    verbose_name = _("Identity and sign-in")

    def ready(self) -> None:
        from samdrift.identity import sessions, signals  # noqa: F401 - connect the login and MFA signal receivers
