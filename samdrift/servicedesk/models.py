"""The service desk (servicedesk): tickets (ärenden), their comments, time and SLA.

Categories are per owner (each municipality has its own tree); a standard tree is copied to an
owner with `do_copy_categories`, so every owner-scoped row keeps a non-null owner. Support
groups, the priority matrix and the ticket number counter belong to the operator.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from samdrift.core.access import OperatorOnlyModel, OwnerScopedModel, Scope, ScopedQuerySet
from samdrift.core.roles import OPERATOR_ROLES, Role
from samdrift.servicedesk.calendar import BusinessCalendar

# Operator roles that see confidential tickets and comments (sekretessmarkerade ärenden).
CONFIDENTIAL_ROLES: frozenset[str] = frozenset({Role.ADMIN, Role.AGENT})
# Operator roles that work tickets.
DESK_ROLES: frozenset[str] = frozenset({Role.ADMIN, Role.AGENT, Role.TECHNICIAN})


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    API = "api", _("API")


class TicketType(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Service request")
    QUESTION = "question", _("Question")


class Level(models.IntegerChoices):
    HIGH = 1, _("High")
    MEDIUM = 2, _("Medium")
    LOW = 3, _("Low")


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 critical")
    P2 = 2, _("P2 high")
    P3 = 3, _("P3 normal")
    P4 = 4, _("P4 low")


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_REQUESTER = "waiting_requester", _("Waiting on requester")
    WAITING_SUPPLIER = "waiting_supplier", _("Waiting on supplier")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_REQUESTER, Status.WAITING_SUPPLIER)
# The SLA clock stands still in these (the desk is waiting on someone else, or is done).
PAUSED_STATUSES = frozenset({Status.WAITING_REQUESTER, Status.WAITING_SUPPLIER, Status.RESOLVED})
WAITING_STATUSES = (Status.WAITING_REQUESTER, Status.WAITING_SUPPLIER)
# Open and not paused: the SLA clock runs.
RUNNING_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS)


class TicketSecrecyGround(models.TextChoices):
    """Grounds for secrecy under OSL (offentlighets- och sekretesslagen) that the desk meets.

    A fixed list for tickets and comments; the records officer's register keeps its own grounds as
    rows (`records.SecrecyGround`)."""

    SECURITY = "osl_18_8", _("OSL 18 kap. 8 § (security measures)")
    PROCUREMENT = "osl_19_3", _("OSL 19 kap. 3 § (procurement)")
    BUSINESS = "osl_31_16", _("OSL 31 kap. 16 § (business terms)")
    PERSONNEL = "osl_39", _("OSL 39 kap. (personnel)")
    PUPILS = "osl_23", _("OSL 23 kap. (pupils)")


# Impact × urgency → priority when the operator has not configured a cell (ITIL's usual grid).
DEFAULT_MATRIX: dict[tuple[int, int], int] = {
    (1, 1): 1,
    (1, 2): 2,
    (1, 3): 3,
    (2, 1): 2,
    (2, 2): 3,
    (2, 3): 4,
    (3, 1): 3,
    (3, 2): 4,
    (3, 3): 4,
}

# Business minutes (first response, resolution) when an owner has no policy for a priority.
DEFAULT_TARGETS: dict[int, tuple[int, int]] = {1: (30, 240), 2: (60, 540), 3: (240, 1620), 4: (480, 4500)}


class OperatorScopedModel(OperatorOnlyModel):
    """Operator data: desk staff see it, owner users see none of it."""

    class Meta:
        abstract = True


class PriorityCell(OperatorScopedModel):
    """One configured cell of the priority matrix (prioritetsmatris); missing cells use the default."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Level.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Level.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    class Meta:
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="sd_prioritycell_unique")]

    def __str__(self) -> str:
        return f"{self.impact}×{self.urgency} → P{self.priority}"


def priority_for(impact: int, urgency: int) -> int:
    configured = PriorityCell.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True).first()
    return configured or DEFAULT_MATRIX[(int(impact), int(urgency))]


class SupportGroup(OperatorScopedModel):
    """A team of agents that tickets are assigned to (supportgrupp)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    email = models.EmailField(_("email"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="support_groups"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("support group")
        verbose_name_plural = _("support groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sd_supportgroup_detail", args=[self.pk])


class Category(OwnerScopedModel):
    """A node of an owner's category tree (kategori), e.g. Client › Printer."""

    OWNER_VIEW_ROLES = frozenset({Role.OWNER_VIEWER, Role.ORDERER, Role.APPROVER, Role.END_USER})

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", verbose_name=_("part of"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(_("name"), max_length=100)
    default_group = models.ForeignKey(
        SupportGroup, verbose_name=_("default group"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offered_in_portal = models.BooleanField(_("offered in the portal"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["owner__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "parent", "name"], name="sd_category_unique_name"),
        ]
        indexes = [models.Index(fields=["owner", "name"], name="sd_category_owner_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sd_category_detail", args=[self.pk])


MAX_TARGET_MINUTES = 60 * 24 * 365  # no SLA target is longer than a year of business minutes


class SlaPolicy(OwnerScopedModel):
    """An owner's service level for one priority: targets in business minutes and opening hours."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response (business minutes)"), validators=[MaxValueValidator(MAX_TARGET_MINUTES)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (business minutes)"), validators=[MaxValueValidator(MAX_TARGET_MINUTES)]
    )
    opens = models.TimeField(_("opens"), default=time(8, 0))
    closes = models.TimeField(_("closes"), default=time(17, 0))
    weekdays = models.CharField(
        _("weekdays"),
        max_length=7,
        default="12345",
        validators=[RegexValidator(r"^[1-7]{1,7}$", _("Write ISO weekday digits, 1 = Monday, e.g. 12345."))],
        help_text=_("ISO weekday digits, 1 = Monday."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["owner__name", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "priority"], name="sd_slapolicy_unique"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="sd_slapolicy_hours"),
        ]

    def __str__(self) -> str:
        return f"P{self.priority}: {self.first_response_minutes}/{self.resolution_minutes} min"

    def get_absolute_url(self) -> str:
        return reverse("sd_slapolicy_detail", args=[self.pk])

    @property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(opens=self.opens, closes=self.closes, weekdays=self.weekdays)


class TicketCounter(models.Model):
    """The last ticket number used per year (SD-<year>-<number>); operator data without routes."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class TicketQuerySet(ScopedQuerySet["Ticket"]):
    def open(self) -> TicketQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(OwnerScopedModel):
    """A ticket (ärende): an incident, service request or question from a person at an owner.

    Operator desk staff see every owner's tickets, confidential ones only with an agent or admin
    role. Owner viewers, orderers and approvers see their owner's non-confidential tickets; every
    user sees the tickets where they are the requester.
    """

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    requester = models.ForeignKey(
        "tenancy.Person", verbose_name=_("requester"), on_delete=models.PROTECT, related_name="tickets"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    type = models.CharField(_("type"), max_length=10, choices=TicketType.choices, default=TicketType.INCIDENT)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Level.choices, default=Level.LOW)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Level.choices, default=Level.LOW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.P4)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    group = models.ForeignKey(
        SupportGroup, verbose_name=_("group"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    cost_centre = models.ForeignKey(
        "tenancy.CostCentre",
        verbose_name=_("cost centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assets = models.ManyToManyField(
        "assets.Asset",
        verbose_name=_("devices"),
        blank=True,
        related_name="tickets",
        help_text=_("The devices the ticket is about: the requester's computer, a broken access point."),
    )
    confidential = models.BooleanField(_("confidential"), default=False)
    secrecy_ground = models.CharField(
        _("secrecy ground"), max_length=12, choices=TicketSecrecyGround.choices, blank=True
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    created = models.DateTimeField(_("created"), default=timezone.now)
    updated = models.DateTimeField(_("updated"), default=timezone.now)
    # SLA (servicenivå): due times in real time, computed on the policy's business calendar.
    sla_policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    first_response_breached = models.BooleanField(_("first response breached"), default=False)
    resolution_breached = models.BooleanField(_("resolution breached"), default=False)
    sla_paused_seconds = models.PositiveIntegerField(_("SLA paused (business seconds)"), default=0)
    sla_paused_since = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    breaching_soon_at = models.DateTimeField(_("breach warning sent"), null=True, blank=True)
    # Customer satisfaction (nöjdhet), given by the requester after resolution.
    csat_score = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    csat_comment = models.TextField(_("rating comment"), blank=True)

    objects = TicketQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidential=False, secrecy_ground="") | (Q(confidential=True) & ~Q(secrecy_ground="")),
                name="sd_ticket_confidential_has_ground",
            ),
            models.CheckConstraint(
                condition=Q(csat_score__isnull=True) | Q(csat_score__gte=1, csat_score__lte=5), name="sd_ticket_csat"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "id"], name="sd_ticket_owner_status_idx"),
            models.Index(fields=["status", "id"], name="sd_ticket_status_idx"),
            models.Index(fields=["assignee", "status", "id"], name="sd_ticket_assignee_idx"),
            models.Index(fields=["group", "status", "id"], name="sd_ticket_group_idx"),
            models.Index(fields=["requester", "id"], name="sd_ticket_requester_idx"),
            models.Index(fields=["status", "resolution_due"], name="sd_ticket_due_idx"),
            models.Index(fields=["priority", "id"], name="sd_ticket_priority_idx"),
            models.Index(fields=["category", "id"], name="sd_ticket_category_idx"),
            models.Index(fields=["type", "id"], name="sd_ticket_type_idx"),
            # The records search of an access request: words within a period (bench/records_search.py).
            models.Index(fields=["created"], name="sd_ticket_created_idx"),
            # The agent queues: partial indexes over the open tickets only (a small part of a
            # million), each in the queue's own order, so a page is an index range scan instead
            # of sorting every open ticket of an agent or a group (see bench/servicedesk_queue.py).
            models.Index(fields=["-id"], condition=Q(status__in=OPEN_STATUSES), name="sd_ticket_open_idx"),
            models.Index(
                fields=["assignee", "-id"], condition=Q(status__in=OPEN_STATUSES), name="sd_ticket_open_assignee_idx"
            ),
            models.Index(
                fields=["group", "-id"], condition=Q(status__in=OPEN_STATUSES), name="sd_ticket_open_group_idx"
            ),
            models.Index(
                fields=["-id"],
                condition=Q(status__in=OPEN_STATUSES, assignee__isnull=True),
                name="sd_ticket_unassigned_idx",
            ),
            models.Index(fields=["-id"], condition=Q(status__in=WAITING_STATUSES), name="sd_ticket_waiting_idx"),
            # An owner's open tickets by priority, and all open ones by priority (the agent's
            # queue sorted by its Priority column; bench/http_servicedesk.py "queue").
            models.Index(
                fields=["owner", "priority", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="sd_ticket_open_owner_prio_idx",
            ),
            models.Index(
                fields=["priority", "id"], condition=Q(status__in=OPEN_STATUSES), name="sd_ticket_open_prio_idx"
            ),
            models.Index(
                fields=["resolution_due", "id"],
                condition=Q(status__in=RUNNING_STATUSES),
                name="sd_ticket_running_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("sd_ticket_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        if scope.has_operator_role(CONFIDENTIAL_ROLES):
            return qs
        if scope.is_operator:
            return qs.filter(confidential=False)
        condition = Q(pk__in=[])
        owner_ids = scope.owner_ids(cls.OWNER_VIEW_ROLES)
        if owner_ids:
            condition |= Q(owner_id__in=owner_ids, confidential=False)
        if scope.person_id:
            condition |= Q(requester_id=scope.person_id)
        if not owner_ids and not scope.person_id:
            return qs.none()
        return qs.filter(condition)


class CommentKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class Comment(OwnerScopedModel):
    """A public reply to the requester or an internal note (intern anteckning) on a ticket."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="comments")
    kind = models.CharField(_("kind"), max_length=10, choices=CommentKind.choices, default=CommentKind.REPLY)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True, on_delete=models.PROTECT
    )
    confidential = models.BooleanField(_("confidential"), default=False)
    secrecy_ground = models.CharField(
        _("secrecy ground"), max_length=12, choices=TicketSecrecyGround.choices, blank=True
    )
    author_person = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("from (by email)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    body_html = models.TextField(_("text (HTML, sanitised)"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidential=False, secrecy_ground="") | (Q(confidential=True) & ~Q(secrecy_ground="")),
                name="sd_comment_confidential_has_ground",
            ),
        ]
        indexes = [models.Index(fields=["ticket", "created", "id"], name="sd_comment_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.body[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("sd_ticket_detail", args=[self.ticket_id])

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        """Agents and admins see everything; other operator staff every non-confidential comment;
        everybody else only public, non-confidential replies on tickets they may see."""
        if scope.has_operator_role(CONFIDENTIAL_ROLES):
            return qs
        tickets = Ticket.scope_queryset(Ticket.objects.all(), scope)
        if scope.is_operator:
            return qs.filter(confidential=False, ticket__in=tickets.values("pk"))
        return qs.filter(confidential=False, kind=CommentKind.REPLY, ticket__in=tickets.values("pk"))


class WorkType(models.TextChoices):
    SUPPORT = "support", _("Support")
    INSTALLATION = "installation", _("Installation")
    ON_SITE = "on_site", _("On site")
    CONSULTING = "consulting", _("Consulting")


class TimeEntry(OwnerScopedModel):
    """Time worked on a ticket (tidrapport), in minutes; billing reads the billable ones."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="time_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveIntegerField(_("minutes"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)])
    billable = models.BooleanField(_("billable"), default=True)
    work_type = models.CharField(_("work type"), max_length=20, choices=WorkType.choices, default=WorkType.SUPPORT)
    note = models.CharField(_("note"), max_length=200, blank=True)
    date = models.DateField(_("date"), default=timezone.localdate)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["-date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(minutes__gte=1), name="sd_timeentry_minutes")]
        indexes = [
            models.Index(fields=["ticket", "id"], name="sd_timeentry_ticket_idx"),
            models.Index(fields=["owner", "date"], name="sd_timeentry_owner_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min"

    def get_absolute_url(self) -> str:
        return reverse("sd_ticket_detail", args=[self.ticket_id])

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        """Operator staff see all; owner viewers, orderers and approvers see their owner's
        entries on tickets they may see (what they are billed for). End users see none."""
        if scope.has_operator_role(OPERATOR_ROLES):
            if scope.has_operator_role(CONFIDENTIAL_ROLES | {Role.FINANCE}):
                return qs
            return qs.filter(ticket__confidential=False)
        owner_ids = scope.owner_ids(cls.OWNER_VIEW_ROLES)
        if not owner_ids:
            return qs.none()
        return qs.filter(owner_id__in=owner_ids, ticket__confidential=False)


class LinkKind(models.TextChoices):
    RELATED = "related", _("Related")
    DUPLICATE = "duplicate", _("Duplicate (merged)")


class TicketLink(OwnerScopedModel):
    """A link between two tickets of the same owner: related, or merged as a duplicate."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="links_out")
    target = models.ForeignKey(
        Ticket, verbose_name=_("linked ticket"), on_delete=models.PROTECT, related_name="links_in"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=LinkKind.choices, default=LinkKind.RELATED)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="sd_ticketlink_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="sd_ticketlink_not_self"),
        ]

    def __str__(self) -> str:
        # By the tickets' numbers, as people know them (the audit log keeps this text), not row ids.
        return f"{self.source.number} → {self.target.number}"

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        tickets = Ticket.scope_queryset(Ticket.objects.all(), scope).values("pk")
        return qs.filter(source__in=tickets, target__in=tickets)


class ArticleVisibility(models.TextChoices):
    PUBLIC = "public", _("Public (end users of the owner)")
    INTERNAL = "internal", _("Internal (service desk only)")


class KnowledgeArticle(OwnerScopedModel):
    """A knowledge-base article (kunskapsartikel) for one owner's users or for the desk only.

    Operator staff see every article; owner users, end users included, see the published public
    articles of their owner. A standard article is shared by creating it for each owner.
    (Called `Article` until December 2026, beside billing's price-list `Article`.)
    """

    FORMER_LABELS = ("servicedesk.article",)  # its audit events before the rename (core.labels)
    OWNER_VIEW_ROLES = frozenset({Role.OWNER_VIEWER, Role.ORDERER, Role.APPROVER, Role.END_USER})

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=ArticleVisibility.choices, default=ArticleVisibility.PUBLIC
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="articles"
    )
    active = models.BooleanField(_("published"), default=True)
    updated = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge base")
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["owner", "visibility", "active"], name="sd_article_owner_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("sd_article_detail", args=[self.pk])

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES):
            return qs
        owner_ids = scope.owner_ids(cls.OWNER_VIEW_ROLES)
        if not owner_ids:
            return qs.none()
        return qs.filter(owner_id__in=owner_ids, visibility=ArticleVisibility.PUBLIC, active=True)


def _comment_scope(scope: Scope) -> models.QuerySet:
    return Comment.scope_queryset(Comment.objects.all(), scope)


class Attachment(OwnerScopedModel):
    """A file on a ticket or on one of its comments (bilaga), kept through Django's storage.

    Whoever may see the ticket (and the comment, when it belongs to one) may see the file."""

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="attachments")
    comment = models.ForeignKey(
        Comment,
        verbose_name=_("comment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to="servicedesk/attachments/%Y/%m/", max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    inline = models.BooleanField(_("inline image"), default=False)
    content_id = models.CharField(_("content id"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True, on_delete=models.PROTECT
    )
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["ticket", "id"], name="sd_attachment_ticket_idx")]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("sd_attachment_download", args=[self.pk])

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        if scope.has_operator_role(CONFIDENTIAL_ROLES):
            return qs
        tickets = Ticket.scope_queryset(Ticket.objects.all(), scope).values("pk")
        comments = _comment_scope(scope).values("pk")
        return qs.filter(ticket__in=tickets).filter(Q(comment__isnull=True) | Q(comment__in=comments))


class SavedView(models.Model):
    """A named set of queue filters (sparad vy) of one desk user, optionally shared with the
    operator's other desk staff. Holds only a query string; the list still scopes every row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    shared = models.BooleanField(_("shared with the desk"), default=False)
    created = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="sd_savedview_unique_name")]
        indexes = [models.Index(fields=["shared", "name"], name="sd_savedview_shared_idx")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        if scope.is_system:
            return qs
        if not scope.has_operator_role(DESK_ROLES) or scope.user_id is None:
            return qs.none()
        return qs.filter(Q(user_id=scope.user_id) | Q(shared=True))


# The mail intake's models live in models_mail.py (a subject of its own); importing them here
# registers them with the app and keeps `samdrift.servicedesk.models.Mailbox` working.
from samdrift.servicedesk.models_mail import MAIL_VIEW_ROLES as MAIL_VIEW_ROLES  # noqa: E402
from samdrift.servicedesk.models_mail import InboundMessage as InboundMessage  # noqa: E402
from samdrift.servicedesk.models_mail import InboundStatus as InboundStatus  # noqa: E402
from samdrift.servicedesk.models_mail import Mailbox as Mailbox  # noqa: E402
from samdrift.servicedesk.models_mail import MailSecurity as MailSecurity  # noqa: E402
from samdrift.servicedesk.models_mail import UnknownSenders as UnknownSenders  # noqa: E402
