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
]


def grant_role_permissions(group_model, permission_model) -> None:
    roster_admins, _ = group_model.objects.get_or_create(name=ROSTER_ADMINS)
    roster_admins.permissions.add(
        *permission_model.objects.filter(
            content_type__app_label="incidents", content_type__model__in=ROSTER_MODELS
        )
    )
