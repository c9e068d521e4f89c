"""Build the database named by DATABASE_URL one way and print what it holds, as JSON.

    python -m tests.migration_check migrate   # the real `migrate`, as `make run` does
    python -m tests.migration_check fast      # the test suite's way (tests/fast_schema.py)

`tests/test_migrations.py` runs both on two new databases and compares them. What is printed is
everything a migration can make: tables and views, their columns, indexes and constraints,
triggers, functions, extensions and statistics (PostgreSQL), and every row. Names that the
database or Django make up from the order things were created in (SQLite's autoindexes, unnamed
checks, PostgreSQL's `_key`/`_uniq` names and Django's hashed ones) are left out: the two ways
create the same things in a different order. Columns holding ids and times are left out of the
rows for the same reason.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

_GENERATED_NAME = re.compile(
    r"^(sqlite_autoindex_.*|__unnamed_constraint_\d+__|fk_\d+|.*_(pkey|key|uniq|like|check|fk_.*|[0-9a-f]{8}))$"
)
_LEFT_OUT_COLUMN = re.compile(r"^(id|.*_id|applied|.*_at|.*_on|created|updated|modified|last_login|date_joined)$")


def main(how: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
    django.setup()
    from django.core.management import call_command

    if how == "migrate":
        call_command("migrate", verbosity=0, interactive=False)
    elif how == "fast":
        from tests import fast_schema

        fast_schema.build()
    else:
        raise SystemExit(f"unknown way {how!r}: migrate or fast")
    json.dump(describe(), sys.stdout, indent=1, sort_keys=True, default=str)


def describe() -> dict[str, Any]:
    from django.apps import apps
    from django.db import connection

    # Django's migration state gives an auto-created many-to-many table's id the project's
    # DEFAULT_AUTO_FIELD, the model its app's (auth's are `integer`, made `bigint` by `migrate`).
    through_tables = {
        model._meta.db_table for model in apps.get_models(include_auto_created=True) if model._meta.auto_created
    }
    with connection.cursor() as cursor:
        tables = sorted(info.name for info in connection.introspection.get_table_list(cursor))
        out: dict[str, Any] = {"tables": {}}
        for table in tables:
            columns = [
                list(map(_plain, info)) for info in connection.introspection.get_table_description(cursor, table)
            ]
            if table in through_tables:
                columns = [column[:1] if column[0] == "id" else column for column in columns]
            out["tables"][table] = {
                "columns": sorted(columns),
                "constraints": _constraints(connection.introspection.get_constraints(cursor, table)),
                "rows": _rows(cursor, connection, table),
            }
        out["database"] = _sqlite(cursor) if connection.vendor == "sqlite" else _postgresql(cursor)
    return out


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, int | float | str | bool) else str(value)


def _constraints(found: dict[str, dict[str, Any]]) -> list[Any]:
    described = []
    for name, details in found.items():
        item = {
            key: _plain(value) if not isinstance(value, list | tuple) else list(value) for key, value in details.items()
        }
        item["name"] = None if _GENERATED_NAME.match(name) else name
        described.append(item)
    return sorted(described, key=lambda item: json.dumps(item, sort_keys=True, default=str))


def _rows(cursor: Any, connection: Any, table: str) -> list[Any]:
    quoted = connection.ops.quote_name(table)
    cursor.execute(f"SELECT * FROM {quoted}")
    names = [column[0] for column in cursor.description]
    keep = [index for index, name in enumerate(names) if not _LEFT_OUT_COLUMN.match(name)]
    # By column name: a column a migration added is the table's last, the models may put it earlier.
    rows = [sorted(names[index] + "=" + str(row[index]) for index in keep) for row in cursor.fetchall()]
    return sorted(rows)


def _sqlite(cursor: Any) -> dict[str, Any]:
    cursor.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('trigger', 'view') ORDER BY name"
    )
    return {"triggers and views": [list(row) for row in cursor.fetchall()]}


def _postgresql(cursor: Any) -> dict[str, Any]:
    queries = {
        "extensions": "SELECT extname FROM pg_extension ORDER BY 1",
        "triggers": "SELECT tgname, tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger"
        " WHERE NOT tgisinternal ORDER BY 1, 2",
        "functions": "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
        " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1, 2",
        "views": "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1",
        "materialized views": "SELECT matviewname, definition FROM pg_matviews WHERE schemaname = 'public' ORDER BY 1",
        "statistics": "SELECT stxname, pg_get_statisticsobjdef(oid) FROM pg_statistic_ext ORDER BY 1",
        "named indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
    }
    out: dict[str, Any] = {}
    for what, sql in queries.items():
        cursor.execute(sql)
        rows = [list(row) for row in cursor.fetchall()]
        if what == "named indexes":
            rows = [row for row in rows if not _GENERATED_NAME.match(row[0])]
        out[what] = rows
    return out


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
