"""Which model permissions each portal role holds in this app.

Used by the data migration and again by tests that flush the database (transactional tests
wipe what migrations wrote), so it takes the model classes to use as arguments.
"""

ROSTER_ADMINS = "Roster admins"
ROSTER_MODELS = [
    "team",
    "connector",
    "service",
    "servicedependency",
    "responsetarget",
    "person",
    "contactmethod",
    "notificationrule",
    "rotation",
    "rotationlayer",
    "layerparticipant",
    "override",
    "decisionauthority",
    "audiencegroup",
    "escalationpolicy",
    "escalationstep",
    "steptarget",
    "breachrule",
    "messagetemplate",
    "glossaryterm",
    "preparedstatement",
    "servicesubscription",
    "statussubscriber",
    "maintenancewindow",
    "servicestatusrule",
    "statusupdate",
    "huddle",
    "integration",
]


def grant_role_permissions(group_model, permission_model) -> None:
    roster_admins, _ = group_model.objects.get_or_create(name=ROSTER_ADMINS)
    roster_admins.permissions.add(
        *permission_model.objects.filter(
            content_type__app_label="incidents", content_type__model__in=ROSTER_MODELS
        )
    )


def grant_in_migration(apps) -> None:
    """From a data migration: create this app's permissions now (Django would only after
    all migrations) and grant them to the roles."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("incidents")
    previous = getattr(app_config, "models_module", None)
    app_config.models_module = previous or True  # a migration state's stub lacks it
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = previous
    grant_role_permissions(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))
