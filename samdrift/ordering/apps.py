from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrderingConfig(AppConfig):
    name = "samdrift.ordering"
    label = "ordering"
    verbose_name = _("Ordering")

    def ready(self) -> None:
        from samdrift.core.events import register_verbs
        from samdrift.ordering.events import OrderingVerb

        register_verbs("ordering", OrderingVerb)
        from samdrift.core.context_processors import add_nav
        from samdrift.core.outbox import on_sent
        from samdrift.core.roles import OPERATOR_ROLES, Role
        from samdrift.core.scheduling import Periodic, register_periodic
        from samdrift.ordering.purchasing import do_mark_purchase_order_sent

        on_sent("ordering.purchaseorder", do_mark_purchase_order_sent)

        from samdrift.core.importing import register_import
        from samdrift.ordering.imports import RULES

        register_import(RULES)  # price lists: kept, checked and applied through the one import pipeline
        owner_roles = {Role.OWNER_VIEWER, Role.ORDERER, Role.APPROVER}
        add_nav("order_shop", _("Place an order"), {Role.ORDERER})
        add_nav("order_list", _("Orders"), set(OPERATOR_ROLES) | owner_roles)
        add_nav("my_order_lines", _("My orders"), {Role.END_USER})
        add_nav("purchaseorder_list", _("Purchase orders"), {Role.ADMIN, Role.TECHNICIAN, Role.FINANCE})
        add_nav("agreement_list", _("Framework agreements"), {Role.ADMIN, Role.FINANCE})
        add_nav("package_list", _("Service catalogue"), {Role.ADMIN, Role.FINANCE})
        add_nav("ordering_lead_times", _("Lead times"), set(OPERATOR_ROLES) | owner_roles)
        register_periodic(
            Periodic(
                "ordering-agreement-alerts", "samdrift.ordering.tasks.agreement_expiry_alerts", timedelta(hours=24)
            ),
            Periodic("ordering-purchase", "samdrift.ordering.tasks.purchase_approved_orders", timedelta(minutes=15)),
        )
