"""Locks that last until the current transaction ends, by a number every process agrees on."""

from __future__ import annotations

from django.db import connection


def hold_for_transaction(key: int) -> None:
    """Serialise the rest of the current transaction against every other transaction that asks
    for the same `key`. On PostgreSQL an advisory transaction lock, released at commit or
    rollback. On SQLite every transaction already holds the database's write lock from its start
    (IMMEDIATE mode, `settings.DATABASES`), which is the same thing."""
    if not connection.in_atomic_block:
        raise RuntimeError("hold_for_transaction() outside a transaction would release the lock at once")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
