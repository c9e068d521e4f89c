"""Word-search indexes on tickets (PostgreSQL only; see samdrift/core/trigram.py).

The agent's ticket list searches subject and number with `icontains`, and the records search of a
public access request searches subject, description and number; at a million tickets (ten million
in bench/records_search.py) both read every row without these.
"""

from django.db import migrations

from samdrift.core import trigram

INDEXES = {
    "servicedesk_ticket": {
        "sd_ticket_subject_trgm": "subject",
        "sd_ticket_description_trgm": "description",
        "sd_ticket_number_trgm": "number",
    },
}


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0005_mailbox_password_encrypted")]

    operations = [migrations.RunPython(*trigram.create(INDEXES), elidable=False, hints={"new_database": True})]
