"""Word-search indexes on the register of cases (PostgreSQL only; see samdrift/core/trigram.py).

The records search of a public access request matches words in a case's subject, registration
number and counterparty with `icontains`.
"""

from django.db import migrations

from samdrift.core import trigram

INDEXES = {
    "records_case": {
        "records_case_subject_trgm": "subject",
        "records_case_regno_trgm": "registration_number",
        "records_case_counterparty_trgm": "counterparty",
    },
}


class Migration(migrations.Migration):
    dependencies = [("records", "0003_archive_export")]

    operations = [migrations.RunPython(*trigram.create(INDEXES), elidable=False, hints={"new_database": True})]
