"""Indexes for searching the asset list at 2.5 million devices on PostgreSQL (bench/assets_list.py).

Hand-made and PostgreSQL-only, like the people-search indexes (tenancy 0003); SQLite gets nothing
and still migrates. The list's `q` searches asset tag, serial number and host name with
`istartswith`, which Django writes as `UPPER(col::text) LIKE UPPER('word%')`: a btree on that
expression with text_pattern_ops answers the prefix (the database collation is not C, so the plain
indexes on those columns cannot), and the three combine by BitmapOr. The triage list searches the
same way over host name, serial number and device id.
"""

from django.db import migrations

INDEXES = {
    "assets_asset": {
        "asset_tag_upper_idx": "UPPER(asset_tag::text) text_pattern_ops",
        "asset_serial_upper_idx": "UPPER(serial_number::text) text_pattern_ops",
        "asset_hostname_upper_idx": "UPPER(hostname::text) text_pattern_ops",
    },
    "assets_triagedevice": {
        "triage_hostname_upper_idx": "UPPER(hostname::text) text_pattern_ops",
        "triage_serial_upper_idx": "UPPER(serial_number::text) text_pattern_ops",
        "triage_device_upper_idx": "UPPER(device_id::text) text_pattern_ops",
    },
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, indexes in INDEXES.items():
        for name, columns in indexes.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")
        schema_editor.execute(f"ANALYZE {table}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for indexes in INDEXES.values():
        for name in indexes:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("assets", "0002_asset_imports")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False, hints={"new_database": True})]
