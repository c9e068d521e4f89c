"""Mailbox passwords are stored encrypted (samdrift/core/secrets.py): the column becomes text and
every password saved before is encrypted in place."""

from django.db import migrations

import samdrift.core.secrets


def encrypt_saved(apps, schema_editor):
    Mailbox = apps.get_model("servicedesk", "Mailbox")
    for mailbox in Mailbox.objects.exclude(password="").only("pk", "password"):
        # Loading gives the plain text of an old row; saving writes it encrypted.
        mailbox.save(update_fields=["password"])


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0004_ticket_assets"),
    ]

    operations = [
        migrations.AlterField(
            model_name="mailbox",
            name="password",
            field=samdrift.core.secrets.EncryptedTextField(
                blank=True, help_text="Stored encrypted.", verbose_name="password"
            ),
        ),
        migrations.RunPython(encrypt_saved, migrations.RunPython.noop, elidable=False),
    ]
