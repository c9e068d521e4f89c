"""The audit verbs of billing (core/events.py): What happens to charges, billing runs, invoices and periods.

An event's verb is the `verb=` its action passes to record_event, or its extra["action"]."""

from django.db import models


class BillingVerb(models.TextChoices):
    BILLING_DOWNLOAD = "billing_download"
    BILLING_RUN = "billing_run"
    CHECK_DOCUMENTS = "check_documents"
    CLOSE_PERIOD = "close_period"
    CREATE_ALLOCATION_KEY = "create_allocation_key"
    CREDIT_INVOICE = "credit_invoice"
    DISPOSE = "dispose"
    END_ALLOCATION_KEY = "end_allocation_key"
    END_SUBSCRIPTION = "end_subscription"
    EXPORT_SIE = "export_sie"
    FINISH_BILLING_RUN = "finish_billing_run"
    IMPORT_USAGE = "import_usage"
    RECONCILE_YEAR = "reconcile_year"
    REPLACE_RECONCILIATION = "replace_reconciliation"
    SETTLEMENT_TAKEBACK = "settlement_takeback"
    START_BILLING_RUN = "start_billing_run"
    START_CLOSE_PERIOD = "start_close_period"
    START_RECONCILIATION = "start_reconciliation"
    STORE_SIE_EXPORT = "store_sie_export"
    UPDATE_ALLOCATION_FIGURES = "update_allocation_figures"
