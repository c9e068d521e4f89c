"""Audit checkpoints: the heads of the audit chains anchored outside the database (DESIGN.md rule 3).

A hash chain finds an event edited or removed from the middle, but not the newest events deleted:
the chain that is left is still whole. So once a day the head of every chain (one per owner, one
for the operator, and the single chain of the events written before the split: the newest event's
id and hash, and how many events of the chain lead up to it) is written to a checkpoint file
signed with an HMAC whose key lives in the settings (the environment), not in the database, and
mailed to the records officers. `samdrift audit verify --head FILE` checks the signature, the
chains, and that each chain's head event is still there with the same hash and the same number
of events of its chain before it (a file of the first format, one head for the whole trail, is
still understood). Deleting the newest events then fails verification; deleting events newer than the last
checkpoint is found by the next one only if it is exported before the deletion (at most a day).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from samdrift.core.audit import GENESIS, record_event, verify_chain
from samdrift.core.models import AuditEvent, AuditEventType

log = logging.getLogger(__name__)

FORMAT = "samdrift-audit-checkpoint/2"
FORMAT_1 = "samdrift-audit-checkpoint/1"  # one head for the whole trail (before chains per owner)
SIGNED_FIELDS = ("format", "created", "head_id", "head_hash", "events", "heads")
SIGNED_FIELDS_1 = ("format", "created", "head_id", "head_hash", "events")


def _key() -> bytes:
    key = settings.SAMDRIFT_AUDIT_CHECKPOINT_KEY
    if key:
        return key.encode()
    # No key of its own: one derived from SECRET_KEY (also outside the database).
    return hmac.new(settings.SECRET_KEY.encode(), b"samdrift.audit.checkpoint", hashlib.sha256).digest()


def _fields(body: dict[str, Any]) -> tuple[str, ...]:
    return SIGNED_FIELDS_1 if body.get("format") == FORMAT_1 else SIGNED_FIELDS


def _signature(body: dict[str, Any]) -> str:
    payload = json.dumps({k: body[k] for k in _fields(body)}, sort_keys=True, separators=(",", ":"))
    return hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()


def current_head() -> dict[str, Any]:
    """The unsigned heads now: each chain's newest event, its hash and its number of events (two
    queries however many chains), and the newest event of the whole trail."""
    per_chain = list(AuditEvent.objects.values("chain").annotate(head=Max("id"), n=Count("id")).order_by("chain"))
    hashes = dict(AuditEvent.objects.filter(pk__in=[c["head"] for c in per_chain]).values_list("id", "hash"))
    heads = {c["chain"]: {"id": c["head"], "hash": hashes[c["head"]], "events": c["n"]} for c in per_chain}
    newest = max(heads.values(), key=lambda h: h["id"], default=None)
    return {
        "format": FORMAT,
        "created": timezone.now().isoformat(timespec="seconds"),
        "head_id": newest["id"] if newest else 0,
        "head_hash": newest["hash"] if newest else GENESIS,
        "events": sum(h["events"] for h in heads.values()),
        "heads": heads,
    }


def sign(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "signature": _signature(body)}


@dataclass
class HeadReport:
    ok: bool
    reason: str = ""
    checked: int = 0


def verify_head(checkpoint: dict[str, Any]) -> HeadReport:
    """Check a checkpoint's signature, the whole chain, and that the head it names is still there."""
    try:
        body = {k: checkpoint[k] for k in _fields(checkpoint)}
        given = str(checkpoint["signature"])
    except (KeyError, TypeError, AttributeError):
        return HeadReport(False, "the checkpoint file lacks a field (not a Samdrift audit checkpoint)")
    if body["format"] not in (FORMAT, FORMAT_1):
        return HeadReport(False, f"unknown checkpoint format {body['format']!r}")
    if not hmac.compare_digest(given, _signature(body)):
        return HeadReport(False, "the checkpoint's signature does not match (wrong key or an edited file)")
    chain = verify_chain()
    if not chain.ok:
        return HeadReport(False, f"chain broken at event {chain.broken_at}: {chain.reason}", chain.checked)
    if body["format"] == FORMAT:
        for name, head in sorted(body["heads"].items()):
            problem = _head_problem(name, int(head["id"]), str(head["hash"]), int(head["events"]))
            if problem:
                return HeadReport(False, problem, chain.checked)
        return HeadReport(True, "", chain.checked)
    head_id, head_hash, count = int(body["head_id"]), str(body["head_hash"]), int(body["events"])
    if head_id == 0:
        return HeadReport(True, "", chain.checked)
    found = AuditEvent.objects.filter(pk=head_id).values_list("hash", flat=True).first()
    if found is None:
        newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        return HeadReport(
            False,
            f"the checkpoint's head event {head_id} is missing (the newest event now is {newest}): "
            "events were deleted from the end of the trail",
            chain.checked,
        )
    if found != head_hash:
        return HeadReport(False, f"event {head_id} has another hash than the checkpoint says", chain.checked)
    before = AuditEvent.objects.filter(pk__lte=head_id).count()
    if before != count:
        return HeadReport(
            False,
            f"{count} events led up to the checkpoint's head, {before} do now: events were removed",
            chain.checked,
        )
    return HeadReport(True, "", chain.checked)


def _head_problem(chain: str, head_id: int, head_hash: str, count: int) -> str:
    """Why one chain's head no longer stands as the checkpoint saw it, or ""."""
    label = chain or "before the split"
    found = AuditEvent.objects.filter(pk=head_id, chain=chain).values_list("hash", flat=True).first()
    if found is None:
        newest = AuditEvent.objects.filter(chain=chain).order_by("-id").values_list("id", flat=True).first()
        return (
            f"chain {label}: the checkpoint's head event {head_id} is missing (the newest event of the chain "
            f"now is {newest}): events were deleted from the end of the trail"
        )
    if found != head_hash:
        return f"chain {label}: event {head_id} has another hash than the checkpoint says"
    before = AuditEvent.objects.filter(chain=chain, pk__lte=head_id).count()
    if before != count:
        return f"chain {label}: {count} events led up to the checkpoint's head, {before} do now: events were removed"
    return ""


def checkpoint_dir() -> Path:
    return Path(settings.SAMDRIFT_AUDIT_CHECKPOINT_DIR)


@transaction.atomic
def do_export_audit_checkpoint(*, actor: Any = None, directory: Path | None = None) -> Path:
    """Write today's signed checkpoint file and, on commit, mail it to the records officers."""
    signed = sign(current_head())
    target = directory or checkpoint_dir()
    target.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%dT%H%M%S")
    path = target / f"audit-checkpoint-{stamp}-{signed['head_id']}.json"
    path.write_text(json.dumps(signed, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    record_event(
        actor, "system" if actor is None else "admin", AuditEventType.EXPORTED,
        object_type="core.auditevent", object_id=str(signed["head_id"]), object_repr=path.name,
        extra={"action": "audit_checkpoint", "head_hash": signed["head_hash"], "events": signed["events"]},
    )  # fmt: skip
    notify_records_officers(path)  # through the outbox, in this transaction
    return path


def records_officers() -> list[Any]:
    from django.contrib.auth import get_user_model

    from samdrift.core.roles import Role

    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__active=True,
            memberships__role=Role.RECORDS_OFFICER,
            memberships__owner__isnull=True,
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def notify_records_officers(path: Path) -> int:
    """Queue the checkpoint file in the outbox for every records officer (a copy outside the
    database and the server); the outbox sends it and retries while the mail server is away."""
    from django.utils import translation
    from django.utils.translation import gettext as _

    from samdrift.core.outbox import Attachment, queue_message

    queued = 0
    content = path.read_bytes()
    for user in records_officers():
        with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
            queue_message(
                kind="audit_checkpoint",
                to=[user.email],
                subject=_("Audit trail checkpoint %(name)s") % {"name": path.name},
                body=_(
                    "Attached is today's signed checkpoint of the audit trail. Keep it: "
                    "`samdrift audit verify --head FILE` uses it to find events deleted from the end of the trail."
                ),
                attachments=[Attachment(path.name, content, "application/json")],
            )
        queued += 1
    log.info("audit checkpoint %s queued for %s records officer(s)", path.name, queued)
    return queued
