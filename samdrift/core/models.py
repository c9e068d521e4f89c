"""Shared models: the audit trail (granskningslogg) and the outbox of outgoing e-mail (utkorg)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import Scope, ScopedQuerySet
from samdrift.core.roles import OPERATOR_ROLES, Role


class AuditEventType(models.TextChoices):
    """Typed event kinds; every action records one of these."""

    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    DEACTIVATED = "deactivated", _("Deactivated")
    REACTIVATED = "reactivated", _("Reactivated")
    IMPORTED = "imported", _("Imported")
    ROLE_GRANTED = "role_granted", _("Role granted")
    ROLE_REVOKED = "role_revoked", _("Role revoked")
    PASSWORD_SET = "password_set", _("Password set")
    TOKEN_CREATED = "token_created", _("API token created")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGIN_THROTTLED = "login_throttled", _("Login refused after too many failures")
    LOGOUT = "logout", _("Logged out")
    EXPORTED = "exported", _("Exported")
    DEMO_LOADED = "demo_loaded", _("Demo data loaded")
    MAIL_RETRIED = "mail_retried", _("E-mail sent again")


class AuditEvent(models.Model):
    """One append-only, hash-chained entry of the audit trail.

    Database triggers refuse UPDATE and DELETE; `hash` covers every field plus the previous
    event's hash, so `samdrift audit verify` finds any row edited or removed behind our back.
    """

    created = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    actor_role = models.CharField(_("role"), max_length=32, blank=True)
    owner = models.ForeignKey(
        "tenancy.Owner",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    event_type = models.CharField(_("event"), max_length=32, choices=AuditEventType.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The domain verb (`reopen`, `purchase`, `dispose`): one of the verbs the apps declare in their
    # events.py (core/events.py), indexed so that the trail can be filtered by what happened.
    verb = models.CharField(_("verb"), max_length=40, blank=True, default="")
    # Which hash chain the event continues: one per owner ("owner:<id>") and one for the operator
    # ("operator"), so that writes of different owners do not wait on one lock. "" is the single
    # chain that events written before the split form (verified as it was written).
    chain = models.CharField(max_length=24, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    OPERATOR_VIEW_ROLES = frozenset({Role.ADMIN, Role.RECORDS_OFFICER})

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx"),
            models.Index(fields=["owner", "id"], name="audit_owner_idx"),
            models.Index(fields=["actor", "id"], name="audit_actor_idx"),
            models.Index(fields=["event_type", "id"], name="audit_type_idx"),
            models.Index(fields=["created"], name="audit_created_idx"),
            models.Index(fields=["verb", "id"], name="audit_verb_idx"),
            models.Index(fields=["chain", "id"], name="audit_chain_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.event_type} {self.object_type}:{self.object_id}"

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        """Operator admins and records officers see the whole trail; nobody else sees any of it."""
        if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES):
            return qs
        return qs.none()


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingMessage(models.Model):
    """One outgoing e-mail (utgående e-post), written in the transaction of the action that causes it
    and sent afterwards by the worker (`samdrift.core.outbox`), so that no request waits on SMTP and
    no message is lost when the mail server is away.

    `failed` with a `next_attempt_at` will be tried again; without one it has given up (a permanent
    refusal, too many attempts, or a send that was interrupted and may have gone out) and waits
    for an administrator to retry it. The message is kept as it left, attachments included.
    """

    created = models.DateTimeField(_("created"), default=timezone.now)
    owner = models.ForeignKey(
        "tenancy.Owner",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("about"), max_length=200, blank=True)
    from_email = models.CharField(_("from"), max_length=254)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    failed_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    last_error = models.TextField(_("error"), blank=True)

    OWNER_PATH = "owner"
    OPERATOR_VIEW_ROLES: frozenset[str] = OPERATOR_ROLES
    OWNER_VIEW_ROLES: frozenset[str] = frozenset({Role.OWNER_VIEWER, Role.ORDERER, Role.APPROVER})

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mail")
        ordering = ["-id"]
        indexes = [
            # The sender's claim: due rows only, oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status__in=["queued", "failed"], next_attempt_at__isnull=False),
                name="outbox_due_idx",
            ),
            models.Index(fields=["object_type", "object_id", "id"], name="outbox_object_idx"),
            models.Index(fields=["status", "id"], name="outbox_status_idx"),
            models.Index(fields=["owner", "id"], name="outbox_owner_idx"),
            models.Index(fields=["sent_at"], name="outbox_sent_idx"),
            models.Index(fields=["failed_at"], condition=models.Q(failed_at__isnull=False), name="outbox_failed_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("outbox_detail", args=[self.pk])

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        """Operator staff see every message; an owner's viewers, orderers and approvers see that
        owner's; messages of no owner (SLA warnings to staff, agreement alerts) only staff."""
        if scope.has_operator_role(cls.OPERATOR_VIEW_ROLES):
            return qs
        owner_ids = scope.owner_ids(cls.OWNER_VIEW_ROLES)
        if not owner_ids:
            return qs.none()
        return qs.filter(owner__in=owner_ids)

    @property
    def scope_owner_id(self) -> int | None:
        return self.owner_id

    @property
    def message_id(self) -> str:
        return str((self.headers or {}).get("Message-ID", ""))

    @property
    def will_retry(self) -> bool:
        return self.status == OutboxStatus.FAILED and self.next_attempt_at is not None

    @property
    def gave_up(self) -> bool:
        return self.status == OutboxStatus.FAILED and self.next_attempt_at is None


class OutgoingAttachment(models.Model):
    """A file sent with an outgoing e-mail, kept as it was sent (a purchase order's CSV or XLSX)."""

    message = models.ForeignKey(
        OutgoingMessage, verbose_name=_("e-mail"), on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(_("file name"), max_length=255)
    mimetype = models.CharField(_("type"), max_length=127)
    content = models.BinaryField(_("content"))
    size = models.PositiveIntegerField(_("size"), default=0)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class Job(models.Model):
    """What every long piece of work has in one place (körning): progress, a message and a lease.

    The status stays the model's own (each kind of job has its own words for its states); the
    kinds register which states are running and what a job becomes when its lease runs out, in
    `samdrift.core.jobs`. A running job renews `lease_expires` while its process lives; the sweep
    fails (or puts back) a job whose lease has run out, so that it can be run again at once.
    """

    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    lease_expires = models.DateTimeField(_("lease expires"), null=True, blank=True)
    expired_at = models.DateTimeField(_("found abandoned"), null=True, blank=True)

    class Meta:
        abstract = True


class ProcessKind(models.TextChoices):
    WORKER = "worker", _("Task worker")
    SCHEDULER = "scheduler", _("Scheduler")


class ProcessHeartbeat(models.Model):
    """The last sign of life of one worker or scheduler process (hjärtslag), written every few
    seconds; the operations page and /health/ read them, the sweep trusts a task to a worker only
    while its heartbeat is fresh."""

    name = models.CharField(_("process"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ProcessKind.choices)
    host = models.CharField(_("host"), max_length=100, blank=True)
    pid = models.PositiveIntegerField(_("process id"), default=0)
    started = models.DateTimeField(_("started"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)
    stopped = models.DateTimeField(_("stopped"), null=True, blank=True)
    reconnects = models.PositiveIntegerField(_("database reconnects"), default=0)
    last_error = models.CharField(_("last problem"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(_("last problem at"), null=True, blank=True)

    class Meta:
        verbose_name = _("process heartbeat")
        verbose_name_plural = _("process heartbeats")
        ordering = ["kind", "-last_seen"]
        indexes = [models.Index(fields=["kind", "last_seen"], name="heartbeat_kind_seen_idx")]

    def __str__(self) -> str:
        return self.name


class PeriodicState(models.Model):
    """When a periodic task is next due; shared by every scheduler process so that two of them
    (started by mistake) still enqueue each periodic task once."""

    name = models.CharField(_("periodic task"), max_length=100, unique=True)
    next_due = models.DateTimeField(_("next due"))
    last_enqueued = models.DateTimeField(_("last enqueued"), null=True, blank=True)
    last_by = models.CharField(_("enqueued by"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("periodic task state")
        verbose_name_plural = _("periodic task states")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ExportJob(Job):
    """A large list exported in the background (export), with its progress; the file is kept on the
    job for the one who asked for it. The rows are read again in the task with the same list view,
    filters and user, so they are scoped exactly as the list was (samdrift/core/exports.py)."""

    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.CASCADE, related_name="+"
    )
    route = models.CharField(_("list"), max_length=100)
    query = models.JSONField(_("filters"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=4)
    title = models.CharField(_("title"), max_length=200, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    filename = models.CharField(_("file"), max_length=255, blank=True)
    content = models.BinaryField(_("file contents"), blank=True, default=b"")
    created = models.DateTimeField(_("started"), default=timezone.now)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.format.upper()})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("export_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @classmethod
    def scope_queryset(cls, qs: models.QuerySet, scope: Scope) -> models.QuerySet:
        """An export is its maker's own: it holds what their roles let them see."""
        if scope.is_system:
            return qs
        return qs.filter(created_by_id=scope.user_id) if scope.user_id else qs.none()
