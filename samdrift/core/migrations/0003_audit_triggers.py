from django.db import migrations


def install(apps, schema_editor):
    from samdrift.core.triggers import install as install_triggers

    install_triggers(schema_editor.connection)


def remove(apps, schema_editor):
    from samdrift.core.triggers import remove as remove_triggers

    remove_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(install, remove, hints={"new_database": True})]
