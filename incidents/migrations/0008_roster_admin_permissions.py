"""Grant the Roster admins role the permissions of models added since (integrations)."""

from django.db import migrations

from incidents.permissions import grant_in_migration


def grant(apps, schema_editor):
    grant_in_migration(apps)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0007_communications")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
