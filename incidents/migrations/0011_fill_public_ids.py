import secrets

from django.db import migrations


def fill_public_ids(apps, schema_editor):
    """Give the incidents and updates that exist an opaque public id each."""
    for name in ("Incident", "StatusUpdate"):
        model = apps.get_model("incidents", name)
        for row in model.objects.filter(public_id=None).only("pk"):
            model.objects.filter(pk=row.pk).update(public_id=secrets.token_hex(8))


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0010_public_ids_held_status_alert_counts"),
    ]

    operations = [
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
    ]
