"""Seed the CO2e factors from the reference file (assets/data/co2e_factors.csv, a copy of
shared/reference/co2e_factors.csv) and the record types of take-back in the information
management plan. `samdrift.circular.apps` runs `seed` again after a flush."""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import migrations

REFERENCE = Path(__file__).resolve().parents[2] / "assets" / "data" / "co2e_factors.csv"
VERSION = "co2e_factors.csv (Samdrift reference data, 2026)"
# Our device categories as the reference file names them.
CATEGORIES = {
    "laptop": "laptop",
    "chromebook": "laptop",
    "phone": "smartphone",
    "desktop": "desktop",
    "monitor": "monitor",
    "tablet": "tablet",
}
RECORD_TYPES = [
    # code, name, model, retention years (counted from creation)
    ("ATERTAG-INTYG", "Raderingsintyg för återtagna enheter", "certificate", 10),
    ("ATERTAG-RAPPORT", "Återtagspartnerns raderings- och utfallsrapport", "partnerreport", 10),
    # Added with the loss reports (0003); seeded again after every migrate (apps.reseed).
    ("FORLUSTANMALAN", "Förlustanmälan för förlorad eller stulen enhet", "lossreport", 10),
]


def _decimal(text):
    text = (text or "").strip()
    return Decimal(text) if text else None


def seed(apps, schema_editor):
    Co2eFactor = apps.get_model("circular", "Co2eFactor")
    with REFERENCE.open(encoding="utf-8") as f:
        rows = {row["category"]: row for row in csv.DictReader(f)}
    for ours, theirs in CATEGORIES.items():
        row = rows.get(theirs)
        if row is None:
            continue
        Co2eFactor.objects.get_or_create(
            category=ours,
            defaults={
                "reference_category": theirs,
                "lifecycle_kg": _decimal(row.get("lifecycle_kg_co2e")),
                "manufacturing_share": _decimal(row.get("manufacturing_share")),
                "reuse_saving_kg": _decimal(row.get("reuse_saving_kg_co2e")),
                "lifecycle_source": row.get("lifecycle_source", "")[:300],
                "reuse_source": row.get("reuse_source", "")[:300],
                "version": VERSION,
            },
        )
    try:
        RecordType = apps.get_model("records", "RecordType")
    except LookupError:  # records is not installed
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    for code, name, model, years in RECORD_TYPES:
        content_type = ContentType.objects.get_or_create(app_label="circular", model=model)[0]
        RecordType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "content_type": content_type,
                "ownership": "operator",
                "registered": False,
                "keep": False,
                "retention_years": years,
                "retention_event": "created",
                "disposal_method": "delete",
                "archived": False,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("circular", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("records", "0002_seed"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop, hints={"new_database": True})]
