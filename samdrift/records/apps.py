import importlib
from datetime import timedelta
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "samdrift.records"
    label = "records"
    verbose_name = _("Official records")

    def ready(self) -> None:
        from samdrift.core.events import register_verbs
        from samdrift.records.events import RecordsVerb

        register_verbs("records", RecordsVerb)
        post_migrate.connect(reseed, sender=self)
        from samdrift.core.context_processors import add_nav
        from samdrift.core.roles import Role
        from samdrift.core.scheduling import Periodic, register_periodic

        officer = frozenset({Role.RECORDS_OFFICER, Role.ADMIN})
        add_nav("case_list", _("Records register"), officer)
        add_nav("accessrequest_list", _("Access requests"), officer)
        add_nav("records_plan", _("Information management plan"), officer)
        add_nav("disposalbatch_list", _("Disposal"), officer)
        add_nav("gdprrequest_list", _("GDPR"), officer)
        add_nav("accesslog_list", _("Reads of marked records"), officer)
        add_nav("archiveexport_list", _("Archive exports"), officer)
        from samdrift.core.jobs import JobKind, register_job_kind
        from samdrift.records.models import ArchiveExport, ExportStatus

        register_job_kind(
            JobKind(
                key="records.archive_export",
                label=_("Archive exports"),
                model=ArchiveExport,
                running={ExportStatus.RUNNING: ExportStatus.FAILED},
                failed=frozenset({ExportStatus.FAILED}),
                expired_message=_(
                    "The package was not finished (its worker ended or lost the database); nothing was "
                    "stored. Start a new export."
                ),
            )
        )
        register_periodic(
            Periodic("records-propose-disposal", "samdrift.records.tasks.propose_disposals", timedelta(hours=24))
        )


def reseed(sender: Any, apps: Any = None, **kwargs: Any) -> None:
    """The secrecy grounds, series and record types come from a data migration. `flush` (and a
    transactional test) empties the tables and then sends post_migrate: seed them again, the same
    way (get_or_create, so an existing database is left as it is)."""
    if apps is None:  # `flush` sends no registry: the models as they are now
        from django.apps import apps as current_apps

        apps = current_apps
    from django.db import connections

    if "records_secrecyground" not in connections[kwargs.get("using", "default")].introspection.table_names():
        return  # migrated back below the tables
    importlib.import_module("samdrift.records.migrations.0002_seed").seed(apps, None)
