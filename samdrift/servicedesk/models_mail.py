"""The service desk's mail intake: the mailboxes it reads (IMAP) and every message received,
kept as received before it becomes a ticket or a comment, or waits in the error queue.

Split from models.py by subject; models.py imports these names, so they register with the app and
are importable from there as before.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import OwnerScopedModel
from samdrift.core.roles import Role
from samdrift.core.secrets import EncryptedTextField
from samdrift.servicedesk.models import Comment, SupportGroup, Ticket


class MailSecurity(models.TextChoices):
    SSL = "ssl", _("TLS (IMAPS, usually port 993)")
    STARTTLS = "starttls", _("STARTTLS (usually port 143)")
    NONE = "none", _("None (only on a trusted network)")


class UnknownSenders(models.TextChoices):
    STUB = "stub", _("Create a person for the sender (external)")
    REJECT = "reject", _("Reject: keep the message in the error queue")


MAIL_VIEW_ROLES: frozenset[str] = frozenset({Role.ADMIN, Role.AGENT})


class Mailbox(OwnerScopedModel):
    """An IMAP mailbox the desk reads (brevlåda): new messages become tickets, replies comments.

    The owner is where tickets from senders that are nobody's person go (and whose people are
    matched first). The password is never shown again once saved, nor exported."""

    OWNER_VIEW_ROLES: frozenset[str] = frozenset()
    OPERATOR_VIEW_ROLES = MAIL_VIEW_ROLES

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(_("address"), help_text=_("The address people write to; replies are sent from it."))
    host = models.CharField(_("IMAP server"), max_length=255)
    port = models.PositiveIntegerField(
        _("port"), default=993, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(_("security"), max_length=10, choices=MailSecurity.choices, default=MailSecurity.SSL)
    username = models.CharField(_("user name"), max_length=255)
    password = EncryptedTextField(_("password"), blank=True, help_text=_("Stored encrypted."))
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    default_group = models.ForeignKey(
        SupportGroup, verbose_name=_("default group"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unknown_senders = models.CharField(
        _("unknown senders"), max_length=10, choices=UnknownSenders.choices, default=UnknownSenders.REJECT
    )
    active = models.BooleanField(_("active"), default=True)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(_("last UID read"), default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]
        indexes = [models.Index(fields=["active", "name"], name="sd_mailbox_active_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sd_mailbox_detail", args=[self.pk])


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not yet processed")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored (auto-reply, bounce, loop or duplicate)")
    FAILED = "failed", _("Failed")


class InboundMessage(OwnerScopedModel):
    """One message read from a mailbox, stored raw before anything is done with it (inkommande
    e-post). (mailbox, UIDVALIDITY, UID) is unique, so a message is stored once; its Message-ID
    keeps a copy delivered twice from being processed twice."""

    OWNER_VIEW_ROLES: frozenset[str] = frozenset()
    OPERATOR_VIEW_ROLES = MAIL_VIEW_ROLES

    owner = models.ForeignKey("tenancy.Owner", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT, related_name="messages")
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"))
    uid = models.BigIntegerField(_("UID"))
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    raw = models.FileField(_("message as received"), upload_to="servicedesk/mail/%Y/%m/", max_length=300)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    reason = models.TextField(_("reason"), blank=True)
    warnings = models.TextField(_("warnings"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    html = models.TextField(_("HTML (sanitised)"), blank=True)

    class Meta:
        verbose_name = _("received message")
        verbose_name_plural = _("received messages")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "uidvalidity", "uid"], name="sd_inbound_uid_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="sd_inbound_status_idx"),
            models.Index(fields=["mailbox", "message_id"], name="sd_inbound_msgid_idx"),
            models.Index(fields=["message_id"], name="sd_inbound_thread_idx"),
            models.Index(fields=["sender", "received_at"], name="sd_inbound_sender_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject[:60]}"

    def get_absolute_url(self) -> str:
        return reverse("sd_inbound_detail", args=[self.pk])
