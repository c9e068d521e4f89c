from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "samdrift.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Before any app defines a table: its date columns render without a template per cell.
        from samdrift.core import columns  # noqa: F401
        from samdrift.core.events import CoreVerb, register_verbs

        register_verbs("core", CoreVerb)
        from samdrift.core.operations import Section, register_section
        from samdrift.core.outbox import outbox_summary

        # The outbox beside the processes and jobs: mail that waits or failed is an operations matter.
        register_section(
            Section("outbox", _("Outgoing e-mail"), "core/_outbox_operations.html", outbox_summary, order=50)
        )
        from samdrift.core.jobs import JobKind, register_job_kind
        from samdrift.core.models import ExportJob, ExportStatus

        register_job_kind(
            JobKind(
                key="core.export",
                label=_("Exports"),
                model=ExportJob,
                running={ExportStatus.QUEUED: ExportStatus.FAILED, ExportStatus.RUNNING: ExportStatus.FAILED},
                failed=frozenset({ExportStatus.FAILED}),
                task_path="samdrift.core.tasks.run_export",
            )
        )
