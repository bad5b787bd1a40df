import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0009_event_queue_index"),
    ]

    operations = [
        # Added empty here, filled by 0011 and made unique by 0012: the documented way to
        # add a unique field to rows that exist (a default would give them all one value),
        # in migrations of their own so that PostgreSQL never alters a table in the
        # transaction that updated its rows.
        migrations.AddField(
            model_name="incident",
            name="public_id",
            field=models.CharField(max_length=16, null=True, editable=False),
        ),
        migrations.AddField(
            model_name="statusupdate",
            name="public_id",
            field=models.CharField(max_length=16, null=True, editable=False),
        ),
        migrations.AddField(
            model_name="integration",
            name="signature_timestamp_header",
            field=models.CharField(
                blank=True,
                help_text="Grafana: the header carrying the signing time (the contact point's "
                "timestamp header, e.g. X-Grafana-Alerting-Timestamp). Set, the time is part "
                "of the signed message, and a request without it or more than 5 minutes old "
                "is refused.",
                max_length=60,
            ),
        ),
        migrations.AddField(
            model_name="integrationevent",
            name="alert_count",
            field=models.PositiveIntegerField(
                default=1, help_text="Alerts the request carried: the rate limit counts these."
            ),
        ),
        migrations.AddField(
            model_name="service",
            name="automatic_status",
            field=models.CharField(
                choices=[
                    ("hold", "Hold it for a person to publish"),
                    ("publish", "Publish it at once, marked as detected automatically"),
                ],
                default="hold",
                help_text="What happens when an incident no person declared or resolved (an "
                "alert, a failing connector) changes the status of this public service.",
                max_length=10,
                verbose_name="automatic status changes",
            ),
        ),
        migrations.AddField(
            model_name="service",
            name="status_automatic",
            field=models.BooleanField(
                default=False,
                help_text="The status shown was set by the portal with no person in the loop; "
                "the status page says it was detected automatically.",
            ),
        ),
        migrations.AddField(
            model_name="service",
            name="held_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("operational", "Operational"),
                    ("degraded", "Degraded performance"),
                    ("partial_outage", "Partial outage"),
                    ("major_outage", "Major outage"),
                    ("maintenance", "Under maintenance"),
                ],
                help_text="An automatic status change waiting for a person to publish it.",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="service",
            name="held_incident",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="incidents.incident",
            ),
        ),
        migrations.AddField(
            model_name="service",
            name="held_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
