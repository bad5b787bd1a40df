"""Default audience groups, escalation policies for every tier × severity, and breach rules.

Tier 1 widens within minutes to senior leadership and a wide audience, tier 2 brings in the
cross-functional group, tier 3 stays with on-call. All of it is editable in admin.
"""

from django.db import migrations

from incidents.permissions import grant_in_migration

AUDIENCES = {
    "leadership": ("Leadership", "Senior leaders paged for critical incidents."),
    "cross-functional": (
        "Cross-functional group",
        "Product, engineering and customer success, brought in for important incidents.",
    ),
}

ONCALL = {"kind": "service_rotation"}
MANAGER = {"kind": "team_manager"}
LEADERS = {"kind": "audience", "audience": "leadership"}
WIDE = {"kind": "audience", "audience": "cross-functional"}

# (tier, severities) -> (rounds, [(delay minutes, urgency, [targets])])
POLICIES = [
    (1, ["sev1", "sev2"], 3, [
        (0, "urgent", [ONCALL]),
        (5, "urgent", [MANAGER]),
        (5, "urgent", [LEADERS, WIDE]),
    ]),
    (1, ["sev3", "sev4"], 2, [
        (0, "urgent", [ONCALL]),
        (15, "urgent", [MANAGER]),
        (15, "routine", [WIDE]),
    ]),
    (2, ["sev1", "sev2"], 2, [
        (0, "urgent", [ONCALL]),
        (10, "urgent", [MANAGER]),
        (10, "routine", [WIDE]),
    ]),
    (2, ["sev3", "sev4"], 2, [
        (0, "urgent", [ONCALL]),
        (30, "routine", [MANAGER]),
    ]),
    (3, ["sev1", "sev2"], 2, [
        (0, "urgent", [ONCALL]),
        (30, "urgent", [MANAGER]),
    ]),
    (3, ["sev3", "sev4"], 1, [
        (0, "routine", [ONCALL]),
    ]),
]

# (severity, missed target, target kind, audience or role, urgency)
BREACHES = [
    ("sev1", "triage", "team_manager", None, "urgent"),
    ("sev1", "triage", "audience", "leadership", "routine"),
    ("sev2", "triage", "team_manager", None, "urgent"),
    ("sev1", "decision", "audience", "leadership", "routine"),
    ("sev2", "decision", "team_manager", None, "routine"),
    ("sev1", "update", "incident_role", "communications_lead", "urgent"),
    ("sev2", "update", "incident_role", "communications_lead", "urgent"),
    ("sev3", "update", "incident_role", "communications_lead", "routine"),
]


def seed(apps, schema_editor):
    AudienceGroup = apps.get_model("incidents", "AudienceGroup")
    EscalationPolicy = apps.get_model("incidents", "EscalationPolicy")
    EscalationStep = apps.get_model("incidents", "EscalationStep")
    StepTarget = apps.get_model("incidents", "StepTarget")
    BreachRule = apps.get_model("incidents", "BreachRule")

    audiences = {
        slug: AudienceGroup.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )[0]
        for slug, (name, description) in AUDIENCES.items()
    }
    for tier, severities, rounds, steps in POLICIES:
        for severity in severities:
            policy, created = EscalationPolicy.objects.get_or_create(
                tier=tier,
                severity=severity,
                defaults={"name": f"Tier {tier} · {severity.upper()}", "repeat_rounds": rounds,
                          "repeat_after_minutes": steps[-1][0] or 10},
            )
            if not created:
                continue
            for position, (delay, urgency, targets) in enumerate(steps):
                step = EscalationStep.objects.create(
                    policy=policy, position=position, delay_minutes=delay, urgency=urgency
                )
                for target in targets:
                    StepTarget.objects.create(
                        step=step,
                        kind=target["kind"],
                        audience=audiences.get(target.get("audience")),
                    )
    grant_in_migration(apps)
    for severity, target, kind, subject, urgency in BREACHES:
        BreachRule.objects.get_or_create(
            severity=severity,
            target=target,
            kind=kind,
            audience=audiences.get(subject) if kind == "audience" else None,
            incident_role=subject if kind == "incident_role" else "",
            defaults={"urgency": urgency},
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_escalation_timers_outbox")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
