"""Service desk reference data (categories, support groups, SLA policies) and the knowledge base's pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from samdrift.core.access import scope_for
from samdrift.core.context_processors import is_portal_user
from samdrift.core.views import (
    ActionFormView,
    HistoryView,
    ScopedDetailView,
    ScopedListView,
    SetActiveView,
)
from samdrift.servicedesk import actions
from samdrift.servicedesk.filters import (
    ArticleFilter,
    CategoryFilter,
    SlaPolicyFilter,
    SupportGroupFilter,
)
from samdrift.servicedesk.forms import (
    ArticleEditForm,
    ArticleForm,
    CategoryEditForm,
    CategoryForm,
    SlaPolicyEditForm,
    SlaPolicyForm,
    SupportGroupForm,
)
from samdrift.servicedesk.models import (
    Article,
    Category,
    SlaPolicy,
    SupportGroup,
    Ticket,
)
from samdrift.servicedesk.search import search_articles
from samdrift.servicedesk.tables import (
    ArticleTable,
    CategoryTable,
    SlaPolicyTable,
    SupportGroupTable,
)
from samdrift.servicedesk.views import _creator, _writer

# --- reference data: categories and SLA policies -----------------------------------------------


class CategoryList(ScopedListView):
    model = Category
    table_class = CategoryTable
    filterset_class = CategoryFilter
    select_related = ("owner", "parent", "default_group")
    title = gettext_lazy("Categories")
    export_fields = ("owner__name", "name", "parent__name", "offered_in_portal", "active")
    create_url_name = "sd_category_create"
    may_create = _creator("category")


class CategoryDetail(ScopedDetailView):
    model = Category
    detail_fields = ("owner", "parent", "name", "default_group", "offered_in_portal", "active")
    edit_url_name, history_url_name, active_url_name = "sd_category_edit", "sd_category_history", "sd_category_active"
    may_edit = _writer("category")


class CategoryFormView(ActionFormView):
    model = Category
    create_action = actions.do_create_category
    update_action = actions.do_update_category
    may_write = _writer("category")
    success_url_name = "sd_category_detail"

    def get_form_class(self) -> Any:
        return CategoryEditForm if self.object else CategoryForm


class CategoryActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        Category,
        actions.do_set_category_active,
        _writer("category"),
        "sd_category_detail",
    )


class CategoryHistory(HistoryView):
    model = Category


class SupportGroupList(ScopedListView):
    model = SupportGroup
    table_class = SupportGroupTable
    filterset_class = SupportGroupFilter
    title = gettext_lazy("Support groups")
    export_fields = ("name", "email", "active")
    create_url_name = "sd_supportgroup_create"
    may_create = _creator("group")

    def get_queryset(self) -> Any:
        return super().get_queryset().annotate(member_count=Count("members", distinct=True))


class SupportGroupDetail(ScopedDetailView):
    model = SupportGroup
    template_name = "servicedesk/supportgroup_detail.html"
    detail_fields = ("name", "email", "active")
    edit_url_name, history_url_name, active_url_name = (
        "sd_supportgroup_edit",
        "sd_supportgroup_history",
        "sd_supportgroup_active",
    )
    may_edit = _writer("group")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        group = self.object
        context["members"] = list(group.members.order_by("username"))
        context["open_tickets"] = Ticket.objects.for_user(self.request.user).filter(group=group).open().count()
        return context


class SupportGroupFormView(ActionFormView):
    model = SupportGroup
    form_class = SupportGroupForm
    create_action = actions.do_save_support_group
    update_action = actions.do_update_support_group
    may_write = _writer("group")
    success_url_name = "sd_supportgroup_detail"


class SupportGroupActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        SupportGroup,
        actions.do_set_support_group_active,
        _writer("group"),
        "sd_supportgroup_detail",
    )


class SupportGroupHistory(HistoryView):
    model = SupportGroup


class SlaPolicyList(ScopedListView):
    model = SlaPolicy
    table_class = SlaPolicyTable
    filterset_class = SlaPolicyFilter
    select_related = ("owner",)
    title = gettext_lazy("SLA policies")
    export_fields = ("owner__name", "priority", "first_response_minutes", "resolution_minutes", "active")
    create_url_name = "sd_slapolicy_create"
    may_create = _creator("slapolicy")


class SlaPolicyDetail(ScopedDetailView):
    model = SlaPolicy
    detail_fields = (
        "owner",
        "priority",
        "first_response_minutes",
        "resolution_minutes",
        "opens",
        "closes",
        "weekdays",
        "active",
    )
    edit_url_name, history_url_name, active_url_name = (
        "sd_slapolicy_edit",
        "sd_slapolicy_history",
        "sd_slapolicy_active",
    )
    may_edit = _writer("slapolicy")


class SlaPolicyFormView(ActionFormView):
    model = SlaPolicy
    create_action = actions.do_create_sla_policy
    update_action = actions.do_update_sla_policy
    may_write = _writer("slapolicy")
    success_url_name = "sd_slapolicy_detail"

    def get_form_class(self) -> Any:
        return SlaPolicyEditForm if self.object else SlaPolicyForm


class SlaPolicyActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        SlaPolicy,
        actions.do_set_sla_policy_active,
        _writer("slapolicy"),
        "sd_slapolicy_detail",
    )


class SlaPolicyHistory(HistoryView):
    model = SlaPolicy


# --- knowledge base ----------------------------------------------------------------------------


class ArticleList(ScopedListView):
    model = Article
    table_class = ArticleTable
    filterset_class = ArticleFilter
    select_related = ("owner", "category")
    title = gettext_lazy("Knowledge base")
    export_fields = ("owner__name", "title", "visibility", "active")
    create_url_name = "sd_article_create"
    may_create = _creator("article")

    def get_template_names(self) -> list[str]:
        # End users read help articles, they do not administer a table of them.
        if is_portal_user(scope_for(self.request.user).all_roles):
            return ["servicedesk/portal_articles.html"]
        return super().get_template_names()


class ArticleDetail(ScopedDetailView):
    model = Article
    detail_fields = ("owner", "title", "body", "visibility", "category", "updated", "active")
    edit_url_name, history_url_name, active_url_name = "sd_article_edit", "sd_article_history", "sd_article_active"
    may_edit = _writer("article")

    def get_template_names(self) -> list[str]:
        if is_portal_user(scope_for(self.request.user).all_roles):
            return ["servicedesk/portal_article.html"]
        return super().get_template_names()


class ArticleFormView(ActionFormView):
    model = Article
    create_action = actions.do_create_article
    update_action = actions.do_update_article
    may_write = _writer("article")
    success_url_name = "sd_article_detail"

    def get_form_class(self) -> Any:
        return ArticleEditForm if self.object else ArticleForm


class ArticleActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        Article,
        actions.do_set_article_active,
        _writer("article"),
        "sd_article_detail",
    )


class ArticleHistory(HistoryView):
    model = Article


def article_suggestions(request: HttpRequest) -> HttpResponse:
    """HTMX: articles matching what the user types as the subject of a new ticket."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    query = request.GET.get("subject") or request.GET.get("q") or ""
    articles = search_articles(request.user, query, limit=5) if len(query.strip()) >= 3 else []
    return render(request, "servicedesk/_suggestions.html", {"articles": articles})
