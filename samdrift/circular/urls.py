from django.urls import path

from samdrift.circular import views, views_climate

urlpatterns = [
    path("circular/partners/", views.PartnerList.as_view(), name="circular_partner_list"),
    path("circular/partners/new/", views.PartnerCreate.as_view(), name="circular_partner_create"),
    path("circular/partners/<int:pk>/edit/", views.PartnerEdit.as_view(), name="circular_partner_edit"),
    path("circular/security-officers/new/", views.SecurityContactCreate.as_view(), name="circular_security_create"),
    path("circular/batches/", views.BatchList.as_view(), name="circular_batch_list"),
    path("circular/batches/new/", views.BatchCreate.as_view(), name="circular_batch_create"),
    path("circular/batches/<int:pk>/", views.batch_detail, name="circular_batch_detail"),
    path("circular/batches/<int:pk>/edit/", views.BatchEdit.as_view(), name="circular_batch_edit"),
    path("circular/batches/<int:pk>/add/", views.batch_add, name="circular_batch_add"),
    path("circular/batches/<int:pk>/scan/", views.batch_scan, name="circular_batch_scan"),
    path("circular/batches/<int:pk>/order/", views.batch_order, name="circular_batch_order"),
    path("circular/batches/<int:pk>/advance/", views.batch_advance, name="circular_batch_advance"),
    path("circular/batches/<int:pk>/pickup-order/", views.batch_file, name="circular_batch_file"),
    path("circular/batches/<int:pk>/report/", views.report_upload, name="circular_report_upload"),
    path("circular/devices/", views.DeviceList.as_view(), name="circular_item_list"),
    path("circular/devices/<int:pk>/", views.item_detail, name="circular_item_detail"),
    path("circular/devices/<int:pk>/packing/", views.item_packing, name="circular_item_packing"),
    path("circular/devices/<int:pk>/remove/", views.item_remove, name="circular_item_remove"),
    path("circular/reports/<int:pk>/", views.report_detail, name="circular_report_detail"),
    path("circular/reports/<int:pk>/columns/", views.report_columns, name="circular_report_columns"),
    path("circular/reports/<int:pk>/check/", views.report_check, name="circular_report_check"),
    path("circular/reports/<int:pk>/apply/", views.report_apply, name="circular_report_apply"),
    path("circular/reports/<int:pk>/file/", views.report_file, name="circular_report_file"),
    path("circular/report-lines/<int:pk>/resolve/", views.line_resolve, name="circular_line_resolve"),
    path("circular/certificates/<int:pk>/", views.certificate_download, name="circular_certificate_download"),
    path("circular/certificates/<int:pk>/partner-file/", views.certificate_attach, name="circular_certificate_attach"),
    path("circular/credits/<int:pk>/", views.credit_detail, name="circular_credit_detail"),
    path("circular/climate/", views_climate.climate, name="circular_climate"),
]
