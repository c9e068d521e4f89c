from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "samdrift.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from samdrift.billing.models import FINANCE_ROLES
        from samdrift.core.context_processors import add_nav

        add_nav("subscription_list", _("Subscriptions"), FINANCE_ROLES)
