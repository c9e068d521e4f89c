"""Import of org units, cost centres and people from CSV or XLSX, with a dry run (importera).

The pipeline is the one of every import (`samdrift.core.importing`): an upload is stored first
(`do_upload_import`), so nothing received is lost; `check_import` is the dry run: it reads the
stored file, checks every row against the database and stores a row-by-row report, writing nothing
else; `do_commit_import` repeats the check inside one transaction and writes every row or, if any
row fails, none. Large files run both as jobs with their progress shown (`start_check`,
`start_commit`). This module supplies the row rules (`PeopleImportRules`); the columns are
recognised by their headers (Swedish or English).

The work is set-based: the owners, the existing rows and the org units and cost centres that rows
refer to are loaded in one query each, rows are checked in memory, and writes use bulk_create and
bulk_update, with the audit events recorded in bulk. A dry run costs the same number of queries
for ten rows as for a hundred thousand.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.core import importing
from samdrift.core.access import require_role
from samdrift.core.audit import PendingEvent
from samdrift.core.importing import CREATE, ERROR, UNCHANGED, UPDATE, MappedTable
from samdrift.core.models import AuditEventType
from samdrift.core.tabular import MAX_ROWS, Table, normalise_header, read_table
from samdrift.tenancy.models import (
    CostCentre,
    ImportBatch,
    ImportKind,
    OrgUnit,
    OrgUnitKind,
    Owner,
    Person,
    PersonKind,
)
from samdrift.tenancy.permissions import WRITE_ROLES

logger = logging.getLogger(__name__)

__all__ = ["CREATE", "ERROR", "MAX_ROWS", "UNCHANGED", "UPDATE"]
BULK_BATCH_SIZE = 500

# --- columns ---------------------------------------------------------------------------------

# Canonical column name (the model field) -> the header the template uses in Swedish, and every
# header accepted for it. Headers are compared after `_normalise_header`.
SWEDISH_HEADERS: dict[str, str] = {
    "owner": "ägare",
    "code": "kod",
    "name": "namn",
    "kind": "typ",
    "parent": "förälder",
    "invoice_reference": "fakturareferens",
    "org_unit": "enhet",
    "external_id": "identitet",
    "first_name": "förnamn",
    "last_name": "efternamn",
    "email": "e-post",
    "phone": "telefon",
    "title": "titel",
    "cost_centre": "kostnadsställe",
    "active": "aktiv",
}
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "owner": ("ägare", "owner", "kommun", "ägarkommun", "kommunkod", "municipality", "municipality code"),
    "code": ("kod", "code"),
    "name": ("namn", "name"),
    "kind": ("typ", "kind", "type", "sort"),
    "parent": ("förälder", "parent", "överordnad", "del av", "part of", "parent code"),
    "invoice_reference": ("fakturareferens", "invoice reference", "referens", "reference"),
    "org_unit": ("enhet", "org unit", "organisationsenhet", "org unit code", "unit"),
    "external_id": ("identitet", "external id", "identifierare", "identifier", "id"),
    "first_name": ("förnamn", "first name", "firstname", "given name"),
    "last_name": ("efternamn", "last name", "lastname", "surname", "family name"),
    "email": ("e-post", "epost", "e-postadress", "email", "e-mail", "mail"),
    "phone": ("telefon", "telefonnummer", "mobil", "phone", "telephone", "mobile"),
    "title": ("titel", "befattning", "title", "job title"),
    "cost_centre": ("kostnadsställe", "cost centre", "cost center", "kostnadsställe kod"),
    "active": ("aktiv", "active"),
}

KIND_MODEL: dict[str, type[models.Model]] = {
    ImportKind.ORG_UNITS: OrgUnit,
    ImportKind.COST_CENTRES: CostCentre,
    ImportKind.PEOPLE: Person,
}
KEY_FIELD: dict[str, str] = {
    ImportKind.ORG_UNITS: "code",
    ImportKind.COST_CENTRES: "code",
    ImportKind.PEOPLE: "external_id",
}
COLUMNS: dict[str, tuple[str, ...]] = {
    ImportKind.ORG_UNITS: ("owner", "code", "name", "parent", "kind", "active"),
    ImportKind.COST_CENTRES: ("owner", "code", "name", "invoice_reference", "org_unit", "active"),
    ImportKind.PEOPLE: (
        "owner",
        "external_id",
        "kind",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "org_unit",
        "cost_centre",
        "active",
    ),
}
REQUIRED: dict[str, frozenset[str]] = {
    ImportKind.ORG_UNITS: frozenset({"owner", "code", "name"}),
    ImportKind.COST_CENTRES: frozenset({"owner", "code", "name", "invoice_reference"}),
    ImportKind.PEOPLE: frozenset({"owner", "external_id", "first_name", "last_name"}),
}
# Columns that name another row by its code: the field and the model it points to.
REFERENCES: dict[str, type[models.Model]] = {"parent": OrgUnit, "org_unit": OrgUnit, "cost_centre": CostCentre}

# Values accepted in the `kind` column, by import kind.
KIND_VALUES: dict[str, dict[str, str]] = {
    ImportKind.ORG_UNITS: {
        "förvaltning": OrgUnitKind.ADMINISTRATION,
        "administration": OrgUnitKind.ADMINISTRATION,
        "enhet": OrgUnitKind.UNIT,
        "unit": OrgUnitKind.UNIT,
        "skola": OrgUnitKind.SCHOOL,
        "school": OrgUnitKind.SCHOOL,
    },
    ImportKind.PEOPLE: {
        "anställd": PersonKind.EMPLOYEE,
        "anstalld": PersonKind.EMPLOYEE,
        "employee": PersonKind.EMPLOYEE,
        "elev": PersonKind.PUPIL,
        "pupil": PersonKind.PUPIL,
        "student": PersonKind.PUPIL,
        "extern": PersonKind.EXTERNAL,
        "external": PersonKind.EXTERNAL,
    },
}
KIND_VALUES_SHOWN: dict[str, str] = {
    ImportKind.ORG_UNITS: "förvaltning, enhet, skola (administration, unit, school)",
    ImportKind.PEOPLE: "anställd, elev, extern (employee, pupil, external)",
}
TRUE_VALUES = {"ja", "j", "yes", "y", "true", "sant", "1", "x", "aktiv", "active"}
FALSE_VALUES = {"nej", "n", "no", "false", "falskt", "0", "inaktiv", "inactive"}


_normalise_header = normalise_header
_HEADER_LOOKUP: dict[str, str] = importing.alias_lookup(HEADER_ALIASES)
for _name in SWEDISH_HEADERS:
    _HEADER_LOOKUP.setdefault(_normalise_header(_name), _name)


def column_label(name: str) -> str:
    """How a column is named to the user: the Swedish header and the English one."""
    return f"{SWEDISH_HEADERS[name]} ({name})"


def template_headers(kind: str, language: str = "sv") -> list[str]:
    """The header row of the template file for `kind`, in Swedish or in English."""
    return [SWEDISH_HEADERS[c] if language.startswith("sv") else c for c in COLUMNS[kind]]


# --- reading files ---------------------------------------------------------------------------

# A table read from a file: the recognised columns and, per spreadsheet row, their values.
ParsedFile = MappedTable


def parse_file(kind: str, data: bytes, filename: str = "") -> MappedTable:
    """Read `data` and map its header row to the columns of `kind`; raise ValidationError if unusable."""
    return parse_file_table(kind, read_table(data, filename))


def parse_file_table(kind: str, table: Table) -> MappedTable:
    """The columns of `kind` recognised in a table read from a file."""

    def hint(header: list[str]) -> str:
        other = _looks_like_other_kind(kind, header)
        if not other:
            return ""
        return _("The columns look like a file of %(kind)s; choose that kind when uploading.") % {
            "kind": ImportKind(other).label
        }

    return importing.recognise_columns(
        table, COLUMNS[kind], HEADER_ALIASES, REQUIRED[kind], column_label, missing_hint=hint
    )


def _looks_like_other_kind(kind: str, header: list[str]) -> str | None:
    names = {_HEADER_LOOKUP.get(_normalise_header(h)) for h in header if h}
    for other, required in REQUIRED.items():
        if other != kind and required <= names:
            return other
    return None


# --- checking rows ---------------------------------------------------------------------------


@dataclass
class RowPlan(importing.RowPlan):
    """What one row would do. FK values are codes; they are resolved to rows only when writing."""

    owner: Owner | None = None

    def fingerprint_item(self) -> list[Any]:
        return [self.row, self.action, self.key, self.owner.pk if self.owner else None, self.changes]

    def report(self) -> dict[str, Any]:
        label = f"{self.owner.name} · {self.key}" if self.owner is not None and self.key else self.key
        return {
            "row": self.row,
            "key": label,
            "action": self.action,
            "changes": self.changes,
            "errors": self.errors,
            "warnings": self.warnings,
        }


@dataclass
class Plan(importing.Plan):
    """The outcome of checking one file: file-level errors, and one RowPlan per row."""

    kind: str = ""
    columns: list[str] = dataclasses.field(default_factory=list)
    units: dict[tuple[int, str], OrgUnit] = dataclasses.field(default_factory=dict)
    centres: dict[tuple[int, str], CostCentre] = dataclasses.field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "columns": self.columns,
            "file_errors": self.file_errors,
            "notes": self.notes,
            "counts": self.counts(),
            "fingerprint": self.fingerprint(),
            "rows": [r.report() for r in self.rows],
        }


class _Owners:
    """The owners the actor may see, found by municipality code or by name."""

    def __init__(self, actor: Any) -> None:
        owners = list(Owner.objects.for_user(actor).only("id", "name", "municipality_code", "active"))
        self.by_code = {o.municipality_code: o for o in owners}
        self.by_name = {o.name.casefold(): o for o in owners}

    def find(self, value: str) -> Owner | None:
        if value.isdigit() and len(value) < 4:
            value = value.zfill(4)  # Excel drops the leading zero of 0114 (Upplands Väsby)
        return self.by_code.get(value) or self.by_name.get(value.casefold())


def _max_length(model: type[models.Model], name: str) -> int | None:
    return getattr(model._meta.get_field(name), "max_length", None)


def _label(model: type[models.Model], name: str) -> str:
    if name in SWEDISH_HEADERS:
        return column_label(name)
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def build_plan(kind: str, parsed: MappedTable, *, actor: Any) -> Plan:
    """Check every row of `parsed` against the database, in memory after a few bulk reads."""
    model = KIND_MODEL[kind]
    key_field = KEY_FIELD[kind]
    plan = Plan(kind=kind, columns=parsed.columns)
    if parsed.ignored_columns:
        plan.notes.append(
            _("These columns are not used and were ignored: %(columns)s.")
            % {"columns": ", ".join(f"“{c}”" for c in parsed.ignored_columns)}
        )
    owners = _Owners(actor)
    first_row: dict[tuple[int, str], int] = {}

    # Pass 1: owner and key of each row, duplicates within the file.
    for number, values in parsed.rows:
        row = RowPlan(row=number)
        plan.rows.append(row)
        owner_text = values.get("owner", "")
        row.key = values.get(key_field, "")
        if not owner_text:
            row.errors.append(_("%(column)s is empty.") % {"column": column_label("owner")})
        else:
            owner = owners.find(owner_text)
            if owner is None:
                row.errors.append(
                    _("Unknown owner “%(value)s”: give the municipality code or the owner's name.")
                    % {"value": owner_text}
                )
            elif not owner.active:
                row.errors.append(_("The owner %(owner)s is deactivated.") % {"owner": owner.name})
            else:
                row.owner = owner
        if not row.key:
            row.errors.append(_("%(column)s is empty.") % {"column": column_label(key_field)})
        else:
            _check_length(row, model, key_field, row.key)
        if row.owner is not None and row.key:
            seen = first_row.setdefault((row.owner.pk, row.key), number)
            if seen != number:
                row.errors.append(
                    _("%(column)s “%(value)s” for %(owner)s is also on row %(row)s; each may appear once.")
                    % {"column": column_label(key_field), "value": row.key, "owner": row.owner.name, "row": seen}
                )

    # One query each: the existing rows of these owners and the rows they may refer to.
    owner_ids = sorted({r.owner.pk for r in plan.rows if r.owner is not None})
    existing = {
        (obj.owner_id, getattr(obj, key_field)): obj
        for obj in model.objects.for_user(actor).filter(owner_id__in=owner_ids)  # type: ignore[attr-defined]
    }
    if kind == ImportKind.ORG_UNITS:
        plan.units = dict(existing)
    else:
        plan.units = {
            (u.owner_id, u.code): u
            for u in OrgUnit.objects.for_user(actor)
            .filter(owner_id__in=owner_ids)
            .only("id", "owner_id", "code", "name", "parent_id", "active")
        }
    if kind == ImportKind.PEOPLE:
        plan.centres = {
            (c.owner_id, c.code): c
            for c in CostCentre.objects.for_user(actor)
            .filter(owner_id__in=owner_ids)
            .only("id", "owner_id", "code", "name", "active")
        }
    code_of = {
        "parent": {u.pk: u.code for u in plan.units.values()},
        "org_unit": {u.pk: u.code for u in plan.units.values()},
        "cost_centre": {c.pk: c.code for c in plan.centres.values()},
    }
    in_file = {key for key, _row in first_row.items()} if kind == ImportKind.ORG_UNITS else set()

    # Pass 2: every value, then the row against its existing version.
    for (_number, values), row in zip(parsed.rows, plan.rows, strict=True):
        if row.owner is None:
            continue
        wanted = _row_values(kind, model, row, values, plan, in_file)
        row.existing = existing.get((row.owner.pk, row.key))
        if row.existing is None:
            row.values = {key_field: row.key, **_defaults(kind), **{k: v for k, v in wanted.items() if v is not None}}
            row.changes = {k: [None, v] for k, v in row.values.items()}
        else:
            current = _current_values(row.existing, wanted, code_of)
            row.values = {**current, **{k: v for k, v in wanted.items() if v is not None}}
            row.changes = {k: [current[k], v] for k, v in wanted.items() if v is not None and current[k] != v}
        if kind == ImportKind.PEOPLE:
            _check_pupil(row)

    if kind == ImportKind.ORG_UNITS:
        _check_cycles(plan, code_of["parent"])

    for row in plan.rows:
        if row.errors:
            row.action = ERROR
        elif row.existing is None:
            row.action = CREATE
        else:
            row.action = UPDATE if row.changes else UNCHANGED
    return plan


def _defaults(kind: str) -> dict[str, Any]:
    if kind == ImportKind.ORG_UNITS:
        return {"kind": OrgUnitKind.UNIT.value, "active": True}
    if kind == ImportKind.PEOPLE:
        return {"kind": PersonKind.EMPLOYEE.value, "active": True}
    return {"active": True}


def _check_length(row: RowPlan, model: type[models.Model], name: str, value: str) -> bool:
    limit = _max_length(model, name)
    if limit is not None and len(value) > limit:
        row.errors.append(
            _("%(column)s is too long: %(length)s characters, at most %(limit)s.")
            % {"column": _label(model, name), "length": len(value), "limit": limit}
        )
        return False
    return True


def _row_values(
    kind: str,
    model: type[models.Model],
    row: RowPlan,
    values: dict[str, str],
    plan: Plan,
    in_file: set[tuple[int, str]],
) -> dict[str, Any]:
    """The row's values by field. None means "keep as is" (or the default for a new row)."""
    wanted: dict[str, Any] = {}
    for name in plan.columns:
        if name in {"owner", KEY_FIELD[kind]}:
            continue
        raw = values.get(name, "")
        if name == "kind":
            wanted[name] = _parse_choice(kind, row, raw)
        elif name == "active":
            wanted[name] = _parse_bool(row, raw)
        elif name in REFERENCES:
            wanted[name] = _parse_reference(name, row, raw, plan, in_file)
        else:
            if not raw and name in REQUIRED[kind]:
                row.errors.append(_("%(column)s is empty.") % {"column": column_label(name)})
                continue
            if not _check_length(row, model, name, raw):
                continue
            if name == "email" and raw:
                try:
                    validate_email(raw)
                except ValidationError:
                    row.errors.append(_("“%(value)s” is not a valid email address.") % {"value": raw})
                    continue
            wanted[name] = raw
    return wanted


def _parse_choice(kind: str, row: RowPlan, raw: str) -> str | None:
    if not raw:
        return None
    value = KIND_VALUES[kind].get(raw.casefold())
    if value is None:
        row.errors.append(
            _("Unknown %(column)s “%(value)s”; use one of: %(choices)s.")
            % {"column": column_label("kind"), "value": raw, "choices": KIND_VALUES_SHOWN[kind]}
        )
    return value


def _parse_bool(row: RowPlan, raw: str) -> bool | None:
    if not raw:
        return None
    text = raw.casefold()
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    row.errors.append(
        _("%(column)s must be ja or nej (yes or no), not “%(value)s”.")
        % {"column": column_label("active"), "value": raw}
    )
    return None


def _parse_reference(name: str, row: RowPlan, raw: str, plan: Plan, in_file: set[tuple[int, str]]) -> str | None:
    """A code of an org unit or cost centre of the row's owner; "" clears the reference."""
    assert row.owner is not None
    if not raw:
        return ""
    key = (row.owner.pk, raw)
    if name == "parent" and raw == row.key:
        row.errors.append(_("An org unit cannot be part of itself."))
        return None
    target: Any = plan.centres.get(key) if name == "cost_centre" else plan.units.get(key)
    if target is None and name == "parent" and key in in_file:
        return raw  # created by an earlier or later row of the same file
    if target is None:
        if name == "cost_centre":
            message = _("%(owner)s has no cost centre with code “%(code)s”.")
        else:
            message = _("%(owner)s has no org unit with code “%(code)s”.")
        row.errors.append(message % {"owner": row.owner.name, "code": raw})
        return None
    if not target.active:
        row.warnings.append(_("%(column)s “%(code)s” is deactivated.") % {"column": column_label(name), "code": raw})
    return raw


def _current_values(obj: Any, wanted: dict[str, Any], code_of: dict[str, dict[int, str]]) -> dict[str, Any]:
    current: dict[str, Any] = {}
    for name in wanted:
        if name in REFERENCES:
            pk = getattr(obj, f"{name}_id")
            current[name] = code_of[name].get(pk, "") if pk is not None else ""
        else:
            current[name] = getattr(obj, name)
    if isinstance(obj, Person):
        for name in ("kind", "phone", "title"):
            current.setdefault(name, getattr(obj, name))
    return current


def _check_pupil(row: RowPlan) -> None:
    values = row.values
    if values.get("kind") == PersonKind.PUPIL and (values.get("phone") or values.get("title")):
        row.errors.append(_("For pupils we keep only name, school and identifier: leave phone and title empty."))


def _check_cycles(plan: Plan, code_of_pk: dict[int, str]) -> None:
    """After the import, following the parents of a unit must never lead back to the unit."""
    parent_of: dict[tuple[int, str], str] = {
        key: code_of_pk.get(unit.parent_id, "") if unit.parent_id else "" for key, unit in plan.units.items()
    }
    for row in plan.rows:
        if row.owner is not None and not row.errors and "parent" in row.values:
            parent_of[(row.owner.pk, row.key)] = row.values["parent"] or ""
    for row in plan.rows:
        if row.owner is None or row.errors or "parent" not in row.values:
            continue
        owner_id = row.owner.pk
        node = row.values["parent"] or ""
        steps = 0
        while node and steps <= len(parent_of):
            if node == row.key:
                row.errors.append(_("Following the parents leads back to this org unit; it would be part of itself."))
                break
            node = parent_of.get((owner_id, node), "")
            steps += 1


# --- the rules of the people import (samdrift.core.importing runs them) ------------------------


def _role(actor: Any) -> str:
    operator_roles, owner_roles = WRITE_ROLES["import"]
    return require_role(actor, owner_id=None, operator_roles=operator_roles, owner_roles=owner_roles)


class PeopleImportRules(importing.ImportRules):
    key = "tenancy.import"
    label = gettext_lazy("Imports of org units, cost centres and people")
    model = ImportBatch

    def role(self, actor: Any, batch: Any) -> str:
        return _role(actor)

    def map_table(self, batch: Any, table: Any) -> MappedTable:
        return parse_file_table(batch.kind, table)

    def validate_rows(
        self, batch: Any, table: MappedTable, *, actor: Any, progress: importing.Progress | None
    ) -> importing.Plan:
        return build_plan(batch.kind, table, actor=actor)

    def save_report(self, batch: Any, plan: importing.Plan) -> list[str]:
        assert isinstance(plan, Plan)
        if not plan.kind:  # a file error: the plan was made before the kind was known
            plan.kind = batch.kind
        batch.report = plan.report()
        return ["report"]

    def stored_fingerprint(self, batch: Any) -> str:
        return str(batch.report.get("fingerprint", ""))

    def committed(self, batch: Any, plan: importing.Plan) -> list[str]:
        assert isinstance(plan, Plan)
        batch.report = plan.report()
        return ["report"]

    def event_extra(self, batch: Any) -> dict[str, Any]:
        return {"import_batch": batch.pk, "kind": batch.kind}

    def apply_rows(self, batch: Any, plan: importing.Plan, *, actor: Any, role: str) -> list[PendingEvent]:
        return _apply(plan, batch)  # type: ignore[arg-type]

    def empty_plan(self, batch: Any) -> importing.Plan:
        return Plan(kind=batch.kind)


RULES = PeopleImportRules()


def do_upload_import(kind: str, uploaded_file: UploadedFile | None, *, actor: Any) -> ImportBatch:
    """Store an uploaded file as a new import batch (importfil), refusing one that cannot be read.

    The file is read once here so that an empty, oversized or unreadable file is refused with a
    clear error and stores nothing; a readable file is kept whatever its rows hold.
    """
    role = _role(actor)
    if kind not in ImportKind.values:
        raise ValidationError({"kind": [_("Choose what the file holds: org units, cost centres or people.")]})
    received = importing.receive_file(uploaded_file)
    parse_file_table(kind, received.table)  # raises ValidationError for a file that cannot be used at all
    batch = ImportBatch(kind=kind)
    result: ImportBatch = importing.do_store_upload(batch, received, actor=actor, role=role, extra={"kind": kind})
    return result


def check_import(batch: ImportBatch, *, actor: Any) -> dict[str, Any]:
    """The dry run: check every row and store the report on the batch; nothing else is written."""
    importing.do_check(RULES, batch, actor=actor)
    return batch.report


def do_commit_import(batch: ImportBatch, *, actor: Any) -> ImportBatch:
    """Import a checked file: every row is written, or, if any row fails, none is (see
    `samdrift.core.importing.do_commit`)."""
    result: ImportBatch = importing.do_commit(RULES, batch, actor=actor)
    return result


def start_check(batch: ImportBatch, *, actor: Any) -> ImportBatch:
    """The dry run now for a small file, or as a job whose progress the page shows."""
    result: ImportBatch = importing.start_check(RULES, batch, actor=actor)
    return result


def start_commit(batch: ImportBatch, *, actor: Any) -> ImportBatch:
    """The import now for a small file, or as a job."""
    result: ImportBatch = importing.start_commit(RULES, batch, actor=actor)
    return result


# --- writing ---------------------------------------------------------------------------------


def _resolve(plan: Plan, name: str, owner_id: int, code: str) -> Any:
    if not code:
        return None
    if name == "cost_centre":
        return plan.centres[(owner_id, code)]
    return plan.units[(owner_id, code)]


def _audit_value(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def _apply(plan: Plan, batch: ImportBatch) -> list[PendingEvent]:
    """Write the planned rows in bulk; return their audit events. Call inside the transaction."""
    model = KIND_MODEL[plan.kind]
    extra = {"import_batch": batch.pk}
    created: list[tuple[RowPlan, Any]] = []
    waiting_for_parent: list[tuple[Any, str]] = []
    for row in plan.rows:
        if row.action != CREATE:
            continue
        assert row.owner is not None
        obj = model(owner=row.owner)
        for name, value in row.values.items():
            if name not in REFERENCES:
                setattr(obj, name, value)
            elif name == "parent" and value and (row.owner.pk, value) not in plan.units:
                waiting_for_parent.append((obj, value))  # a unit created by another row of this file
            else:
                setattr(obj, name, _resolve(plan, name, row.owner.pk, value))
        created.append((row, obj))
    model.objects.bulk_create([obj for _row, obj in created], batch_size=BULK_BATCH_SIZE)  # type: ignore[attr-defined]
    if plan.kind == ImportKind.ORG_UNITS:
        plan.units.update({(obj.owner_id, obj.code): obj for _row, obj in created})
        for obj, code in waiting_for_parent:
            obj.parent = plan.units[(obj.owner_id, code)]
        OrgUnit.objects.bulk_update([obj for obj, _code in waiting_for_parent], ["parent"], batch_size=BULK_BATCH_SIZE)

    events = [
        PendingEvent(
            event_type=AuditEventType.CREATED,
            obj=obj,
            changes={
                "owner": [None, obj.owner_id],
                **{name: [None, _audit_value(getattr(obj, name))] for name in row.values},
            },
            extra={**extra, "row": row.row},
        )
        for row, obj in created
    ]

    # Updates, grouped by the fields they change so that each UPDATE sets only those fields.
    by_fields: dict[tuple[str, ...], list[Any]] = {}
    for row in plan.rows:
        if row.action != UPDATE:
            continue
        assert row.owner is not None
        obj = row.existing
        changes: dict[str, list[Any]] = {}
        for name, (_before, after) in row.changes.items():
            if name in REFERENCES:
                old = getattr(obj, f"{name}_id")
                new = _resolve(plan, name, row.owner.pk, after)
                setattr(obj, name, new)
                changes[name] = [old, _audit_value(new)]
            else:
                changes[name] = [getattr(obj, name), after]
                setattr(obj, name, after)
        by_fields.setdefault(tuple(sorted(row.changes)), []).append(obj)
        events.append(
            PendingEvent(event_type=AuditEventType.UPDATED, obj=obj, changes=changes, extra={**extra, "row": row.row})
        )
    for names, objs in by_fields.items():
        model.objects.bulk_update(objs, list(names), batch_size=BULK_BATCH_SIZE)  # type: ignore[attr-defined]
    return events


def iter_report_rows(report: dict[str, Any], *, only: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
    """The rows of a stored report, optionally only those with the given actions."""
    wanted = set(only) if only else None
    for row in report.get("rows", []):
        if wanted is None or row.get("action") in wanted:
            yield row
