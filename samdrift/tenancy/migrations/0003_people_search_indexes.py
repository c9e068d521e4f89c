"""Indexes for the list of people at a million rows on PostgreSQL (bench/people_list.py).

Hand-made and PostgreSQL-only (SQLite, the embedded default for small installs, gets nothing and
still migrates):

- `q` searches first name, last name, e-mail and identifier with `istartswith`, which Django
  writes as `UPPER(col::text) LIKE UPPER('word%')`; a btree on that expression with
  text_pattern_ops answers the prefix (the database collation is not C, so the default operator
  class cannot).
- the API pages by `-id` (cursor pagination); `(owner_id, id)` serves a list filtered to one owner
  whose rows sit together in id order, where walking the primary key would pass every other
  owner's rows first.
- the list's other sortable text columns, first name and e-mail, each with the id that makes the
  order total (pupils have no e-mail: half a million rows tie on '' without it).
- per-owner statistics: with the default target of 100 the planner guesses how many people one
  owner has from an average and may walk the name index through the whole table for a small owner;
  a target of 1000 keeps every owner (290 municipalities) in the most-common-values list.
"""

from django.db import migrations

INDEXES = {
    "person_first_name_upper_idx": "UPPER(first_name::text) text_pattern_ops",
    "person_last_name_upper_idx": "UPPER(last_name::text) text_pattern_ops",
    "person_email_upper_idx": "UPPER(email::text) text_pattern_ops",
    "person_external_id_upper_idx": "UPPER(external_id::text) text_pattern_ops",
    "person_owner_id_idx": "owner_id, id",
    "person_first_name_sort_idx": "first_name, last_name, id",
    "person_email_sort_idx": "email, id",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON tenancy_person ({columns})")
    schema_editor.execute("ALTER TABLE tenancy_person ALTER COLUMN owner_id SET STATISTICS 1000")
    schema_editor.execute("ANALYZE tenancy_person")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("ALTER TABLE tenancy_person ALTER COLUMN owner_id SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0002_importbatch")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False, hints={"new_database": True})]
