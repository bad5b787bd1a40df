"""Default response targets, decision authority and the permissions of the portal roles."""

from django.db import migrations

from incidents.permissions import grant_in_migration

TARGETS = {
    # severity: (definition, acknowledge, triage, decision, update cadence) in minutes
    "sev1": ("Critical business process down or data at risk for many customers.", 5, 15, 60, 30),
    "sev2": ("Major degradation or a critical process down for some customers.", 10, 30, 120, 60),
    "sev3": ("Minor degradation with a work-around; few customers affected.", 30, 120, None, 240),
    "sev4": ("Cosmetic or internal issue, no customer impact.", 60, None, None, None),
}

COMMANDERS = "Incident commanders"
RESPONDERS = "Responders"
COMMUNICATIONS = "Communications"
# (action, severities) -> (portal roles, incident roles)
AUTHORITY = [
    ("declare", ["sev1", "sev2", "sev3", "sev4"], [COMMANDERS, RESPONDERS], []),
    ("raise_severity", ["sev1"], [COMMANDERS], ["commander"]),
    ("raise_severity", ["sev2", "sev3", "sev4"], [COMMANDERS, RESPONDERS], ["commander"]),
    ("close", ["sev1", "sev2", "sev3", "sev4"], [COMMANDERS], ["commander"]),
    ("approve_rollback", ["sev1", "sev2", "sev3", "sev4"], [], ["commander", "technical_lead"]),
    (
        "publish_customers",
        ["sev1", "sev2", "sev3", "sev4"],
        [COMMANDERS, COMMUNICATIONS],
        ["communications_lead", "commander"],
    ),
]



def seed_defaults(apps, schema_editor):
    ResponseTarget = apps.get_model("incidents", "ResponseTarget")
    for severity, (definition, ack, triage, decision, update) in TARGETS.items():
        ResponseTarget.objects.get_or_create(
            severity=severity,
            service=None,
            defaults={
                "definition": definition,
                "acknowledge_minutes": ack,
                "triage_minutes": triage,
                "decision_minutes": decision,
                "update_minutes": update,
            },
        )

    Group = apps.get_model("auth", "Group")
    DecisionAuthority = apps.get_model("incidents", "DecisionAuthority")
    for action, severities, portal_roles, incident_roles in AUTHORITY:
        for severity in severities:
            authority, _ = DecisionAuthority.objects.get_or_create(
                severity=severity, action=action, defaults={"incident_roles": incident_roles}
            )
            authority.portal_roles.set(Group.objects.filter(name__in=portal_roles))

    # Permissions are normally created after all migrations; make them now to grant them.
    grant_in_migration(apps)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial"), ("portal", "0002_portal_roles")]
    operations = [migrations.RunPython(seed_defaults, migrations.RunPython.noop)]
