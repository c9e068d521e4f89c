from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "samdrift.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from samdrift.core.events import register_verbs
        from samdrift.servicedesk.events import ServicedeskVerb

        register_verbs("servicedesk", ServicedeskVerb)
        from samdrift.core.context_processors import add_nav
        from samdrift.core.roles import Role
        from samdrift.core.scheduling import Periodic, register_periodic

        register_periodic(
            Periodic("servicedesk-mail-poll", "samdrift.servicedesk.tasks.poll_mailboxes_task", timedelta(minutes=1)),
            Periodic("servicedesk-sla-check", "samdrift.servicedesk.tasks.check_sla_task", timedelta(minutes=5)),
        )
        add_nav("sd_inbound_list", _("Received email"), frozenset({Role.ADMIN, Role.AGENT}))
        add_nav("sd_mailbox_list", _("Mailboxes"), frozenset({Role.ADMIN}))
        add_nav("sd_supportgroup_list", _("Support groups"), frozenset({Role.ADMIN, Role.AGENT}))

        from samdrift.records.services import register_source
        from samdrift.servicedesk.records import TicketSource

        register_source(TicketSource())

        from samdrift.core.panels import Panel, register_panel
        from samdrift.servicedesk.panels import asset_tickets_panel

        # The tickets about a device, on the device's page: registered here so that assets needs
        # no import of the service desk (which imports assets).
        register_panel(
            Panel(
                "servicedesk.tickets", "assets.asset", "servicedesk/_asset_tickets_panel.html", asset_tickets_panel, 20
            )
        )
