"""Finer statistics on ticket subjects (PostgreSQL only).

The agent's word search (`subject ILIKE '%word%'`, newest first) is fast either way round: walking
the id index and testing each ticket when the word is common, or the trigram index and a sort of
the matches when it is rare. PostgreSQL chooses by estimating the word's share from the column's
histogram; with the default 100 entries a word in half a percent of a million subjects is usually
in none of them, is estimated at 144 tickets and sorted as rare: 4,892 matches read and sorted
(185 ms) where walking the index finds the newest 50 within 10,000 tickets. With 1,000 entries
such a word is seen and estimated near its real share (see bench/http_servicedesk.py).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE servicedesk_ticket ALTER COLUMN subject SET STATISTICS 1000")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE servicedesk_ticket ALTER COLUMN subject SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0008_open_ticket_priority_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False, hints={"new_database": True})]
