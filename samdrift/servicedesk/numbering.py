"""Ticket numbers: SD-<year>-<six digits>, without gaps or duplicates, from one counter row per year."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils import timezone

from samdrift.servicedesk.models import TicketCounter


def next_ticket_number(when: Any) -> str:
    """SD-<year>-<six digits>, counted per year; the counter row is locked by the update until the
    creating transaction ends, so numbers have no gaps and no duplicates.

    One statement (an upsert that returns the new value; PostgreSQL and SQLite 3.35+ both speak
    it) instead of get-or-create, update and read: the lock is taken and the number read in one
    round trip, which matters because every ticket of every owner passes through this row."""
    year = timezone.localtime(when).year
    table = connection.ops.quote_name(TicketCounter._meta.db_table)  # the model's own table, not input
    sql = f"INSERT INTO {table} (year, last) VALUES (%s, 1) ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql + " RETURNING last", [year])
        (last,) = cursor.fetchone()
    return f"SD-{year}-{last:06d}"
