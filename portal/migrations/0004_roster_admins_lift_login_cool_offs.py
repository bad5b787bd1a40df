"""Roster admins may see login cool-offs in the admin and lift one by deleting its row."""

from django.db import migrations

ROSTER_ADMINS = "Roster admins"
CODENAMES = ["view_accessattempt", "delete_accessattempt", "view_accessfailurelog"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Django creates permissions only after all migrations; these are needed now.
    app_config = apps.get_app_config("axes")
    previous = getattr(app_config, "models_module", None)
    app_config.models_module = previous or True  # a migration state's stub lacks it
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = previous
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    roster_admins, _ = Group.objects.get_or_create(name=ROSTER_ADMINS)
    roster_admins.permissions.add(
        *Permission.objects.filter(content_type__app_label="axes", codename__in=CODENAMES)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_throttle_hit"),
        ("axes", "0010_accessattemptexpiration"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
