"""Billing (fakturering): what each owner is charged, for what, and why.

Charge sources (subscriptions, one-time charges, metered usage, shared cost pools, and whatever
other apps register in `samdrift.billing.sources`) become invoice lines in a monthly billing run.
Every line keeps where it came from (source type and id, or the pool, key and the figures used),
so any amount on any invoice can be explained.
"""

from .accounting import Reconciliation as Reconciliation
from .accounting import ReconciliationStatus as ReconciliationStatus
from .accounting import Settlement as Settlement
from .accounting import SieExport as SieExport
from .accounting import SieVoucherNumber as SieVoucherNumber
from .base import FINANCE_ROLES as FINANCE_ROLES
from .base import BillingOwnerScoped as BillingOwnerScoped
from .base import FinanceOnly as FinanceOnly
from .base import account_number as account_number
from .base import money_field as money_field
from .charges import Charge as Charge
from .charges import ChargeKind as ChargeKind
from .charges import SourcedModel as SourcedModel
from .charges import Subscription as Subscription
from .charges import UsageRow as UsageRow
from .invoices import Invoice as Invoice
from .invoices import InvoiceDocument as InvoiceDocument
from .invoices import InvoiceKind as InvoiceKind
from .invoices import InvoiceLine as InvoiceLine
from .invoices import InvoicePreview as InvoicePreview
from .periods import BillingJob as BillingJob
from .periods import BillingJobKind as BillingJobKind
from .periods import BillingPeriod as BillingPeriod
from .periods import BillingRun as BillingRun
from .periods import PeriodStatus as PeriodStatus
from .periods import RunStatus as RunStatus
from .pools import AllocationFigure as AllocationFigure
from .pools import AllocationKey as AllocationKey
from .pools import CostPool as CostPool
from .pools import KeyBasis as KeyBasis
from .pools import PoolKind as PoolKind
from .reference import RATE_EPOCH as RATE_EPOCH
from .reference import Article as Article
from .reference import BillingProfile as BillingProfile
from .reference import WorkTypeRate as WorkTypeRate
