"""The monthly owner reports in the information management plan: the operator's own official
record, kept for ever (a report to the owners about what they got for their money) and delivered
to the archive. `samdrift.insight.apps` runs `seed` again after a flush."""

from django.db import migrations


def seed(apps, schema_editor):
    try:
        RecordType = apps.get_model("records", "RecordType")
    except LookupError:  # records is not installed
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    RecordType.objects.get_or_create(
        code="owner_reports",
        defaults={
            "name": "Månadsrapporter till ägarna",
            "content_type": ContentType.objects.get_or_create(app_label="insight", model="ownerreport")[0],
            "ownership": "operator",
            "registered": False,
            "keep": True,
            "retention_years": None,
            "retention_event": "created",
            "disposal_method": "delete",
            "archived": True,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("insight", "0001_owner_month_summaries"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("records", "0002_seed"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop, hints={"new_database": True})]
