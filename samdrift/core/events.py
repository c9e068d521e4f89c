"""Typed audit verbs (DESIGN.md rule 2: "an audit event with a typed verb").

`AuditEvent.event_type` says what kind of change it was (created, updated, exported, ...); its
`verb` says what happened in the domain's words (`reopen`, `purchase`, `dispose`). Each app
declares its verbs as choices in its own `events.py` and registers them from its AppConfig.ready():

    register_verbs("ordering", OrderingVerb)

The verbs of every app are then one indexed column to filter the trail by, and a test holds the
events that actions write against what the apps declared.
"""

from __future__ import annotations

from django.db import models

VERBS: dict[str, str] = {}  # verb -> the app that declared it


def register_verbs(app_label: str, choices: type[models.TextChoices]) -> None:
    """Declare an app's verbs. Two apps may share a verb (`dispose`); its meaning is the same."""
    for value in choices.values:
        VERBS.setdefault(value, app_label)


def is_declared(verb: str) -> bool:
    return not verb or verb in VERBS


class CoreVerb(models.TextChoices):
    """The verbs of core's own events (the audit checkpoint, the job sweeper)."""

    AUDIT_CHECKPOINT = "audit_checkpoint"
    CHECK_IMPORT = "check_import"
    UPLOAD_IMPORT = "upload_import"
    JOB_LEASE_EXPIRED = "job_lease_expired"
    START_EXPORT = "start_export"
