"""One FilterSet per list, used by the UI lists and the API alike; queues are a filter too."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import scope_for
from samdrift.servicedesk.calendar import add_business_time
from samdrift.servicedesk.models import (
    OPEN_STATUSES,
    RUNNING_STATUSES,
    WAITING_STATUSES,
    ArticleVisibility,
    Category,
    Comment,
    InboundMessage,
    InboundStatus,
    KnowledgeArticle,
    Mailbox,
    Priority,
    SlaPolicy,
    Status,
    SupportGroup,
    Ticket,
    TicketType,
    TimeEntry,
)
from samdrift.servicedesk.permissions import DESK
from samdrift.tenancy.filters import SearchFilterSet, _owners
from samdrift.tenancy.models import User

QUEUES = [
    ("mine", _("Mine")),
    ("groups", _("My groups")),
    ("unassigned", _("Unassigned")),
    ("breaching", _("Breaching soon")),
    ("waiting", _("Waiting")),
    ("open", _("All open")),
]


class _ListChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """django-filters' options (with its null choice) read with one plain query: see
    servicedesk.forms.ListChoiceIterator (defined here too, as forms imports this module)."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.queryset:
            yield self.choice(obj)


class _ShortChoiceField(django_filters.fields.ModelChoiceField):
    iterator = _ListChoiceIterator


class ShortModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A filter over a short list (owners, categories, groups, agents)."""

    field_class = _ShortChoiceField


def desk_users() -> QuerySet[User]:
    """Operator staff who work tickets: the people a ticket can be assigned to."""
    return (
        User.objects.filter(
            is_active=True, memberships__active=True, memberships__owner__isnull=True, memberships__role__in=DESK
        )
        .distinct()
        .order_by("username")
    )


def _categories(request: Any) -> QuerySet[Category]:
    if request is None:
        return Category.objects.none()
    return Category.objects.for_user(request.user).filter(active=True)


def _groups(request: Any) -> QuerySet[SupportGroup]:
    if request is None:
        return SupportGroup.objects.none()
    return SupportGroup.objects.for_user(request.user).filter(active=True)


def _assignees(request: Any) -> QuerySet[User]:
    if request is None or not scope_for(request.user).is_operator:
        return User.objects.none()
    return desk_users()


def apply_queue(queryset: QuerySet, queue: str, user: Any) -> QuerySet:
    from samdrift.servicedesk.tasks import warn_minutes

    open_qs = queryset.filter(status__in=OPEN_STATUSES)
    if queue == "mine":
        return open_qs.filter(assignee_id=getattr(user, "pk", None))
    if queue == "groups":
        # The user's groups first (a few ids), then the tickets by group_id: a join through the
        # membership table made PostgreSQL walk every open ticket when the agent had few (or no)
        # group tickets (470 ms at 200,000 tickets; see bench/servicedesk_queue.py).
        user_pk = getattr(user, "pk", None)
        memberships = SupportGroup.members.through.objects.filter(user_id=user_pk) if user_pk else None
        group_ids = list(memberships.values_list("supportgroup_id", flat=True)) if memberships is not None else []
        return open_qs.filter(group_id__in=group_ids) if group_ids else open_qs.none()
    if queue == "unassigned":
        return open_qs.filter(assignee__isnull=True)
    if queue == "breaching":
        horizon = add_business_time(timezone.now(), warn_minutes() * 60)
        return queryset.filter(status__in=RUNNING_STATUSES, resolution_due__lte=horizon)
    if queue == "waiting":
        return queryset.filter(status__in=WAITING_STATUSES)
    if queue == "open":
        return open_qs
    return queryset


class TicketFilter(SearchFilterSet):
    search_fields = ("number", "subject")
    queue = django_filters.ChoiceFilter(choices=QUEUES, label=_("Queue"), method="filter_queue")
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("Status"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"))
    type = django_filters.ChoiceFilter(choices=TicketType.choices, label=_("Type"))
    owner = ShortModelChoiceFilter(queryset=_owners, label=_("Owner"))
    category = ShortModelChoiceFilter(queryset=_categories, label=_("Category"))
    group = ShortModelChoiceFilter(queryset=_groups, label=_("Group"))
    assignee = ShortModelChoiceFilter(queryset=_assignees, label=_("Assignee"))

    class Meta:
        model = Ticket
        fields = ["queue", "status", "priority", "type", "owner", "category", "group", "assignee"]

    def filter_queue(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return apply_queue(queryset, value, getattr(self.request, "user", None))

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if value.upper().startswith("SD-"):
            return queryset.filter(number__iexact=value)
        return queryset.filter(Q(subject__icontains=value) | Q(number__icontains=value))


class ArticleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label=_("Owner"))
    visibility = django_filters.ChoiceFilter(choices=ArticleVisibility.choices, label=_("Visibility"))

    class Meta:
        model = KnowledgeArticle
        fields = ["q", "owner", "visibility"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        from samdrift.servicedesk.search import search_articles

        ids = search_articles(None, value, limit=200, queryset=queryset).values("pk")
        return queryset.filter(pk__in=ids)


class SupportGroupFilter(SearchFilterSet):
    search_fields = ("name", "email")
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = SupportGroup
        fields = ["active"]


class CategoryFilter(SearchFilterSet):
    search_fields = ("name",)
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label=_("Owner"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Category
        fields = ["owner", "active"]


class SlaPolicyFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label=_("Owner"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"))

    class Meta:
        model = SlaPolicy
        fields = ["owner", "priority"]


class CommentFilter(django_filters.FilterSet):
    class Meta:
        model = Comment
        fields = ["ticket", "kind"]


class TimeEntryFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"))

    class Meta:
        model = TimeEntry
        fields = ["ticket", "owner", "billable", "work_type"]


class MailboxFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label=_("Owner"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Mailbox
        fields = ["owner", "active"]


def _mailboxes(request: Any) -> QuerySet[Mailbox]:
    if request is None:
        return Mailbox.objects.none()
    return Mailbox.objects.for_user(request.user)


class InboundFilter(SearchFilterSet):
    """The error queue is `?status=failed`; `?attention=1` adds processed messages with warnings."""

    search_fields = ("sender", "subject")
    status = django_filters.ChoiceFilter(choices=InboundStatus.choices, label=_("Status"))
    mailbox = django_filters.ModelChoiceFilter(queryset=_mailboxes, label=_("Mailbox"))
    attention = django_filters.BooleanFilter(label=_("Needs attention"), method="filter_attention")

    class Meta:
        model = InboundMessage
        fields = ["status", "mailbox", "attention"]

    def filter_attention(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        condition = Q(status=InboundStatus.FAILED) | (Q(status=InboundStatus.PROCESSED) & ~Q(warnings=""))
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(sender__istartswith=value) | Q(subject__icontains=value))
