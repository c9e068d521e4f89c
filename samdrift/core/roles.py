"""Roles (roller): operator-wide roles held in the shared company, and per-owner roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Operator-wide roles: staff of the shared company, across all owners.
    ADMIN = "admin", _("Administrator")
    AGENT = "agent", _("Service-desk agent")
    TECHNICIAN = "technician", _("Technician")
    FINANCE = "finance", _("Finance")
    RECORDS_OFFICER = "records_officer", _("Records officer")
    # Per-owner roles: people at a municipality, limited to that owner.
    OWNER_VIEWER = "owner_viewer", _("Owner viewer")
    ORDERER = "orderer", _("Orderer")
    APPROVER = "approver", _("Approver")
    END_USER = "end_user", _("End user")


OPERATOR_ROLES: frozenset[str] = frozenset(
    {Role.ADMIN, Role.AGENT, Role.TECHNICIAN, Role.FINANCE, Role.RECORDS_OFFICER}
)
OWNER_ROLES: frozenset[str] = frozenset({Role.OWNER_VIEWER, Role.ORDERER, Role.APPROVER, Role.END_USER})
SYSTEM_ROLE = "system"
