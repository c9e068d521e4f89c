"""The usual OSL secrecy grounds (DOMAIN.md), the general register series, the standing markings
and a first information management plan. Disposal rules carry no decision yet: nothing is
disposed of until the records officer enters the decision that allows it."""

from django.db import migrations

GROUNDS = [
    ("osl_18_8", "OSL 18 kap. 8 §", "Säkerhets- och bevakningsåtgärder: nätverksritningar, lösenord, sårbarheter"),
    ("osl_19_3", "OSL 19 kap. 3 §", "Upphandling: anbud och uppgifter fram till tilldelningsbeslutet"),
    ("osl_31_16", "OSL 31 kap. 16 §", "Affärsförhållanden hos den som ingått avtal med myndigheten"),
    ("osl_39", "OSL 39 kap.", "Personalärenden: enskildas personliga förhållanden"),
    ("osl_23", "OSL 23 kap.", "Elever: uppgifter om elevers identitet och personliga förhållanden"),
    ("osl_40_5", "OSL 40 kap. 5 §", "Uppgifter som lagras eller bearbetas tekniskt för någon annans räkning"),
]

# code, name, (app_label, model) or None, ownership, registered, keep, years, event, archived
RECORD_TYPES = [
    ("letters", "Inkommande och utgående skrivelser", None, "operator", True, True, None, "closed", True),
    ("register", "Diarieförda ärenden", ("records", "case"), "operator", True, True, None, "closed", True),
    ("decisions", "Beslut", None, "operator", True, True, None, "closed", True),
    ("contracts", "Avtal och ramavtal", None, "operator", True, True, None, "closed", True),
    ("procurement", "Upphandlingsdokument", None, "operator", True, False, 10, "closed", False),
    ("orders", "Beställningar och avrop", None, "operator", False, False, 7, "financial_year", False),
    ("tickets", "Supportärenden", ("servicedesk", "ticket"), "operator", False, False, 2, "closed", False),
    ("invoices", "Fakturor till ägarna", ("billing", "invoice"), "operator", False, False, 7, "financial_year", False),
    ("device_history", "Utlåningshistorik för enheter", ("assets", "assetassignment"), "operator", False, False, 7, "closed", False),
    ("inventory", "Inventeringsdata från ägarnas enheter", ("assets", "inventoryupload"), "owner_data", False, False, 1, "created", False),
]

STANDING = [
    (("tenancy", "person"), "first_name", "osl_23", {"kind": "pupil"}),
    (("tenancy", "person"), "last_name", "osl_23", {"kind": "pupil"}),
    (("tenancy", "person"), "external_id", "osl_23", {"kind": "pupil"}),
    (("assets", "agentkey"), "key_hash", "osl_18_8", {}),
]


def seed(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    SecrecyGround = apps.get_model("records", "SecrecyGround")
    Series = apps.get_model("records", "Series")
    RecordType = apps.get_model("records", "RecordType")
    StandingMarking = apps.get_model("records", "StandingMarking")

    def ct(pair):
        return ContentType.objects.get_or_create(app_label=pair[0], model=pair[1])[0] if pair else None

    grounds = {}
    for code, reference, description in GROUNDS:
        grounds[code] = SecrecyGround.objects.get_or_create(
            code=code, defaults={"reference": reference, "description": description}
        )[0]
    Series.objects.get_or_create(code="SAM", defaults={"name": "Bolagets allmänna diarium"})
    for code, name, pair, ownership, registered, keep, years, event, archived in RECORD_TYPES:
        RecordType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "content_type": ct(pair),
                "ownership": ownership,
                "registered": registered,
                "keep": keep,
                "retention_years": years,
                "retention_event": event,
                "archived": archived,
            },
        )
    for pair, field_name, ground, condition in STANDING:
        StandingMarking.objects.get_or_create(
            content_type=ct(pair), field_name=field_name, defaults={"ground": grounds[ground], "condition": condition}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("records", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop, hints={"new_database": True})]
