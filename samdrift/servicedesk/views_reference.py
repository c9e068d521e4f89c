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
from samdrift.core.crud import ModelViews
from samdrift.core.views import ScopedDetailView, ScopedListView
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
    Category,
    KnowledgeArticle,
    SlaPolicy,
    SupportGroup,
    Ticket,
)
from samdrift.servicedesk.permissions import may_write
from samdrift.servicedesk.search import search_articles
from samdrift.servicedesk.tables import (
    ArticleTable,
    CategoryTable,
    SlaPolicyTable,
    SupportGroupTable,
)

# --- reference data: categories, support groups and SLA policies ------------------------------
# Each model's list, detail, form, (de)activation and history pages and their URLs come from
# core's ModelViews; only what differs is declared here.

categories = ModelViews(
    Category,
    "servicedesk/categories",
    name="sd_category",
    thing="category",
    may_write=may_write,
    list={
        "table_class": CategoryTable,
        "filterset_class": CategoryFilter,
        "select_related": ("owner", "parent", "default_group"),
        "title": gettext_lazy("Categories"),
        "export_fields": ("owner__name", "name", "parent__name", "offered_in_portal", "active"),
    },
    detail={"detail_fields": ("owner", "parent", "name", "default_group", "offered_in_portal", "active")},
    form={"form_class": CategoryForm},
    edit_form_class=CategoryEditForm,
    create_action=actions.do_create_category,
    update_action=actions.do_update_category,
    active_action=actions.do_set_category_active,
)
CategoryList, CategoryDetail, CategoryFormView, CategoryActive, CategoryHistory = categories.views()


class _SupportGroupList(ScopedListView):
    table_class = SupportGroupTable
    filterset_class = SupportGroupFilter
    title = gettext_lazy("Support groups")
    export_fields = ("name", "email", "active")

    def get_queryset(self) -> Any:
        return super().get_queryset().annotate(member_count=Count("members", distinct=True))


class _SupportGroupDetail(ScopedDetailView):
    template_name = "servicedesk/supportgroup_detail.html"
    detail_fields = ("name", "email", "active")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        group = self.object
        context["members"] = list(group.members.order_by("username"))
        context["open_tickets"] = Ticket.objects.for_user(self.request.user).filter(group=group).open().count()
        return context


support_groups = ModelViews(
    SupportGroup,
    "servicedesk/groups",
    name="sd_supportgroup",
    thing="group",
    may_write=may_write,
    list=_SupportGroupList,
    detail=_SupportGroupDetail,
    form={"form_class": SupportGroupForm},
    create_action=actions.do_save_support_group,
    update_action=actions.do_update_support_group,
    active_action=actions.do_set_support_group_active,
)
SupportGroupList, SupportGroupDetail, SupportGroupFormView, SupportGroupActive, SupportGroupHistory = (
    support_groups.views()
)

sla_policies = ModelViews(
    SlaPolicy,
    "servicedesk/sla-policies",
    name="sd_slapolicy",
    thing="slapolicy",
    may_write=may_write,
    list={
        "table_class": SlaPolicyTable,
        "filterset_class": SlaPolicyFilter,
        "select_related": ("owner",),
        "title": gettext_lazy("SLA policies"),
        "export_fields": ("owner__name", "priority", "first_response_minutes", "resolution_minutes", "active"),
    },
    detail={
        "detail_fields": (
            "owner",
            "priority",
            "first_response_minutes",
            "resolution_minutes",
            "opens",
            "closes",
            "weekdays",
            "active",
        )
    },
    form={"form_class": SlaPolicyForm},
    edit_form_class=SlaPolicyEditForm,
    create_action=actions.do_create_sla_policy,
    update_action=actions.do_update_sla_policy,
    active_action=actions.do_set_sla_policy_active,
)
SlaPolicyList, SlaPolicyDetail, SlaPolicyFormView, SlaPolicyActive, SlaPolicyHistory = sla_policies.views()


# --- knowledge base ----------------------------------------------------------------------------


class _ArticleList(ScopedListView):
    table_class = ArticleTable
    filterset_class = ArticleFilter
    select_related = ("owner", "category")
    title = gettext_lazy("Knowledge base")
    export_fields = ("owner__name", "title", "visibility", "active")

    def get_template_names(self) -> list[str]:
        # End users read help articles, they do not administer a table of them.
        if is_portal_user(scope_for(self.request.user).all_roles):
            return ["servicedesk/portal_articles.html"]
        return super().get_template_names()


class _ArticleDetail(ScopedDetailView):
    detail_fields = ("owner", "title", "body", "visibility", "category", "updated", "active")

    def get_template_names(self) -> list[str]:
        if is_portal_user(scope_for(self.request.user).all_roles):
            return ["servicedesk/portal_article.html"]
        return super().get_template_names()


articles = ModelViews(
    KnowledgeArticle,
    "servicedesk/articles",
    name="sd_article",
    thing="article",
    may_write=may_write,
    list=_ArticleList,
    detail=_ArticleDetail,
    form={"form_class": ArticleForm},
    edit_form_class=ArticleEditForm,
    create_action=actions.do_create_article,
    update_action=actions.do_update_article,
    active_action=actions.do_set_article_active,
)
ArticleList, ArticleDetail, ArticleFormView, ArticleActive, ArticleHistory = articles.views()


def article_suggestions(request: HttpRequest) -> HttpResponse:
    """HTMX: articles matching what the user types as the subject of a new ticket."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    query = request.GET.get("subject") or request.GET.get("q") or ""
    articles = search_articles(request.user, query, limit=5) if len(query.strip()) >= 3 else []
    return render(request, "servicedesk/_suggestions.html", {"articles": articles})
