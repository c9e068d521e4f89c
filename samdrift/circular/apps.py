import importlib
from datetime import timedelta
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CircularConfig(AppConfig):
    name = "samdrift.circular"
    label = "circular"
    verbose_name = _("Take-back")

    def ready(self) -> None:
        from samdrift.circular.events import CircularVerb
        from samdrift.core.events import register_verbs

        register_verbs("circular", CircularVerb)
        post_migrate.connect(reseed, sender=self)
        from samdrift.circular.models import STAFF, VIEW_STAFF, Batch, PartnerReport, ReportState
        from samdrift.core.context_processors import add_nav
        from samdrift.core.jobs import JobKind, register_job_kind
        from samdrift.core.outbox import on_sent
        from samdrift.core.roles import Role
        from samdrift.core.scheduling import PERIODIC_TASKS, Periodic

        add_nav("circular_batch_list", _("Take-back batches"), VIEW_STAFF, group="assets")
        add_nav("circular_partner_list", _("Take-back partners"), STAFF, group="assets")
        add_nav(
            "circular_climate",
            _("Take-back and climate"),
            VIEW_STAFF | {Role.OWNER_VIEWER, Role.APPROVER},
            group="assets",
        )
        add_nav(
            "circular_loss_list",
            _("Lost and stolen devices"),
            VIEW_STAFF | {Role.OWNER_VIEWER, Role.APPROVER},
            group="assets",
        )
        # A dry run writes nothing: stopped, it is run again. Applying is one transaction: stopped,
        # nothing was applied and the checked report may be applied again.
        register_job_kind(
            JobKind(
                key="circular.report",
                label=_("Partner reports"),
                model=PartnerReport,
                running={ReportState.CHECKING: ReportState.ERROR, ReportState.APPLYING: ReportState.READY},
                failed=frozenset({ReportState.ERROR}),
                expired_message={
                    ReportState.CHECKING: _(
                        "The dry run stopped without finishing (its worker ended or lost the database). Run it again."
                    ),
                    ReportState.APPLYING: _(
                        "Applying stopped without finishing (its worker ended or lost the database); nothing was "
                        "applied. Apply the checked report again."
                    ),
                },
            )
        )

        def batch_order_delivered(object_id: str, when: object) -> None:
            Batch.objects.filter(pk=int(object_id), order_sent_at__isnull=True).update(order_sent_at=when)

        from samdrift.circular.views import certificate_panel
        from samdrift.core.panels import Panel, register_panel

        register_panel(
            Panel("circular.takeback", "assets.asset", "circular/_asset_panel.html", certificate_panel, order=30)
        )
        on_sent("circular.batch", batch_order_delivered)  # type: ignore[arg-type]
        from samdrift.circular.services import record_sources
        from samdrift.records.services import register_source

        for source in record_sources():  # certificates and reports: disposed of by the plan, not searched
            register_source(source, searchable=False)
        from samdrift.circular.services import insight_figures
        from samdrift.insight.services import register_circular_source

        register_circular_source(insight_figures)  # take-back credits and CO2e on the owners' insight pages
        from samdrift.assets.models import AssetStatus
        from samdrift.assets.services import register_status_guard
        from samdrift.circular.services import check_may_close

        # A device is closed as reused, resold or recycled only with an erasure certificate, whichever
        # page or API closes it.
        register_status_guard((AssetStatus.REUSED, AssetStatus.RESOLD, AssetStatus.RECYCLED), check_may_close)
        if not any(p.name == "circular-render-certificates" for p in PERIODIC_TASKS):
            PERIODIC_TASKS.append(
                Periodic(
                    "circular-render-certificates",
                    "samdrift.circular.tasks.render_certificates_task",
                    timedelta(minutes=10),
                )
            )


def reseed(sender: Any, apps: Any = None, **kwargs: Any) -> None:
    """The CO2e factors and record types come from a data migration; `flush` (and a transactional
    test) empties the tables: seed them again the same way (get_or_create)."""
    if apps is None:
        from django.apps import apps as current_apps

        apps = current_apps
    from django.db import connections

    tables = connections[kwargs.get("using", "default")].introspection.table_names()
    if "circular_co2efactor" not in tables or "records_recordtype" not in tables:
        return
    importlib.import_module("samdrift.circular.migrations.0002_seed").seed(apps, None)
