import importlib
from datetime import timedelta
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "samdrift.insight"
    label = "insight"
    verbose_name = _("Insight")

    def ready(self) -> None:
        from samdrift.core.context_processors import add_nav
        from samdrift.core.roles import Role
        from samdrift.core.scheduling import PERIODIC_TASKS, Periodic

        # The summary tables follow the data: every hour for the current and the last month (a
        # billing close, new tickets, deliveries), and the report check once an hour (it does
        # nothing except on the first working day of a month, and only once per owner and month).
        for periodic in (
            Periodic("insight-refresh", "samdrift.insight.tasks.refresh_recent_task", timedelta(hours=1)),
            Periodic("insight-monthly-reports", "samdrift.insight.tasks.monthly_reports_task", timedelta(hours=1)),
        ):
            if not any(p.name == periodic.name for p in PERIODIC_TASKS):
                PERIODIC_TASKS.append(periodic)
        add_nav(
            "insight_index", _("Owner insight"), frozenset({Role.ADMIN, Role.FINANCE, Role.OWNER_VIEWER}), "finance"
        )
        add_nav("insight_settings", _("Insight settings"), frozenset({Role.ADMIN}), "administration")
        # The monthly owner reports are official records: searched, shown and disposed of by records.
        from samdrift.insight.records import OwnerReportSource
        from samdrift.records.services import register_source

        register_source(OwnerReportSource())
        post_migrate.connect(reseed, sender=self)


def reseed(sender: Any, apps: Any = None, **kwargs: Any) -> None:
    """The reports' record type comes from a data migration; `flush` (and a transactional test)
    empties the tables: seed it again the same way (get_or_create)."""
    if apps is None:
        from django.apps import apps as current_apps

        apps = current_apps
    from django.db import connections

    if "records_recordtype" not in connections[kwargs.get("using", "default")].introspection.table_names():
        return
    importlib.import_module("samdrift.insight.migrations.0002_record_type").seed(apps, None)
