from django.urls import path

from samdrift.insight import views

urlpatterns = [
    path("", views.start, name="home"),
    path("insight/", views.index, name="insight_index"),
    path("insight/settings/", views.settings_page, name="insight_settings"),
    path("insight/<int:pk>/", views.owner_page, name="insight_owner"),
    path("insight/<int:pk>/lines/", views.owner_lines, name="insight_lines"),
    path("insight/<int:pk>/export/", views.owner_export, name="insight_export"),
    path("insight/reports/<int:pk>/report.pdf", views.report_pdf, name="insight_report"),
]
