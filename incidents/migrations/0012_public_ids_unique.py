from django.db import migrations, models

import incidents.models.incident


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0011_fill_public_ids"),
    ]

    operations = [
        migrations.AlterField(
            model_name="incident",
            name="public_id",
            field=models.CharField(
                default=incidents.models.incident.new_public_id,
                editable=False,
                help_text="Names the incident on the public status page and feed.",
                max_length=16,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="statusupdate",
            name="public_id",
            field=models.CharField(
                default=incidents.models.incident.new_public_id,
                editable=False,
                help_text="Names the update on the public status page and feed.",
                max_length=16,
                unique=True,
            ),
        ),
    ]
