"""One import pipeline for every file of rows (assets, people, price lists, partner reports, ...).

    upload kept ─► column mapping ─► dry run (a job) ─► all-or-nothing commit (a job)

1. **Upload kept.** `receive_file` reads the upload once (`samdrift.core.tabular`: one limit, one
   reader) so that a file that cannot be used at all is refused with its reason and stores nothing;
   `do_store_upload` keeps a readable file as received (with its SHA-256) whatever its rows hold.
2. **Column mapping.** Either the headers are recognised (`recognise_columns`, by aliases), or the
   user chooses which column holds which field (`guess_columns` proposes, `check_columns` checks,
   `do_choose_columns` stores the choice and can save it as a named mapping for one owner or all).
3. **Dry run.** `start_check` runs it now for a small file or queues it as a job (`run_import_job`)
   whose progress `core/_job_progress.html` shows; it reads the stored file, checks every row and
   stores a row-by-row report, writing nothing else.
4. **Commit.** `start_commit` (again now or as a job) checks the stored file again inside one
   transaction and writes every row, or none: if anything differs from the dry run the user
   confirmed, nothing is written and the new report is kept for the user to confirm instead.

An import supplies only its row rules: a subclass of `ImportRules` (its batch model, its columns,
`validate_rows` and `apply_rows`), registered from its AppConfig.ready() with `register_import`,
which also registers the batch model as a kind of job (lease, heartbeat, sweep).

The batch model inherits `samdrift.core.models.Job` and has these fields: `file`,
`original_filename`, `size`, `sha256`, `status` (with the values of `ImportState`), `row_count`,
`create_count`, `update_count`, `unchanged_count`, `error_count`, `checked_at`, `committed_at`,
`committed_by`, `created_by`; and, for the mapping step, `headers`, `columns` and `options`.

Formulas: the pipeline applies the one rule of `samdrift.core.tabular.looks_like_formula` to every
mapped cell before the rules see it; such a cell is left out and its row is an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.importcolumns import (  # column recognition and mapping, re-exported for the imports
    MappedTable as MappedTable,
)
from samdrift.core.importcolumns import (
    alias_lookup as alias_lookup,
)
from samdrift.core.importcolumns import (
    check_columns as check_columns,
)
from samdrift.core.importcolumns import (
    guess_columns as guess_columns,
)
from samdrift.core.importcolumns import (
    map_chosen as map_chosen,
)
from samdrift.core.importcolumns import (
    recognise_columns as recognise_columns,
)
from samdrift.core.jobs import JobKind, register_job_kind, set_progress
from samdrift.core.models import AuditEventType
from samdrift.core.tabular import (
    Table,
    file_error,
    read_table,
    read_upload,
)

logger = logging.getLogger(__name__)

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"


class ImportState:
    """The status values every import batch model uses (each model has its own labels)."""

    UPLOADED = "uploaded"
    CHECKING = "checking"
    VALIDATED = "validated"
    FAILED_VALIDATION = "failed_validation"
    COMMITTING = "committing"
    COMMITTED = "committed"
    ERROR = "error"

    @classmethod
    def running(cls) -> frozenset[str]:
        return frozenset({cls.CHECKING, cls.COMMITTING})


CHECK_EXPIRED = gettext_lazy(
    "The dry run stopped without finishing (its worker ended or lost the database). Run it again."
)
COMMIT_EXPIRED = gettext_lazy(
    "The import stopped without finishing (its worker ended or lost the database); nothing was "
    "imported. Import the checked file again."
)


# --- plans -----------------------------------------------------------------------------------


@dataclass
class RowPlan:
    """What one row would do: create, update, leave unchanged, or (with its errors) nothing."""

    row: int
    key: str = ""
    action: str = ""
    existing: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field -> [before, after], as shown
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def fingerprint_item(self) -> list[Any]:
        return [self.row, self.action, self.key, getattr(self.existing, "pk", None), self.changes]

    def decide(self) -> None:
        """The row's action from its errors, its existing row and its changes."""
        if self.errors:
            self.action = ERROR
        elif self.existing is None:
            self.action = CREATE
        else:
            self.action = UPDATE if self.changes else UNCHANGED


@dataclass
class Plan:
    """The outcome of checking one file: file-level errors and notes, and one RowPlan per row."""

    file_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[Any] = field(default_factory=list)  # RowPlan or a subclass

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(r.action == ERROR for r in self.rows)

    def counts(self) -> dict[str, int]:
        counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0, ERROR: 0}
        for r in self.rows:
            counts[r.action] = counts.get(r.action, 0) + 1
        return {"rows": len(self.rows), **counts}

    def fingerprint(self) -> str:
        """What the rows would change, independent of the language of the messages."""
        digest = hashlib.sha256()
        for r in self.rows:
            digest.update(json.dumps(r.fingerprint_item(), sort_keys=True, default=str).encode())
        digest.update(json.dumps(self.file_errors).encode())
        return digest.hexdigest()


# --- the rules of one import -----------------------------------------------------------------


class ImportRules:
    """What one import supplies. Subclass, set the attributes, implement the methods marked so."""

    key: str = ""  # "assets.import": the job kind too
    label: Any = ""
    model: Any = None  # the batch model (a Job with the fields named in the module docstring)
    fields: tuple[str, ...] = ()
    aliases: dict[str, tuple[str, ...]] = {}
    required: frozenset[str] = frozenset()
    mapping_model: Any = None  # saved column mappings (name, owner, columns, options, active)
    states: type[ImportState] = ImportState  # a subclass where the model's status values differ
    # Up to this many rows the dry run and the commit run in the request; larger files as jobs.
    sync_rows_setting = "SAMDRIFT_IMPORT_SYNC_ROWS"

    # -- to implement ---------------------------------------------------------------------

    def role(self, actor: Any, batch: Any) -> str:
        """The actor's role for this batch; raises PermissionDenied when they may not import."""
        raise NotImplementedError

    def validate_rows(self, batch: Any, table: MappedTable, *, actor: Any, progress: Progress | None) -> Plan:
        """Check every row against the database (in memory after a few bulk reads); write nothing."""
        raise NotImplementedError

    def apply_rows(self, batch: Any, plan: Plan, *, actor: Any, role: str) -> list[PendingEvent]:
        """Write the planned rows (bulk) inside the commit's transaction; return their audit events."""
        raise NotImplementedError

    # -- may override ---------------------------------------------------------------------

    def field_label(self, name: str) -> str:
        return name

    def map_table(self, batch: Any, table: Table) -> MappedTable:
        """Recognise the columns by header, or use the columns chosen for the batch."""
        if getattr(batch, "columns", None):
            return map_chosen(table, batch.columns, self.field_label)
        return recognise_columns(table, self.fields, self.aliases, self.required, self.field_label)

    def save_report(self, batch: Any, plan: Plan) -> list[str]:
        """Store the row-by-row report (in the transaction of the dry run); the fields written."""
        return []

    def stored_fingerprint(self, batch: Any) -> str:
        return str(getattr(batch, "fingerprint", ""))

    def committed(self, batch: Any, plan: Plan) -> list[str]:
        """Fields to set on the batch when its rows are written; the fields written."""
        return []

    def stored_bytes(self, batch: Any) -> bytes:
        """The file as received."""
        return read_stored(batch)

    def filename(self, batch: Any) -> str:
        return str(batch.original_filename)

    def row_count(self, batch: Any) -> int:
        return int(batch.row_count)

    def save_counts(self, batch: Any, plan: Plan) -> list[str]:
        """Write the dry run's counts on the batch; the fields written."""
        counts = plan.counts()
        batch.row_count = counts["rows"] or batch.row_count
        batch.create_count = counts[CREATE]
        batch.update_count = counts[UPDATE]
        batch.unchanged_count = counts[UNCHANGED]
        batch.error_count = counts[ERROR]
        batch.checked_at = timezone.now()
        return ["row_count", "create_count", "update_count", "unchanged_count", "error_count", "checked_at"]

    def mark_committed(self, batch: Any, plan: Plan, *, actor: Any) -> list[str]:
        batch.committed_at = timezone.now()
        batch.committed_by = actor if getattr(actor, "pk", None) else None
        return ["committed_at", "committed_by"]

    def counts_of(self, batch: Any) -> dict[str, Any]:
        return {"new": batch.create_count, "changed": batch.update_count, "errors": batch.error_count}

    def empty_plan(self, batch: Any) -> Plan:
        """The plan that carries file errors (a subclass of Plan where the rules use one)."""
        return Plan()

    def event_extra(self, batch: Any) -> dict[str, Any]:
        """Added to the audit event of the commit."""
        return {}

    def sync_rows(self) -> int:
        return int(getattr(settings, self.sync_rows_setting, settings.SAMDRIFT_IMPORT_SYNC_ROWS))

    def lock(self, batch: Any) -> Any:
        return self.model._default_manager.select_for_update().get(pk=batch.pk)


Progress = Callable[[int], None]
IMPORTS: dict[str, ImportRules] = {}


def register_import(rules: ImportRules) -> None:
    """Called from an AppConfig.ready(): the import, and its batches as a kind of job (a dry run
    that stopped is an error to run again; a commit that stopped wrote nothing and the checked
    file may be imported again)."""
    IMPORTS[rules.key] = rules
    S = rules.states
    register_job_kind(
        JobKind(
            key=rules.key,
            label=rules.label,
            model=rules.model,
            running={S.CHECKING: S.ERROR, S.COMMITTING: S.VALIDATED},
            failed=frozenset({S.ERROR}),
            expired_message={S.CHECKING: CHECK_EXPIRED, S.COMMITTING: COMMIT_EXPIRED},
            task_path="samdrift.core.tasks.run_import_job",
            task_arg=1,
        )
    )


def rules_for(batch: Any) -> ImportRules:
    return next(r for r in IMPORTS.values() if isinstance(batch, r.model))


# --- 1. upload -------------------------------------------------------------------------------


@dataclass
class Received:
    name: str
    data: bytes
    table: Table

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def headers(self) -> list[str]:
        return [h for h in self.table.header if h]


def receive_file(uploaded_file: Any) -> Received:
    """Read an upload; refuse (ValidationError on "file") one that cannot be read at all. The
    columns are the rules' to check (`recognise_columns`, `check_header`)."""
    name, data = read_upload(uploaded_file)
    table = read_table(data, name)
    if not table.rows:
        raise file_error(_("The file is empty."))
    return Received(name, data, table)


def check_header(received: Received) -> None:
    """For imports whose columns the user chooses: a header row and at least one row below it."""
    if not received.headers:
        raise file_error(_("The first row must hold the column names."))
    if not received.table.body:
        raise file_error(_("The file has column names but no rows."))


def do_store_upload(
    batch: Any, received: Received, *, actor: Any, role: str, extra: dict[str, Any] | None = None
) -> Any:
    """Keep the received file on a new (unsaved) batch and save it, audited; the stored file is
    removed again if the row is not saved, so no orphan is left."""
    batch.original_filename = received.name
    batch.size = len(received.data)
    batch.sha256 = received.sha256
    batch.row_count = len(received.table.body)
    if getattr(actor, "pk", None):
        batch.created_by = actor
    with transaction.atomic():
        batch.file.save(received.name, ContentFile(received.data), save=False)
        try:
            batch.save(force_insert=True)
            record_event(
                actor,
                role,
                AuditEventType.CREATED,
                batch,
                changes={
                    "original_filename": [None, received.name],
                    "size": [None, batch.size],
                    "sha256": [None, batch.sha256],
                },
                extra={
                    "action": "upload_import",
                    "import": rules_for(batch).key,
                    "rows": batch.row_count,
                    **(extra or {}),
                },
            )
        except BaseException:
            batch.file.delete(save=False)
            raise
    return batch


# --- 2. column mapping -----------------------------------------------------------------------


def do_save_mapping(
    rules: ImportRules,
    name: str,
    owner: Any,
    columns: dict[str, str],
    options: dict[str, Any],
    *,
    actor: Any,
    role: str,
) -> Any:
    """Save (or replace) a named column mapping for one owner (or every owner, owner None)."""
    model = rules.mapping_model
    if len(name) > 100:
        raise ValidationError({"save_as": [_("The name is too long (at most 100 characters).")]})
    owner_id = getattr(owner, "pk", None)
    with transaction.atomic():
        mapping = model._default_manager.select_for_update().filter(owner=owner, name=name).first()
        if mapping is None:
            mapping = model._default_manager.create(
                name=name,
                owner=owner,
                columns=columns,
                options=options,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            record_event(
                actor,
                role,
                AuditEventType.CREATED,
                mapping,
                owner_id=owner_id,
                changes={"name": [None, name], "owner": [None, owner_id], "columns": [None, columns]},
            )
        else:
            changes = {
                "columns": [mapping.columns, columns],
                "options": [mapping.options, options],
                "active": [mapping.active, True],
            }
            mapping.columns, mapping.options, mapping.active = columns, options, True
            mapping.save(update_fields=["columns", "options", "active"])
            record_event(actor, role, AuditEventType.UPDATED, mapping, owner_id=owner_id, changes=changes)
    return mapping


def do_choose_columns(
    rules: ImportRules,
    batch: Any,
    columns: dict[str, str],
    options: dict[str, Any],
    *,
    actor: Any,
    save_as: str = "",
    shared: bool = False,
) -> Any:
    """Store which column holds which field (already checked by the caller) and the options; with
    `save_as`, keep them as a named mapping for the batch's owner (or every owner, `shared`)."""
    role = rules.role(actor, batch)
    with transaction.atomic():
        batch = rules.lock(batch)
        if batch.status in {rules.states.COMMITTED, *rules.states.running()}:
            raise ValidationError(
                _("The columns cannot be changed now (%(status)s).") % {"status": batch.get_status_display()}
            )
        fields = ["columns", "options", "status"]
        mapping = getattr(batch, "mapping", None)
        if save_as.strip() and rules.mapping_model is not None:
            owner = None if shared else getattr(batch, "owner", None)
            mapping = do_save_mapping(rules, save_as.strip(), owner, columns, options, actor=actor, role=role)
        changes = {}
        if batch.columns != columns:
            changes["columns"] = [batch.columns, columns]
        if batch.options != options:
            changes["options"] = [batch.options, options]
        batch.columns, batch.options = columns, options
        if hasattr(batch, "mapping_id"):
            batch.mapping = mapping
            fields.append("mapping")
        batch.status = rules.states.UPLOADED
        batch.save(update_fields=fields)
        record_event(actor, role, AuditEventType.UPDATED, batch, changes=changes, extra={"action": "choose_columns"})
    return batch


# --- 3. the dry run --------------------------------------------------------------------------


def read_stored(batch: Any) -> bytes:
    with batch.file.open("rb") as handle:
        data: bytes = handle.read(settings.SAMDRIFT_IMPORT_MAX_BYTES + 1)
    return data


def _file_plan(rules: ImportRules, batch: Any, errors: list[str]) -> Plan:
    plan = rules.empty_plan(batch)
    plan.file_errors = errors
    return plan


def plan_for(rules: ImportRules, batch: Any, *, actor: Any, progress: Progress | None = None) -> Plan:
    """Read the stored file, map its columns and check every row; file errors become the plan's."""
    try:
        data = rules.stored_bytes(batch)
    except (OSError, ValueError) as exc:
        logger.warning("%s %s: stored file unreadable: %s", rules.key, batch.pk, exc)
        return _file_plan(rules, batch, [_("The stored file could not be read. Upload it again.")])
    if getattr(batch, "sha256", "") and hashlib.sha256(data).hexdigest() != batch.sha256:
        return _file_plan(rules, batch, [_("The stored file has changed since it was uploaded. Upload it again.")])
    try:
        table = rules.map_table(batch, read_table(data, rules.filename(batch)))
    except ValidationError as exc:
        return _file_plan(rules, batch, list(exc.messages))
    if progress:
        progress(5)
    plan = rules.validate_rows(batch, table, actor=actor, progress=progress)
    if table.formula_errors:
        for row in plan.rows:
            found = table.formula_errors.get(row.row)
            if found:
                row.errors[:0] = found
                row.action = ERROR
    return plan


def _store_report(rules: ImportRules, batch: Any, plan: Plan, *, actor: Any, role: str) -> None:
    """Replace the batch's report and counts and audit the outcome. Call inside a transaction."""
    counts = plan.counts()
    before = batch.status
    S = rules.states
    batch.status = S.FAILED_VALIDATION if plan.has_errors else S.VALIDATED
    batch.progress = 100
    batch.lease_expires = None
    fields = ["status", "progress", "lease_expires", *rules.save_counts(batch, plan)]
    fields += rules.save_report(batch, plan)
    batch.save(update_fields=fields)
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        batch,
        changes={"status": [before, batch.status]} if before != batch.status else {},
        extra={"action": "check_import", "import": rules.key, "counts": counts, "file_errors": plan.file_errors},
    )


def _progress_writer(batch: Any) -> Progress:
    def write(percent: int) -> None:
        set_progress(batch, min(percent, 99), batch.message)

    return write


def do_check(rules: ImportRules, batch: Any, *, actor: Any, in_background: bool = False) -> Any:
    """The dry run: check every row and store the report; nothing else is written."""
    role = rules.role(actor, batch)
    if batch.status == rules.states.COMMITTED:
        raise ValidationError(_("This file has already been imported."))
    plan = plan_for(rules, batch, actor=actor, progress=_progress_writer(batch) if in_background else None)
    with transaction.atomic():
        locked = rules.lock(batch)
        if locked.status == rules.states.COMMITTED:
            raise ValidationError(_("This file has already been imported."))
        _store_report(rules, locked, plan, actor=actor, role=role)
    batch.refresh_from_db()
    return batch


# --- 4. the commit ---------------------------------------------------------------------------


class _Rejected(Exception):
    def __init__(self, plan: Plan, message: str) -> None:
        super().__init__(message)
        self.plan = plan
        self.message = message


def do_commit(rules: ImportRules, batch: Any, *, actor: Any) -> Any:
    """Import a checked file: every row is written, or, if any row fails, none is.

    The file is read and checked again inside the transaction; if the outcome differs from the
    dry run the user confirmed (someone changed the data meanwhile), nothing is written and the
    new report is stored for the user to confirm instead.
    """
    role = rules.role(actor, batch)
    model = rules.model
    S = rules.states
    try:
        with transaction.atomic():
            locked = rules.lock(batch)
            if locked.status == S.COMMITTED:
                raise ValidationError(_("This file has already been imported."))
            if locked.status not in {S.VALIDATED, S.COMMITTING}:
                raise ValidationError(_("Run the dry run and correct every error before importing."))
            plan = plan_for(rules, locked, actor=actor)
            if plan.has_errors:
                raise _Rejected(plan, _("The file has errors; nothing was imported. See the report."))
            if plan.fingerprint() != rules.stored_fingerprint(locked):
                raise _Rejected(
                    plan,
                    _(
                        "The data has changed since the dry run; nothing was imported. Check the new report and confirm again."
                    ),
                )
            events = rules.apply_rows(locked, plan, actor=actor, role=role)
            counts = plan.counts()
            before = locked.status
            locked.status = S.COMMITTED
            locked.progress = 100
            locked.lease_expires = None
            fields = ["status", "progress", "lease_expires", *rules.mark_committed(locked, plan, actor=actor)]
            locked.save(update_fields=fields + rules.committed(locked, plan))
            events.append(
                PendingEvent(
                    event_type=AuditEventType.IMPORTED,
                    obj=locked,
                    changes={"status": [before, S.COMMITTED]},
                    extra={
                        "import": locked.pk,
                        "kind": rules.key,
                        "counts": counts,
                        "sha256": getattr(locked, "sha256", ""),
                        **rules.event_extra(locked),
                    },
                )
            )
            record_events(actor, role, events)
    except _Rejected as rejected:
        with transaction.atomic():
            locked = rules.lock(batch)
            _store_report(rules, locked, rejected.plan, actor=actor, role=role)
            model._default_manager.filter(pk=batch.pk).update(message=rejected.message[:500])
        batch.refresh_from_db()
        raise ValidationError(rejected.message) from None
    except DatabaseError as exc:
        # A unique constraint hit by a concurrent change, or the database went away: everything
        # is rolled back and the stored file can be checked and imported again.
        logger.exception("%s %s failed", rules.key, batch.pk)
        message = _("The import stopped with a database error; nothing was imported. Run the dry run again and retry.")
        with transaction.atomic():
            previous = model._default_manager.filter(pk=batch.pk).values_list("status", flat=True).first()
            model._default_manager.filter(pk=batch.pk).update(status=S.ERROR, message=message[:500], lease_expires=None)
            record_event(
                actor,
                role,
                AuditEventType.UPDATED,
                batch,
                changes={"status": [previous, S.ERROR]},
                extra={"error": type(exc).__name__, "integrity": isinstance(exc, IntegrityError)},
            )
        batch.refresh_from_db()
        raise ValidationError(message) from exc
    batch.refresh_from_db()
    return batch


# --- jobs ------------------------------------------------------------------------------------


CHECK, COMMIT = "check", "commit"


def runs_as_job(rules: ImportRules, batch: Any) -> bool:
    return rules.row_count(batch) > rules.sync_rows()


def _queue(rules: ImportRules, batch: Any, step: str, *, actor: Any) -> Any:
    role = rules.role(actor, batch)
    S = rules.states
    with transaction.atomic():
        locked = rules.lock(batch)
        if step == CHECK:
            if locked.status in S.running() or locked.status == S.COMMITTED:
                raise ValidationError(_("The file is being processed or already imported."))
            after = S.CHECKING
        else:
            if locked.status == S.COMMITTED:
                raise ValidationError(_("This file has already been imported."))
            if locked.status != S.VALIDATED:
                raise ValidationError(_("Run the dry run and correct every error before importing."))
            after = S.COMMITTING
        before = locked.status
        locked.status, locked.message, locked.expired_at = after, "", None
        if step == CHECK:
            locked.progress = 0
        # Queued: the lease starts now, so a job whose task is lost before a worker takes it is
        # found by the sweep as well (samdrift.core.jobs).
        locked.heartbeat_at = None
        locked.lease_expires = timezone.now() + _queue_allowance()
        locked.save(update_fields=["status", "message", "expired_at", "progress", "heartbeat_at", "lease_expires"])
        record_event(
            actor,
            role,
            AuditEventType.UPDATED,
            locked,
            changes={"status": [before, after]},
            extra={"action": f"queue_{step}", "import": rules.key},
        )
        actor_id = getattr(actor, "pk", None)
        from samdrift.core.tasks import run_import_job

        transaction.on_commit(lambda: run_import_job.enqueue(rules.key, locked.pk, step, actor_id))
    return locked


def _queue_allowance() -> Any:
    from samdrift.core.jobs import lease_length

    return lease_length()


def start_check(rules: ImportRules, batch: Any, *, actor: Any) -> Any:
    """Run the dry run now for a small file, or queue it as a job whose progress the page shows."""
    if not runs_as_job(rules, batch):
        return do_check(rules, batch, actor=actor)
    return _queue(rules, batch, CHECK, actor=actor)


def start_commit(rules: ImportRules, batch: Any, *, actor: Any) -> Any:
    """Import now for a small file, or queue the import as a job."""
    if not runs_as_job(rules, batch):
        return do_commit(rules, batch, actor=actor)
    return _queue(rules, batch, COMMIT, actor=actor)


def run_job(key: str, batch_id: int, step: str, user_id: int | None) -> dict[str, Any]:
    """The body of the job (`samdrift.core.tasks.run_import_job`): one step, holding the lease."""
    from samdrift.core.jobs import holding_lease

    rules = IMPORTS[key]
    model = rules.model
    batch = model._default_manager.filter(pk=batch_id).first()
    S = rules.states
    wanted = S.CHECKING if step == CHECK else S.COMMITTING
    if batch is None or batch.status != wanted:
        # Swept meanwhile (and perhaps started again): this task is no longer the one to run.
        return {"import": batch_id, "status": getattr(batch, "status", None), "skipped": True}
    actor = get_user_model()._default_manager.filter(pk=user_id).first() if user_id else None
    try:
        with holding_lease(batch):
            if step == CHECK:
                batch = do_check(rules, batch, actor=actor, in_background=True)
            else:
                batch = do_commit(rules, batch, actor=actor)
    except ValidationError as exc:
        # Refused as a whole (nothing was written): a job still marked running is put back where
        # it can be run again, with the reason.
        back = S.VALIDATED if step == COMMIT else S.ERROR
        model._default_manager.filter(pk=batch_id, status=wanted).update(
            status=back, message=" ".join(exc.messages)[:500], lease_expires=None
        )
        return {"import": batch_id, "status": model._default_manager.get(pk=batch_id).status}
    except Exception as exc:  # the batch records why; the worker logs the trace
        logger.exception("%s %s: %s failed", key, batch_id, step)
        model._default_manager.filter(pk=batch_id).update(status=S.ERROR, message=str(exc)[:500], lease_expires=None)
        return {"import": batch_id, "status": S.ERROR}
    return {"import": batch_id, "status": batch.status, **rules.counts_of(batch)}
