from datetime import timedelta

from django.apps import AppConfig
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
