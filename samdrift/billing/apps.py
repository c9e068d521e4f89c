from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "samdrift.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from samdrift.billing.events import BillingVerb
        from samdrift.core.events import register_verbs

        register_verbs("billing", BillingVerb)
        _warm_up_pdf_in_servers()
        from samdrift.billing.models import FINANCE_ROLES
        from samdrift.core.context_processors import add_nav

        add_nav("subscription_list", _("Subscriptions"), FINANCE_ROLES)

        from samdrift.billing.models import BillingRun, RunStatus
        from samdrift.core.jobs import JobKind, register_job_kind

        register_job_kind(
            JobKind(
                key="billing.run",
                label=_("Billing runs"),
                model=BillingRun,
                running={RunStatus.RUNNING: RunStatus.FAILED},
                failed=frozenset({RunStatus.FAILED}),
                expired_message=_(
                    "The run stopped without finishing (its worker ended or lost the database). "
                    "The period is open: run it again."
                ),
            )
        )

        from samdrift.billing.records import InvoiceSource
        from samdrift.records.services import register_source

        register_source(InvoiceSource())
        from samdrift.billing.models import BillingJob

        register_job_kind(
            JobKind(
                key="billing.job",
                label=_("Closing periods and year-end reconciliations"),
                model=BillingJob,
                running={RunStatus.RUNNING: RunStatus.FAILED},
                failed=frozenset({RunStatus.FAILED}),
                expired_message=_(
                    "The job stopped without finishing (its worker ended or lost the database). Nothing was "
                    "issued or settled: start it again."
                ),
            )
        )


def _warm_up_pdf_in_servers() -> None:
    """In the processes that render PDFs for people (gunicorn's workers, the task worker), load
    WeasyPrint and its fonts at start (about 2 s), so that the first invoice PDF a user asks for is
    not the one that pays for it; commands, runserver and tests do not pay for it.

    In this thread, never in a background one: a background import raced the request thread's
    imports (openpyxl's package, half-initialised in one thread, was imported by the other), and
    every gunicorn worker died at boot ("Worker failed to boot")."""
    import logging
    import sys

    program = sys.argv[0].rsplit("/", 1)[-1] if sys.argv else ""
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if "gunicorn" not in program and command not in ("db_worker", "rqworker"):
        return
    from samdrift.billing.pdf import warm_up

    try:
        warm_up()
    except Exception:  # a failed warm-up only means the first PDF is slower
        logging.getLogger(__name__).warning("PDF warm-up failed", exc_info=True)
