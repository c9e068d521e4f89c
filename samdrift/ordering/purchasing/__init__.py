"""Buying what was approved: purchase orders per supplier at the agreement price of the day,
the supplier's confirmation, deliveries (serial numbers, possibly partial) that become assets and
start billing, and the hand-over that closes a line.

Purchase orders for many approved orders are made set-based (`bulk_create_purchase_orders`):
a few queries for the whole batch, not a loop of queries per line.
"""

from .confirmations import CONFIRMABLE as CONFIRMABLE
from .confirmations import CONFIRMATION_COLUMNS as CONFIRMATION_COLUMNS
from .confirmations import CONFIRMATION_OPTIONAL_COLUMNS as CONFIRMATION_OPTIONAL_COLUMNS
from .confirmations import MAX_ERRORS as MAX_ERRORS
from .confirmations import REPORT_ERROR as REPORT_ERROR
from .confirmations import REPORT_OK as REPORT_OK
from .confirmations import ConfirmationReportRow as ConfirmationReportRow
from .confirmations import ConfirmationResult as ConfirmationResult
from .confirmations import do_import_confirmations as do_import_confirmations
from .confirmations import parse_po_number as parse_po_number
from .deliveries import DELIVERY_COLUMNS as DELIVERY_COLUMNS
from .deliveries import DeliveryCheck as DeliveryCheck
from .deliveries import DeliveryReportRow as DeliveryReportRow
from .deliveries import check_delivery as check_delivery
from .deliveries import do_hand_over_line as do_hand_over_line
from .deliveries import do_register_delivery as do_register_delivery
from .deliveries import parse_delivery_file as parse_delivery_file
from .purchase_orders import PurchaseResult as PurchaseResult
from .purchase_orders import bulk_create_purchase_orders as bulk_create_purchase_orders
from .purchase_orders import do_confirm_purchase_order as do_confirm_purchase_order
from .purchase_orders import do_mark_purchase_order_sent as do_mark_purchase_order_sent
from .purchase_orders import do_resend_purchase_order as do_resend_purchase_order
from .purchase_orders import purchase_order_file as purchase_order_file
from .purchase_orders import purchase_order_rows as purchase_order_rows
from .purchase_orders import send_purchase_orders as send_purchase_orders
