from django.urls import path

from samdrift.core.crud import model_urls
from samdrift.tenancy import import_views, views

urlpatterns = [
    *model_urls(views.owners, views.org_units, views.cost_centres, views.people, views.users),
    path("users/<int:pk>/grant-role/", views.GrantRole.as_view(), name="user_grant_role"),
    path("memberships/<int:pk>/revoke/", views.RevokeRole.as_view(), name="membership_revoke"),
]

# Imports of org units, cost centres and people (administrators only).
urlpatterns += [
    path("imports/", import_views.ImportList.as_view(), name="import_list"),
    path("imports/new/", import_views.ImportUpload.as_view(), name="import_create"),
    path("imports/template/<slug:kind>/", import_views.ImportTemplate.as_view(), name="import_template"),
    path("imports/<int:pk>/", import_views.ImportDetail.as_view(), name="import_detail"),
    path("imports/<int:pk>/check/", import_views.ImportCheck.as_view(), name="import_check"),
    path("imports/<int:pk>/commit/", import_views.ImportCommit.as_view(), name="import_commit"),
    path("imports/<int:pk>/file/", import_views.ImportFile.as_view(), name="import_file"),
]
