"""Every write in ordering's catalogue and orders. Each action checks the role, validates, writes and
records its audit event in one transaction; mail goes out on commit.

Purchase orders, deliveries and hand-over are in `purchasing/`; price-list files in `imports.py`.
"""

from .agreements import called_off_value as called_off_value
from .agreements import check_call_off as check_call_off
from .agreements import do_create_agreement as do_create_agreement
from .agreements import do_create_supplier as do_create_supplier
from .agreements import do_send_agreement_alerts as do_send_agreement_alerts
from .agreements import do_set_agreement_active as do_set_agreement_active
from .agreements import do_set_supplier_active as do_set_supplier_active
from .agreements import do_update_agreement as do_update_agreement
from .agreements import do_update_supplier as do_update_supplier
from .approvers import approval_level_for as approval_level_for
from .approvers import approvers_for as approvers_for
from .approvers import do_create_approver as do_create_approver
from .approvers import do_set_approver_active as do_set_approver_active
from .approvers import do_update_approver as do_update_approver
from .catalogue import Price as Price
from .catalogue import agreement_prices as agreement_prices
from .catalogue import do_add_package_line as do_add_package_line
from .catalogue import do_create_package as do_create_package
from .catalogue import do_create_service as do_create_service
from .catalogue import do_remove_package_line as do_remove_package_line
from .catalogue import do_set_package_active as do_set_package_active
from .catalogue import do_set_service_active as do_set_service_active
from .catalogue import do_set_service_price as do_set_service_price
from .catalogue import do_update_package as do_update_package
from .catalogue import do_update_service as do_update_service
from .catalogue import price_packages as price_packages
from .catalogue import price_services as price_services
from .catalogue import service_prices as service_prices
from .common import today as today
from .orders import OrderItem as OrderItem
from .orders import cancel_role as cancel_role
from .orders import check_order_items as check_order_items
from .orders import do_approve_order as do_approve_order
from .orders import do_cancel_order as do_cancel_order
from .orders import do_change_order as do_change_order
from .orders import do_create_order as do_create_order
from .orders import do_reject_order as do_reject_order
from .orders import may_cancel as may_cancel
from .orders import may_decide as may_decide
from .orders import may_order_service as may_order_service
