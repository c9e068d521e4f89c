from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from samdrift.assets import api as assets_api
from samdrift.billing import api as billing_api
from samdrift.circular import api as circular_api
from samdrift.core import api_views as core_api
from samdrift.core import outbox_views, pages
from samdrift.core import pickers as core_pickers
from samdrift.core import views as core_views
from samdrift.core.routers import GroupedRouter
from samdrift.core.security import ApiDocsPermission, login_unless_docs_public
from samdrift.core.urlgroups import app_urls
from samdrift.identity import api as identity_api
from samdrift.insight import services as insight_services
from samdrift.ordering import api as ordering_api
from samdrift.records import api as records_api
from samdrift.servicedesk import api as servicedesk_api
from samdrift.tenancy import api as tenancy_api
from samdrift.tenancy import operator_views
from samdrift.tenancy.login import ThrottledLoginView

router = GroupedRouter()
router.register("owners", tenancy_api.OwnerViewSet)
router.register("org-units", tenancy_api.OrgUnitViewSet)
router.register("cost-centres", tenancy_api.CostCentreViewSet)
router.register("people", tenancy_api.PersonViewSet)
router.register("users", tenancy_api.UserViewSet)
router.register("memberships", tenancy_api.MembershipViewSet)
router.register("imports", tenancy_api.ImportBatchViewSet)
router.register("audit-events", core_api.AuditEventViewSet)
router.register("outbox", core_api.OutgoingMessageViewSet)
# Each capability registers its own API routes.
for app_api in (assets_api, servicedesk_api, billing_api, ordering_api, records_api, circular_api, identity_api):
    app_api.register(router)
insight_services.register_api(router)

urlpatterns = [
    # The API first: each UI include below has an empty prefix, so a request tried after them was
    # matched against every UI route first.
    path("api/v1/me/", core_api.me, name="api_me"),
    path("api/v1/operator/", operator_views.OperatorAPIView.as_view(), name="api_operator"),
    path("api/v1/", include(router.urls)),
    path("pick/<slug:kind>/", core_pickers.pick, name="core_pick"),
    path("", include("samdrift.insight.urls")),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", pages.AuditSearch.as_view(), name="audit_search"),
    path("health/", pages.health, name="health"),
    path("outbox/", outbox_views.OutboxList.as_view(), name="outbox_list"),
    path("outbox/<int:pk>/", outbox_views.OutboxDetail.as_view(), name="outbox_detail"),
    path("outbox/<int:pk>/retry/", outbox_views.OutboxRetry.as_view(), name="outbox_retry"),
    path("operations/", pages.operations_page, name="operations"),
    path("exports/<int:pk>/", core_views.export_detail, name="export_detail"),
    path("exports/<int:pk>/download/", core_views.export_download, name="export_download"),
    path("operator/", operator_views.operator_detail, name="operator_detail"),
    path("operator/edit/", operator_views.operator_edit, name="operator_edit"),
    app_urls("samdrift.tenancy.urls"),
    app_urls("samdrift.billing.urls"),
    app_urls("samdrift.assets.urls"),
    app_urls("samdrift.servicedesk.urls"),
    app_urls("samdrift.ordering.urls"),
    app_urls("samdrift.records.urls"),
    app_urls("samdrift.circular.urls"),
    app_urls("samdrift.identity.urls"),
    # Behind login in production (settings.SAMDRIFT_API_DOCS_PUBLIC); the split view serves Swagger
    # UI's start script as a file, so the page runs under the content security policy.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[ApiDocsPermission]), name="api_schema"),
    path(
        "api/docs/",
        login_unless_docs_public(
            SpectacularSwaggerSplitView.as_view(url_name="api_schema", permission_classes=[ApiDocsPermission])
        ),
        name="api_docs",
    ),
]
