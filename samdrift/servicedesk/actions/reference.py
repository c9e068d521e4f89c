"""Reference data kept by administrators: categories, SLA policies, support groups, the
priority matrix and the knowledge base."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import scope_for
from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.servicedesk.actions._base import (
    _check_same_owner,
    _role,
)
from samdrift.servicedesk.models import (
    Category,
    KnowledgeArticle,
    PriorityCell,
    SlaPolicy,
    SupportGroup,
)
from samdrift.servicedesk.permissions import WRITE_ROLES

# --- reference data (administrators) ---------------------------------------------------------


@transaction.atomic
def do_create_category(data: dict[str, Any], *, actor: Any) -> Category:
    owner = data.get("owner")
    owner_id = getattr(owner, "pk", owner)
    role = _role(actor, "category", owner_id)
    _check_same_owner(owner_id, parent=data.get("parent"))
    return create_audited(Category, data, actor=actor, role=role)


@transaction.atomic
def do_update_category(category: Category, data: dict[str, Any], *, actor: Any) -> Category:
    role = _role(actor, "category", category.owner_id)
    _check_same_owner(category.owner_id, parent=data.get("parent"))
    node = data.get("parent")
    while node is not None:
        if node.pk == category.pk:
            raise ValidationError({"parent": _("A category cannot be part of itself.")})
        node = node.parent
    return update_audited(category, data, actor=actor, role=role, immutable=("owner",))


@transaction.atomic
def do_set_category_active(category: Category, active: bool, *, actor: Any) -> Category:
    return set_active_audited(category, active, actor=actor, role=_role(actor, "category", category.owner_id))


@transaction.atomic
def do_copy_categories(source_owner: Any, target_owner: Any, *, actor: Any) -> int:
    """Copy one owner's active category tree to another (how a standard tree is shared)."""
    role = _role(actor, "category", target_owner.pk)
    mapping: dict[int, Category] = {}
    pending = list(Category.objects.filter(owner=source_owner, active=True).order_by("parent_id", "id"))
    created = 0
    while pending:
        progress = False
        for node in list(pending):
            if node.parent_id is not None and node.parent_id not in mapping:
                continue
            parent = mapping.get(node.parent_id) if node.parent_id else None
            copy, made = Category.objects.get_or_create(
                owner=target_owner,
                parent=parent,
                name=node.name,
                defaults={"default_group": node.default_group, "offered_in_portal": node.offered_in_portal},
            )
            mapping[node.pk] = copy
            pending.remove(node)
            progress = True
            if made:
                created += 1
                record_event(actor, role, AuditEventType.CREATED, copy, extra={"action": "copy", "from": node.pk})
        if not progress:  # pragma: no cover - a parent outside the active set
            break
    return created


@transaction.atomic
def do_create_sla_policy(data: dict[str, Any], *, actor: Any) -> SlaPolicy:
    owner = data.get("owner")
    role = _role(actor, "slapolicy", getattr(owner, "pk", owner))
    return create_audited(SlaPolicy, data, actor=actor, role=role)


@transaction.atomic
def do_update_sla_policy(policy: SlaPolicy, data: dict[str, Any], *, actor: Any) -> SlaPolicy:
    """New targets apply to tickets opened from now on; open tickets keep the due times they got."""
    role = _role(actor, "slapolicy", policy.owner_id)
    return update_audited(policy, data, actor=actor, role=role, immutable=("owner", "priority"))


@transaction.atomic
def do_set_sla_policy_active(policy: SlaPolicy, active: bool, *, actor: Any) -> SlaPolicy:
    return set_active_audited(policy, active, actor=actor, role=_role(actor, "slapolicy", policy.owner_id))


@transaction.atomic
def do_create_support_group(data: dict[str, Any], *, actor: Any, members: Iterable[Any] = ()) -> SupportGroup:
    role = _role(actor, "group", None)
    group = create_audited(SupportGroup, data, actor=actor, role=role)
    if members:
        do_set_group_members(group, members, actor=actor)
    return group


@transaction.atomic
def do_save_support_group(data: dict[str, Any], *, actor: Any) -> SupportGroup:
    """Create a group from the form or the API: name, email and members (desk staff only)."""
    data = dict(data)
    members = data.pop("members", None) or ()
    return do_create_support_group(data, actor=actor, members=members)


@transaction.atomic
def do_update_support_group(group: SupportGroup, data: dict[str, Any], *, actor: Any) -> SupportGroup:
    role = _role(actor, "group", None)
    data = dict(data)
    members = data.pop("members", None)
    data.pop("active", None)  # (de)activation is its own action
    group = update_audited(group, data, actor=actor, role=role)
    if members is not None:
        do_set_group_members(group, members, actor=actor)
    return group


@transaction.atomic
def do_set_support_group_active(group: SupportGroup, active: bool, *, actor: Any) -> SupportGroup:
    """Deactivate (or reactivate) a group: it is no longer offered for assignment; its tickets keep it."""
    return set_active_audited(group, active, actor=actor, role=_role(actor, "group", None))


@transaction.atomic
def do_set_group_members(group: SupportGroup, members: Iterable[Any], *, actor: Any) -> SupportGroup:
    role = _role(actor, "group", None)
    members = list(members)
    for user in members:
        if not scope_for(user).has_operator_role(WRITE_ROLES["ticket"][0]):
            raise ValidationError({"members": _("%(user)s is not service-desk staff.") % {"user": user}})
    before = sorted(group.members.values_list("pk", flat=True))
    group.members.set(members)
    after = sorted(u.pk for u in members)
    if before != after:
        record_event(actor, role, AuditEventType.UPDATED, group, changes={"members": [before, after]})
    return group


@transaction.atomic
def do_set_priority_cell(impact: int, urgency: int, priority: int, *, actor: Any) -> PriorityCell:
    role = _role(actor, "matrix", None)
    cell = PriorityCell.objects.filter(impact=impact, urgency=urgency).first()
    if cell is None:
        return create_audited(
            PriorityCell, {"impact": impact, "urgency": urgency, "priority": priority}, actor=actor, role=role
        )
    return update_audited(cell, {"priority": priority}, actor=actor, role=role)


# --- knowledge base --------------------------------------------------------------------------


@transaction.atomic
def do_create_article(data: dict[str, Any], *, actor: Any) -> KnowledgeArticle:
    owner = data.get("owner")
    owner_id = getattr(owner, "pk", owner)
    role = _role(actor, "article", owner_id)
    _check_same_owner(owner_id, category=data.get("category"))
    return create_audited(KnowledgeArticle, {**data, "updated": timezone.now()}, actor=actor, role=role)


@transaction.atomic
def do_update_article(article: KnowledgeArticle, data: dict[str, Any], *, actor: Any) -> KnowledgeArticle:
    role = _role(actor, "article", article.owner_id)
    _check_same_owner(article.owner_id, category=data.get("category"))
    changed = any(
        getattr(article, article._meta.get_field(name).attname) != getattr(value, "pk", value)  # type: ignore[union-attr]
        for name, value in data.items()
    )
    if changed:
        data = {**data, "updated": timezone.now()}
    return update_audited(article, data, actor=actor, role=role, immutable=("owner",))


@transaction.atomic
def do_set_article_active(article: KnowledgeArticle, active: bool, *, actor: Any) -> KnowledgeArticle:
    return set_active_audited(article, active, actor=actor, role=_role(actor, "article", article.owner_id))
