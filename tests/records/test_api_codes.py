"""A code naming a related row (record type, series, secrecy ground) with a NUL character is refused
as an unknown code (400), not passed to PostgreSQL, which cannot hold NUL in text and would fail the
request (found by schemathesis on POST /api/v1/records/archive-exports/)."""

from __future__ import annotations

from typing import Any

from samdrift.records.api import ArchiveExportSerializer


def test_a_code_with_a_nul_character_is_an_unknown_code(db: Any) -> None:
    serializer = ArchiveExportSerializer(data={"record_type": "ARK\x00", "date_from": "2020-01-01"})
    assert not serializer.is_valid()
    assert "record_type" in serializer.errors and "\x00" not in str(serializer.errors["record_type"])
