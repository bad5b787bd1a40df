"""Demo organisation for ``seed_demo``: a believable catalog, rosters and the demo logins.

Everything is keyed on a unique name or slug and written with update_or_create, so running it
again changes nothing. Other apps add their own demo data through ``register_seeder``.
"""

from collections.abc import Callable
from datetime import date, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from portal import roles

from .comms.service_status import status_recording_start
from .models import (
    AudienceGroup,
    Connector,
    ContactMethod,
    LayerParticipant,
    NotificationRule,
    Override,
    Person,
    Rotation,
    RotationLayer,
    Service,
    ServiceDependency,
    Team,
)

DEMO_PASSWORD = "portal-demo"  # noqa: S105 - published demo logins, refused in production

# login -> (full name, portal role, team slug, job title)
LOGINS = {
    "leader": ("Lena Ortiz", roles.LEADERSHIP, None, "VP Operations"),
    "commander": ("Cole Mensah", roles.COMMANDERS, "growth-automation", "Incident commander"),
    "responder": ("Rita Novak", roles.RESPONDERS, "growth-automation", "No-code engineer"),
    "comms": ("Cam Duarte", roles.COMMUNICATIONS, None, "Communications lead"),
    "admin": ("Ada Whitlock", roles.ROSTER_ADMINS, "internal-tools", "Roster admin"),
}

TEAMS = {
    "growth-automation": ("Growth Automation", "Sign-up and onboarding automations."),
    "finance-operations": ("Finance Operations", "Payments, invoicing and reconciliation."),
    "partner-success": ("Partner Success", "The partner portal and contracts."),
    "internal-tools": ("Internal Tools", "Reporting, support routing and staff tooling."),
}

# name, team, title, time zone, has sms, extra channel
PEOPLE = [
    ("Priya Raman", "growth-automation", "Engineering manager", "Europe/London", True, "slack"),
    ("Tom Becker", "growth-automation", "Automation engineer", "Europe/Berlin", True, None),
    ("Aisha Bello", "growth-automation", "Automation engineer", "Europe/London", True, "slack"),
    ("Marco Silva", "growth-automation", "Product manager", "Europe/Lisbon", False, None),
    ("Hannah Cho", "finance-operations", "Finance systems lead", "Europe/London", True, "teams"),
    ("Jonas Weber", "finance-operations", "Make specialist", "Europe/Berlin", True, None),
    ("Fatima Zahra", "finance-operations", "Payments analyst", "Europe/Paris", True, "teams"),
    ("Liam Murphy", "finance-operations", "Controller", "Europe/Dublin", False, None),
    ("Grace Kim", "partner-success", "Partner engineering manager", "America/New_York", True, None),
    ("Diego Alvarez", "partner-success", "Bubble developer", "America/Chicago", True, "webhook"),
    ("Nora Lindqvist", "partner-success", "Partner manager", "Europe/Stockholm", True, None),
    ("Sam Okafor", "partner-success", "Customer success lead", "America/New_York", False, None),
    ("Yuki Tanaka", "internal-tools", "Internal tools lead", "Europe/London", True, "slack"),
    ("Ben Carter", "internal-tools", "Retool developer", "Europe/London", True, None),
    ("Olivia Brown", "internal-tools", "Support operations", "Europe/London", True, None),
]
# Deliberately unreachable for urgent pages, so the roster flag has something to show.
UNREACHABLE = {"Liam Murphy", "Sam Okafor"}

CONNECTORS = {
    # name: (vendor, platform)
    "Stripe (Make)": ("Stripe", "make"),
    "QuickBooks (Make)": ("Intuit", "make"),
    "Airtable API (Zapier)": ("Airtable", "zapier"),
    "Gmail (Zapier)": ("Google", "zapier"),
    "HubSpot (Zapier)": ("HubSpot", "zapier"),
    "Twilio Verify (n8n)": ("Twilio", "n8n"),
    "DocuSign (Power Automate)": ("DocuSign", "power_automate"),
    "Stripe (Bubble)": ("Stripe", "bubble"),
    "Slack (n8n)": ("Slack", "n8n"),
}

# slug: (name, tier, process, team, platform, public, connectors, depends_on, rotation)
SERVICES = {
    "customer-records": (
        "Customer records base", 2, "Customer data", "internal-tools", "airtable", False,
        ["Airtable API (Zapier)"], [], "internal-tools-on-call",
    ),
    "identity-verification": (
        "Identity verification", 1, "Customer onboarding", "growth-automation", "n8n", True,
        ["Twilio Verify (n8n)"], [], "growth-on-call",
    ),
    "onboarding-flow": (
        "Customer onboarding flow", 1, "Customer onboarding", "growth-automation", "zapier", True,
        ["Airtable API (Zapier)", "Gmail (Zapier)", "HubSpot (Zapier)"],
        ["identity-verification", "customer-records"], "growth-on-call",
    ),
    "payment-reconciliation": (
        "Payment reconciliation", 1, "Payments", "finance-operations", "make", False,
        ["Stripe (Make)", "QuickBooks (Make)"], ["customer-records"], "finance-on-call",
    ),
    "checkout": (
        "Checkout and invoicing", 1, "Payments", "finance-operations", "bubble", True,
        ["Stripe (Bubble)"], ["customer-records"], "finance-on-call",
    ),
    "contract-signing": (
        "Contract signing", 2, "Partner management", "partner-success", "power_automate", False,
        ["DocuSign (Power Automate)"], [], "partner-on-call",
    ),
    "partner-portal": (
        "Partner portal", 2, "Partner management", "partner-success", "bubble", True,
        [], ["customer-records", "contract-signing"], "partner-on-call",
    ),
    "support-routing": (
        "Support ticket routing", 2, "Customer support", "internal-tools", "zapier", True,
        ["HubSpot (Zapier)", "Slack (n8n)"], ["customer-records"], "internal-tools-on-call",
    ),
    "ops-dashboard": (
        "Operations dashboard", 2, "Internal reporting", "internal-tools", "retool", False,
        [], ["payment-reconciliation", "customer-records"], "internal-tools-on-call",
    ),
    "kpi-digest": (
        "Weekly KPI digest", 3, "Internal reporting", "internal-tools", "make", False,
        ["Gmail (Zapier)"], ["ops-dashboard"], "internal-tools-on-call",
    ),
    "staff-onboarding": (
        "Staff onboarding checklist", 3, "People operations", "internal-tools", "power_automate",
        False, [], [], "internal-tools-on-call",
    ),
    "newsletter-sync": (
        "Newsletter audience sync", 3, "Marketing", "growth-automation", "zapier", False,
        ["HubSpot (Zapier)"], ["customer-records"], "growth-on-call",
    ),
}

# slug: (name, team, zone, [(level, name, handoff, length, unit, window, members)])
ROTATIONS = {
    "growth-on-call": (
        "Growth on-call", "growth-automation", "Europe/London",
        [(1, "Weekly primary", time(9, 0), 1, "weeks", None,
          ["Rita Novak", "Tom Becker", "Aisha Bello", "Cole Mensah"])],
    ),
    "finance-on-call": (
        "Finance on-call", "finance-operations", "Europe/Berlin",
        [(1, "Weekly primary", time(10, 0), 1, "weeks", None,
          ["Jonas Weber", "Fatima Zahra", "Hannah Cho"])],
    ),
    "partner-on-call": (
        "Partner on-call", "partner-success", "America/New_York",
        [(1, "Daily primary", time(8, 0), 1, "days", None,
          ["Diego Alvarez", "Nora Lindqvist", "Grace Kim"])],
    ),
    "internal-tools-on-call": (
        "Internal tools on-call", "internal-tools", "Europe/London",
        [
            (1, "After hours", time(18, 0), 1, "weeks", None, ["Ben Carter", "Yuki Tanaka"]),
            (2, "Business hours", time(9, 0), 1, "days", (time(9, 0), time(18, 0)),
             ["Olivia Brown", "Ben Carter", "Yuki Tanaka"]),
        ],
    ),
}
ROTATION_START = date(2026, 1, 5)  # a Monday: weekly handoffs fall on Mondays

_seeders: list[Callable[[], None]] = []


def register_seeder(seeder: Callable[[], None]) -> None:
    """Other apps add their demo data here (from their AppConfig.ready)."""
    if seeder not in _seeders:
        _seeders.append(seeder)


@transaction.atomic
def seed() -> None:
    teams = _seed_teams()
    people = _seed_people(teams)
    _seed_logins(teams, people)
    rotations = _seed_rotations(teams, people)
    _seed_services(teams, rotations)
    _seed_audiences(people)
    _seed_incidents(people)
    _seed_communications()
    _seed_integrations()
    for seeder in _seeders:
        seeder()


def _slugify(name: str) -> str:
    return name.lower().replace(" ", ".")


def _seed_teams() -> dict[str, Team]:
    return {
        slug: Team.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )[0]
        for slug, (name, description) in TEAMS.items()
    }


def _reach(person: Person, *, sms: bool, extra: str | None, urgent: bool = True) -> None:
    email = ContactMethod.objects.get_or_create(
        person=person, kind="email", address=f"{_slugify(person.name)}@example.org",
        defaults={"label": "work email"},
    )[0]
    NotificationRule.objects.get_or_create(
        person=person, urgency="routine", contact_method=email, defaults={"delay_minutes": 0}
    )
    if not urgent:
        return
    NotificationRule.objects.get_or_create(
        person=person, urgency="urgent", contact_method=email, defaults={"delay_minutes": 0}
    )
    if sms:
        number = f"+4477009{person.pk % 100000:05d}"
        phone = ContactMethod.objects.get_or_create(
            person=person, kind="sms", address=number, defaults={"label": "mobile"}
        )[0]
        NotificationRule.objects.get_or_create(
            person=person, urgency="urgent", contact_method=phone, defaults={"delay_minutes": 5}
        )
    if extra:
        address = {
            "slack": "https://hooks.slack.com/services/T000/B000/demo",
            "teams": "https://prod.westeurope.logic.azure.com/workflows/demo/triggers/manual",
            "webhook": "https://hooks.example.org/pager",
        }[extra]
        ContactMethod.objects.get_or_create(
            person=person, kind=extra, address=address, defaults={"label": "chat"}
        )


def _seed_people(teams: dict[str, Team]) -> dict[str, Person]:
    people = {}
    for name, team, title, zone, sms, extra in PEOPLE:
        person = Person.objects.update_or_create(
            name=name,
            defaults={
                "email": f"{_slugify(name)}@example.org",
                "job_title": title,
                "time_zone": zone,
            },
        )[0]
        person.teams.add(teams[team])
        _reach(person, sms=sms, extra=extra, urgent=name not in UNREACHABLE)
        people[name] = person
    for slug, manager in {
        "growth-automation": "Priya Raman",
        "finance-operations": "Hannah Cho",
        "partner-success": "Grace Kim",
        "internal-tools": "Yuki Tanaka",
    }.items():
        Team.objects.filter(slug=slug).update(manager=people[manager])
    return people


def _seed_logins(teams: dict[str, Team], people: dict[str, Person]) -> None:
    User = get_user_model()
    for username, (full_name, role, team, title) in LOGINS.items():
        first, last = full_name.split(" ", 1)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        person = Person.objects.update_or_create(
            name=full_name,
            defaults={"user": user, "email": user.email, "job_title": title,
                      "time_zone": "Europe/London"},
        )[0]
        if team:
            person.teams.add(teams[team])
        _reach(person, sms=True, extra=None)
        people[full_name] = person


def _seed_rotations(teams: dict[str, Team], people: dict[str, Person]) -> dict[str, Rotation]:
    rotations = {}
    for slug, (name, team, zone, layers) in ROTATIONS.items():
        rotation = Rotation.objects.update_or_create(
            slug=slug, defaults={"name": name, "team": teams[team], "time_zone": zone}
        )[0]
        for level, layer_name, handoff, length, unit, window, members in layers:
            layer = RotationLayer.objects.update_or_create(
                rotation=rotation,
                level=level,
                defaults={
                    "name": layer_name,
                    "starts_on": ROTATION_START,
                    "handoff_time": handoff,
                    "shift_length": length,
                    "shift_unit": unit,
                    "active_from": window[0] if window else None,
                    "active_until": window[1] if window else None,
                },
            )[0]
            for position, member in enumerate(members):
                LayerParticipant.objects.update_or_create(
                    layer=layer, person=people[member], defaults={"position": position}
                )
        rotations[slug] = rotation
    _seed_override(rotations["finance-on-call"], people)
    return rotations


def _seed_override(rotation: Rotation, people: dict[str, Person]) -> None:
    """A live override, so the on-call page shows one: Hannah covers Finance this afternoon."""
    if rotation.overrides.exists():
        return
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    Override.objects.create(
        rotation=rotation,
        person=people["Hannah Cho"],
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        reason="Covering during the quarter-end close",
    )


def _seed_services(teams: dict[str, Team], rotations: dict[str, Rotation]) -> None:
    connectors = {
        name: Connector.objects.update_or_create(
            name=name, defaults={"vendor": vendor, "platform": platform}
        )[0]
        for name, (vendor, platform) in CONNECTORS.items()
    }
    services = {}
    for slug, (name, tier, process, team, platform, public, used, _deps, rotation) in (
        SERVICES.items()
    ):
        service = Service.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "tier": tier,
                "business_process": process,
                "owner_team": teams[team],
                "platform": platform,
                "public": public,
                "rotation": rotations[rotation],
            },
        )[0]
        service.connectors.set([connectors[c] for c in used])
        # The demo's history begins a month back, before its past incidents.
        status_recording_start(service, at=timezone.now() - timedelta(days=30))
        services[slug] = service
    for slug, spec in SERVICES.items():
        for upstream in spec[7]:
            ServiceDependency.objects.get_or_create(
                service=services[slug], depends_on=services[upstream]
            )


AUDIENCE_MEMBERS = {
    "leadership": ["Lena Ortiz", "Priya Raman", "Hannah Cho"],
    "cross-functional": ["Marco Silva", "Sam Okafor", "Grace Kim", "Yuki Tanaka"],
}


def _seed_audiences(people: dict[str, Person]) -> None:
    for slug, names in AUDIENCE_MEMBERS.items():
        audience = AudienceGroup.objects.filter(slug=slug).first()
        if audience is not None:
            audience.members.add(*(people[name] for name in names))


# title, severity, services, minutes to ack / triage / decision / resolve, days ago
PAST_INCIDENTS = [
    ("Stripe webhooks rejected by Make scenario", "sev1", ["payment-reconciliation"],
     4, 12, 35, 95, 3),
    ("Airtable API rate limits slow onboarding", "sev2", ["customer-records", "onboarding-flow"],
     8, 25, 70, 180, 9),
    ("Partner portal login loop after Bubble release", "sev2", ["partner-portal"],
     12, 40, 90, 240, 17),
    ("KPI digest sent twice", "sev4", ["kpi-digest"], 45, 90, None, 300, 26),
    ("DocuSign envelopes stuck in Power Automate", "sev3", ["contract-signing"],
     20, 60, 150, 600, 41),
]
OPEN_INCIDENT = "Identity checks timing out for new sign-ups"


def _seed_incidents(people: dict[str, Person]) -> None:
    """A few resolved incidents with realistic milestones, and one open, acknowledged one.

    Written directly rather than through the workflows: the workflows would page real
    addresses and start clocks for events that happened weeks ago.
    """
    from .models import Incident, IncidentRole, TimelineEvent

    if Incident.objects.filter(title=OPEN_INCIDENT).exists():
        return
    now = timezone.now()
    commander, responder = people["Cole Mensah"], people["Rita Novak"]
    for title, severity, slugs, ack, triage, decision, resolve, days in PAST_INCIDENTS:
        start = now - timedelta(days=days)

        def at(minutes, start=start):
            return None if minutes is None else start + timedelta(minutes=minutes)

        incident = Incident.objects.create(
            title=title, severity=severity, status="closed", declared_at=start,
            acknowledged_at=at(ack), triaged_at=at(triage), first_decision_at=at(decision),
            mitigated_at=at(resolve - 10), resolved_at=at(resolve), closed_at=at(resolve + 60),
            updated_at=at(resolve + 60), escalation_level=2 if severity == "sev1" else 1,
        )
        incident.services.set(Service.objects.filter(slug__in=slugs))
        IncidentRole.objects.create(incident=incident, kind="commander", holder=commander,
                                    assigned_at=at(ack))
        for minutes, kind, text in [
            (0, "declared", f"{severity.upper()} declared: {title}."),
            (ack, "acknowledged", "Acknowledged."),
            (triage, "status_change", "Status: Triage → Investigating."),
            (resolve, "status_change", "Status: Monitoring → Resolved."),
        ]:
            TimelineEvent.objects.create(
                incident=incident, kind=kind, at=at(minutes), actor_name=commander.name, text=text
            )
    start = now - timedelta(minutes=22)
    incident = Incident.objects.create(
        title=OPEN_INCIDENT, severity="sev2", status="investigating", declared_at=start,
        acknowledged_at=start + timedelta(minutes=3), triaged_at=start + timedelta(minutes=9),
        summary="Twilio Verify calls from the n8n workflow time out for about a third of "
        "new sign-ups; customers see a spinner at the verification step.",
        updated_at=now,
    )
    incident.services.set(Service.objects.filter(slug="identity-verification"))
    IncidentRole.objects.create(incident=incident, kind="commander", holder=commander)
    IncidentRole.objects.create(incident=incident, kind="technical_lead", holder=responder)
    for minutes, kind, text, who in [
        (0, "declared", f"SEV2 declared: {OPEN_INCIDENT}.", commander),
        (3, "acknowledged", "Acknowledged.", responder),
        (4, "role_change", f"{commander.name} is now Incident commander.", commander),
        (5, "role_change", f"{responder.name} is now Technical lead (no-code).", commander),
        (9, "status_change", "Status: Triage → Investigating.", commander),
        (15, "note", "Twilio status page shows elevated latency in eu-west.", responder),
    ]:
        TimelineEvent.objects.create(
            incident=incident, kind=kind, at=start + timedelta(minutes=minutes),
            actor_name=who.name, text=text,
        )


# One integration of each kind on a tier-1 service, with fixed keys so the README and
# `make run` can show a command that works as it is. key -> (name, kind)
DEMO_INTEGRATIONS = {
    "demo-pagerduty-key": ("Onboarding monitors (PagerDuty format)", "pagerduty"),
    "demo-alertmanager-key": ("Prometheus Alertmanager", "alertmanager"),
    "demo-grafana-key": ("Grafana alerting", "grafana"),
    "demo-webhook-key": ("Zapier and n8n error hooks", "webhook"),
}
DEMO_INTEGRATION_SERVICE = "onboarding-flow"


def _seed_integrations() -> None:
    from .models import Integration

    service = Service.objects.get(slug=DEMO_INTEGRATION_SERVICE)
    for key, (name, kind) in DEMO_INTEGRATIONS.items():
        Integration.objects.update_or_create(
            key=key,
            defaults={
                "name": name,
                "service": service,
                "kind": kind,
                "enabled": True,
                "default_severity": "sev2",
                "severity_mapping": {
                    "critical": "sev1", "error": "sev2", "warning": "sev3", "info": "sev4",
                },
                "auto_declare": Integration.AutoDeclare.FIRST_ALERT,
                "signature_secret": "",
            },
        )


def _seed_communications() -> None:
    """Glossary, prepared statements, followers, public updates and a maintenance window."""
    from .comms import demo as comms_demo

    comms_demo.seed()
