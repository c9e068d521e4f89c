"""Audit search, the operations page and the health check. (The start page is insight's.)"""

from typing import Any

import django_filters
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_filters.views import FilterView

from samdrift.core import operations
from samdrift.core.access import scope_for
from samdrift.core.audit_reading import mask_unreadable, related_names
from samdrift.core.labels import about_label
from samdrift.core.models import AuditEvent, AuditEventType
from samdrift.core.roles import Role


@never_cache
def health(request: HttpRequest) -> HttpResponse:
    """For a load balancer or a monitor: 200 while the database answers and the worker and the
    scheduler have been heard from lately, 503 otherwise; the JSON says which."""
    healthy, body = operations.health()
    return JsonResponse(body, status=200 if healthy else 503)


@login_required
def operations_page(request: HttpRequest) -> HttpResponse:
    """The operations page (driftläge), for operator administrators."""
    if not scope_for(request.user).has_operator_role({Role.ADMIN}):
        raise PermissionDenied
    data = operations.snapshot()
    if data["database"]["ok"]:
        data["sections"] = operations.sections(data["now"])
    data["silent_seconds"] = settings.SAMDRIFT_SILENT_SECONDS
    return render(request, "core/operations.html", data)


class AuditFilter(django_filters.FilterSet):
    event_type = django_filters.ChoiceFilter(choices=AuditEventType.choices, label=_("Event"))
    object_type = django_filters.CharFilter(label=_("Object type"), method="filter_object_type")
    object_id = django_filters.CharFilter(label=_("Object id"))
    actor_label = django_filters.CharFilter(label=_("Actor"))
    created_after = django_filters.DateFilter(field_name="created", lookup_expr="date__gte", label=_("From"))
    created_before = django_filters.DateFilter(field_name="created", lookup_expr="date__lte", label=_("To"))

    class Meta:
        model = AuditEvent
        fields = ["event_type", "object_type", "object_id", "actor_label"]

    def filter_object_type(self, queryset: Any, name: str, value: str) -> Any:
        """A model's events under its current label and those it had before a rename (core.labels)."""
        return about_label(queryset, value)


class AuditSearch(LoginRequiredMixin, FilterView):
    model = AuditEvent
    filterset_class = AuditFilter
    template_name = "core/audit_search.html"
    paginate_by = 100

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not scope_for(request.user).has_operator_role(
            AuditEvent.OPERATOR_VIEW_ROLES
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return AuditEvent.objects.for_user(self.request.user).order_by("-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Each event carries only what its reader may read of its object (core/audit_reading.py).
        context["object_list"] = mask_unreadable(self.request.user, context["object_list"])
        # Changes in words: each related row named with one query per model for the whole page.
        context["change_names"] = related_names(self.request.user, context["object_list"])
        return context
