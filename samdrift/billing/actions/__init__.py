"""Every write in billing. Finance staff and administrators act; owner viewers only read.

Each action checks the role, validates, writes and records its audit event in one transaction.
"""

from .accounting import do_export_sie_month as do_export_sie_month
from .accounting import do_reconcile_year as do_reconcile_year
from .charges import USAGE_COLUMNS as USAGE_COLUMNS
from .charges import check_usage_rows as check_usage_rows
from .charges import do_create_charge as do_create_charge
from .charges import do_create_subscription as do_create_subscription
from .charges import do_end_subscription as do_end_subscription
from .charges import do_import_usage as do_import_usage
from .charges import do_update_charge as do_update_charge
from .charges import do_update_subscription as do_update_subscription
from .common import check_cost_centre as check_cost_centre
from .common import check_period_open as check_period_open
from .periods import do_check_period as do_check_period
from .periods import do_close_period as do_close_period
from .periods import do_create_period as do_create_period
from .periods import do_credit_invoice as do_credit_invoice
from .periods import do_run_billing as do_run_billing
from .periods import do_start_close_period as do_start_close_period
from .periods import do_start_reconciliation as do_start_reconciliation
from .periods import finish_run_audit as finish_run_audit
from .pools import check_key_unused as check_key_unused
from .pools import do_create_allocation_key as do_create_allocation_key
from .pools import do_create_cost_pool as do_create_cost_pool
from .pools import do_update_allocation_figures as do_update_allocation_figures
from .pools import do_update_cost_pool as do_update_cost_pool
from .pools import figures_for as figures_for
from .reference import check_peppol_endpoint as check_peppol_endpoint
from .reference import do_create_article as do_create_article
from .reference import do_save_billing_profile as do_save_billing_profile
from .reference import do_save_work_type_rate as do_save_work_type_rate
from .reference import do_update_article as do_update_article
from .reference import do_update_billing_profile as do_update_billing_profile
from .reference import do_update_work_type_rate as do_update_work_type_rate
