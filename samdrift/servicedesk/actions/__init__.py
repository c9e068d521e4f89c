"""Every write in the service desk. Each action checks the actor's role, validates, writes with
update_fields and records its audit event in the same transaction; mail goes out on commit.

One module per subject: opening and editing (`tickets`), status and assignment (`status`), replies
and time (`comments`), links and merges (`links`), reference data (`reference`); `_base` holds
what they share."""

from __future__ import annotations

from samdrift.servicedesk.actions._base import (
    RESTRICTED_TICKET_ROLES,
    TICKET_FIELDS_ON_CREATE,
    TRANSITIONS,
    check_processing_allowed,
    reopen_window,
    requester_or_desk,
)
from samdrift.servicedesk.actions.comments import (
    do_add_comment,
    do_log_time,
)
from samdrift.servicedesk.actions.links import (
    do_link_tickets,
    do_merge_tickets,
)
from samdrift.servicedesk.actions.reference import (
    do_copy_categories,
    do_create_article,
    do_create_category,
    do_create_sla_policy,
    do_create_support_group,
    do_save_support_group,
    do_set_article_active,
    do_set_category_active,
    do_set_group_members,
    do_set_priority_cell,
    do_set_sla_policy_active,
    do_set_support_group_active,
    do_update_article,
    do_update_category,
    do_update_sla_policy,
    do_update_support_group,
)
from samdrift.servicedesk.actions.status import (
    do_assign_ticket,
    do_bulk_update_tickets,
    do_change_ticket_status,
    do_rate_ticket,
    do_reopen_ticket,
    open_tickets_of,
    reopen_ticket,
    transition,
)
from samdrift.servicedesk.actions.tickets import (
    do_create_ticket,
    do_set_ticket_assets,
    do_update_ticket,
    next_ticket_number,
)

__all__ = [
    "RESTRICTED_TICKET_ROLES",
    "TICKET_FIELDS_ON_CREATE",
    "TRANSITIONS",
    "check_processing_allowed",
    "do_add_comment",
    "do_assign_ticket",
    "do_bulk_update_tickets",
    "do_change_ticket_status",
    "do_copy_categories",
    "do_create_article",
    "do_create_category",
    "do_create_sla_policy",
    "do_create_support_group",
    "do_create_ticket",
    "do_link_tickets",
    "do_log_time",
    "do_merge_tickets",
    "do_rate_ticket",
    "do_reopen_ticket",
    "do_save_support_group",
    "do_set_article_active",
    "do_set_category_active",
    "do_set_group_members",
    "do_set_priority_cell",
    "do_set_sla_policy_active",
    "do_set_support_group_active",
    "do_set_ticket_assets",
    "do_update_article",
    "do_update_category",
    "do_update_sla_policy",
    "do_update_support_group",
    "do_update_ticket",
    "next_ticket_number",
    "open_tickets_of",
    "reopen_ticket",
    "reopen_window",
    "requester_or_desk",
    "transition",
]
