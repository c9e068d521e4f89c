"""Trigram indexes for word searches (`icontains`) on PostgreSQL, made by migrations.

Django writes `col__icontains=word` as `UPPER(col::text) LIKE UPPER('%word%')`. A btree cannot
answer a pattern with a leading wildcard; a GIN index over `UPPER(col::text) gin_trgm_ops` can (for
words of three letters or more), which keeps the ticket list's search and the records search of an
access request from reading every row at millions of tickets.

The `pg_trgm` extension is created when missing. It is a trusted extension, so the database owner
may create it; where the role still may not, the migration leaves the indexes out and says so:
searches stay correct, only slower, and `manage.py migrate` can be rerun after a superuser has run
`CREATE EXTENSION pg_trgm`. SQLite gets nothing.
"""

from __future__ import annotations

import sys
from typing import Any

from django.db import DatabaseError, transaction


def _has_trgm(schema_editor: Any) -> bool:
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cur.fetchone():
            return True
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        print(
            f"\n  pg_trgm is not available ({exc}); the word-search indexes are left out. "
            "Searches work but read every row; see docs/operations.md.",
            file=sys.stderr,
        )
        return False
    return True


def create(indexes: dict[str, dict[str, str]]) -> Any:
    """A RunPython pair creating `{table: {index name: column}}` GIN trigram indexes."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql" or not _has_trgm(schema_editor):
            return
        for table, columns in indexes.items():
            for name, column in columns.items():
                schema_editor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER({column}::text) gin_trgm_ops)"
                )
            schema_editor.execute(f"ANALYZE {table}")

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for columns in indexes.values():
            for name in columns:
                schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return forwards, backwards
