"""One legal-hold mechanism (issue 12). A register entry's own `legal_hold` flag becomes an active
`LegalHold` row on the entry, the rows disposal already consults for every kind of record, and
the flag is removed.

The new rows have no `set_by` (who set the flag is in the audit trail, as the entry's `updated`
event) and are set now; their reason says where they came from. No audit event is written here:
audit events are written by actions, and the trail already holds the setting of the flag. An
entry that already has an active hold gets no second one, so running this again adds nothing.

Backwards, the flag comes back set on every entry with an active hold; the holds stay.
"""

from django.db import migrations

REASON = "Bevarandebeslut (överfört från diariepostens tidigare markering)"
BATCH = 1000


def holds_from_flags(apps, schema_editor):
    Case = apps.get_model("records", "Case")
    LegalHold = apps.get_model("records", "LegalHold")
    ContentType = apps.get_model("contenttypes", "ContentType")
    flagged = Case.objects.filter(legal_hold=True).order_by("pk").values_list("pk", flat=True)
    if not flagged.exists():
        return  # a new database, or nobody used the flag
    case_type, _created = ContentType.objects.get_or_create(app_label="records", model="case")
    already = set(
        LegalHold.objects.filter(content_type=case_type, released_at__isnull=True).values_list("object_id", flat=True)
    )
    LegalHold.objects.bulk_create(
        (
            LegalHold(content_type=case_type, object_id=str(pk), reason=REASON, set_by=None)
            for pk in flagged.iterator(chunk_size=BATCH)
            if str(pk) not in already
        ),
        batch_size=BATCH,
    )


def flags_from_holds(apps, schema_editor):
    Case = apps.get_model("records", "Case")
    LegalHold = apps.get_model("records", "LegalHold")
    ContentType = apps.get_model("contenttypes", "ContentType")
    case_type = ContentType.objects.filter(app_label="records", model="case").first()
    if case_type is None:
        return
    held = LegalHold.objects.filter(content_type=case_type, released_at__isnull=True)
    ids = sorted({int(i) for i in held.values_list("object_id", flat=True) if str(i).isdigit()})
    for start in range(0, len(ids), BATCH):
        Case.objects.filter(pk__in=ids[start : start + BATCH]).update(legal_hold=True)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("records", "0006_job_lease"),
    ]

    operations = [
        migrations.RunPython(holds_from_flags, flags_from_holds, elidable=False),
        migrations.RemoveField(model_name="case", name="legal_hold"),
    ]
