from django.urls import path

from samdrift.billing import finance_views, views
from samdrift.core.crud import model_urls

urlpatterns = [
    path("billing/periods/", views.PeriodList.as_view(), name="billingperiod_list"),
    path("billing/periods/new/", views.period_create, name="billingperiod_create"),
    path("billing/periods/<int:pk>/", views.period_detail, name="billingperiod_detail"),
    path("billing/periods/<int:pk>/run/", views.PeriodRun.as_view(), name="billingperiod_run"),
    path("billing/periods/<int:pk>/close/", views.PeriodClose.as_view(), name="billingperiod_close"),
    path("billing/periods/<int:pk>/check/", views.PeriodCheck.as_view(), name="billingperiod_check"),
    path("billing/periods/<int:pk>/sie/", views.period_sie, name="billingperiod_sie"),
    path("billing/runs/<int:pk>/", views.run_detail, name="billingrun_detail"),
    path("billing/jobs/<int:pk>/", views.job_detail, name="billingjob_detail"),
    path("billing/invoices/", views.InvoiceList.as_view(), name="invoice_list"),
    path("billing/invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("billing/invoices/<int:pk>/peppol.xml", views.invoice_xml, name="invoice_xml"),
    path("billing/invoices/<int:pk>/specification.xlsx", views.invoice_xlsx, name="invoice_xlsx"),
    path("billing/invoices/<int:pk>/invoice.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("billing/invoices/<int:pk>/credit/", views.InvoiceCredit.as_view(), name="invoice_credit"),
    path("billing/lines/<int:pk>/", views.line_detail, name="invoiceline_detail"),
    path("billing/pools/", views.CostPoolList.as_view(), name="costpool_list"),
    path("billing/pools/new/", finance_views.CostPoolFormView.as_view(), name="costpool_create"),
    path("billing/pools/<int:pk>/", views.pool_detail, name="costpool_detail"),
    path("billing/pools/<int:pk>/edit/", finance_views.CostPoolFormView.as_view(), name="costpool_edit"),
    path("billing/pools/<int:pk>/keys/new/", finance_views.key_create, name="allocationkey_create"),
    path("billing/keys/<int:pk>/figures/", finance_views.key_figures, name="allocationkey_figures"),
    path("billing/usage/import/", views.usage_import, name="billing_usage_import"),
    path("billing/reconciliation/", views.reconciliation, name="billing_reconciliation"),
    path("billing/trend/", views.trend, name="billing_trend"),
]

# Finance's reference screens: each model's list, detail, form and history pages from core's ModelViews.
urlpatterns += model_urls(
    finance_views.articles,
    finance_views.billing_profiles,
    finance_views.subscriptions,
    finance_views.charges,
    finance_views.work_type_rates,
)
