from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "samdrift.tenancy"
    label = "tenancy"
    verbose_name = _("Tenancy")

    def ready(self) -> None:
        from samdrift.core.pickers import Picker, register_picker
        from samdrift.tenancy import login, signals  # noqa: F401  (login auditing and throttling)
        from samdrift.tenancy.models import CostCentre, Person

        register_picker(
            "person",
            Picker(
                Person,
                ("first_name", "last_name", "email", "external_id"),
                ("last_name", "first_name", "id"),
                ("owner",),
            ),
        )
        from samdrift.core.importing import register_import
        from samdrift.tenancy.imports import RULES

        register_import(RULES)  # its batches are jobs too: dry run and commit of large files
        register_picker("costcentre", Picker(CostCentre, ("code", "name"), ("code", "id"), ("owner",)))

        from samdrift.core.demo import register_demo_logins
        from samdrift.tenancy.demo import DEMO_PASSWORD, demo_logins

        register_demo_logins(demo_logins, DEMO_PASSWORD)

        from samdrift.core.scheduling import Periodic, register_periodic

        register_periodic(
            Periodic("tenancy-clear-sessions", "samdrift.tenancy.tasks.clear_expired_sessions", timedelta(hours=24))
        )
