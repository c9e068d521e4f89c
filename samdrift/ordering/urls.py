from django.urls import path

from samdrift.core.crud import model_urls
from samdrift.ordering import catalogue_views, views, views_purchasing

urlpatterns = model_urls(
    catalogue_views.suppliers,
    catalogue_views.agreements,
    catalogue_views.services,
    catalogue_views.packages,
    catalogue_views.approvers,
)

urlpatterns += [
    path(
        "ordering/agreements/<int:pk>/prices/import/",
        catalogue_views.agreement_price_import,
        name="agreement_price_import",
    ),
    path("ordering/price-imports/<int:pk>/", catalogue_views.priceimport_detail, name="priceimport_detail"),
    path("ordering/services/<int:pk>/price/", catalogue_views.ServicePriceSet.as_view(), name="service_price"),
    path("ordering/packages/<int:pk>/lines/", catalogue_views.PackageAddLine.as_view(), name="package_add_line"),
    path(
        "ordering/package-lines/<int:pk>/remove/",
        catalogue_views.PackageRemoveLine.as_view(),
        name="package_remove_line",
    ),
    path("order/", views.order_shop, name="order_shop"),
    path("order/recipients/", views.recipient_search, name="order_recipient_search"),
    path("ordering/orders/", views.OrderList.as_view(), name="order_list"),
    path("ordering/orders/approval/", views.ApprovalQueue.as_view(), name="order_approval_queue"),
    path("ordering/my/", views.MyOrderLines.as_view(), name="my_order_lines"),
    path("ordering/orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("ordering/orders/<int:pk>/decide/", views.OrderDecide.as_view(), name="order_decide"),
    path("ordering/orders/<int:pk>/cancel/", views.OrderCancel.as_view(), name="order_cancel"),
    path("ordering/orders/<int:pk>/purchase/", views.OrderPurchase.as_view(), name="order_purchase"),
    path("ordering/orders/<int:pk>/history/", views.OrderHistory.as_view(), name="order_history"),
    path("ordering/order-lines/<int:pk>/hand-over/", views.OrderLineHandOver.as_view(), name="orderline_hand_over"),
    path("ordering/purchase-orders/", views_purchasing.PurchaseOrderList.as_view(), name="purchaseorder_list"),
    path("ordering/purchase-orders/run/", views_purchasing.purchase_approved, name="purchase_approved"),
    path(
        "ordering/purchase-orders/confirmations/",
        views_purchasing.purchaseorder_confirmations,
        name="purchaseorder_confirmations",
    ),
    path("ordering/purchase-orders/<int:pk>/", views_purchasing.purchaseorder_detail, name="purchaseorder_detail"),
    path("ordering/purchase-orders/<int:pk>/file/", views_purchasing.purchaseorder_file, name="purchaseorder_file"),
    path(
        "ordering/purchase-orders/<int:pk>/confirm/",
        views_purchasing.PurchaseOrderConfirm.as_view(),
        name="purchaseorder_confirm",
    ),
    path(
        "ordering/purchase-orders/<int:pk>/confirm/file/",
        views_purchasing.purchaseorder_confirm_file,
        name="purchaseorder_confirm_file",
    ),
    path(
        "ordering/purchase-orders/<int:pk>/deliver/",
        views_purchasing.PurchaseOrderDeliver.as_view(),
        name="purchaseorder_deliver",
    ),
    path(
        "ordering/purchase-orders/<int:pk>/resend/",
        views_purchasing.PurchaseOrderResend.as_view(),
        name="purchaseorder_resend",
    ),
    path("ordering/lead-times/", views_purchasing.lead_time_report, name="ordering_lead_times"),
    path("ordering/joint-procurement/", views_purchasing.joint_procurement, name="ordering_joint_procurement"),
]
