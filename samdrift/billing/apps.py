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
