from django.urls import path

from samdrift.tenancy import import_views, views

urlpatterns = []
for prefix, name, v in [
    (
        "owners",
        "owner",
        (views.OwnerList, views.OwnerDetail, views.OwnerFormView, views.OwnerActive, views.OwnerHistory),
    ),
    (
        "org-units",
        "orgunit",
        (views.OrgUnitList, views.OrgUnitDetail, views.OrgUnitFormView, views.OrgUnitActive, views.OrgUnitHistory),
    ),
    (
        "cost-centres",
        "costcentre",
        (
            views.CostCentreList,
            views.CostCentreDetail,
            views.CostCentreFormView,
            views.CostCentreActive,
            views.CostCentreHistory,
        ),
    ),
    (
        "people",
        "person",
        (views.PersonList, views.PersonDetail, views.PersonFormView, views.PersonActive, views.PersonHistory),
    ),
]:
    list_view, detail_view, form_view, active_view, history_view = v
    urlpatterns += [
        path(f"{prefix}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}/new/", form_view.as_view(), name=f"{name}_create"),
        path(f"{prefix}/<int:pk>/", detail_view.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/edit/", form_view.as_view(), name=f"{name}_edit"),
        path(f"{prefix}/<int:pk>/active/", active_view.as_view(), name=f"{name}_active"),
        path(f"{prefix}/<int:pk>/history/", history_view.as_view(), name=f"{name}_history"),
    ]

urlpatterns += [
    path("users/", views.UserList.as_view(), name="user_list"),
    path("users/new/", views.UserFormView.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserDetail.as_view(), name="user_detail"),
    path("users/<int:pk>/edit/", views.UserFormView.as_view(), name="user_edit"),
    path("users/<int:pk>/history/", views.UserHistory.as_view(), name="user_history"),
    path("users/<int:pk>/grant-role/", views.grant_role, name="user_grant_role"),
    path("memberships/<int:pk>/revoke/", views.revoke_role, name="membership_revoke"),
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
