# The knowledge base's `Article` is now `KnowledgeArticle`: billing has a price-list `Article`, and
# a newcomer met two models of one name. The table is renamed and its content type with it; audit
# events written before keep the label `servicedesk.article`, which the model declares in
# FORMER_LABELS (samdrift/core/labels.py).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0009_ticket_subject_statistics"),
        ("tenancy", "0006_session_with_its_user"),
    ]

    operations = [
        migrations.RenameModel(old_name="Article", new_name="KnowledgeArticle"),
    ]
