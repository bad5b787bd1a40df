"""Demo data for communications: glossary, prepared statements, people who follow services,
public updates on the demo incidents, and an upcoming maintenance window.

Written directly rather than through the workflows (which would notify real addresses), and
keyed on unique names so a second run changes nothing.
"""

from datetime import timedelta

from django.utils import timezone

from ..models import (
    GlossaryTerm,
    Incident,
    MaintenanceWindow,
    Person,
    PreparedStatement,
    Service,
    ServiceStatus,
    ServiceSubscription,
    StatusUpdate,
)
from ..timers import schedule
from .maintenance import WINDOW_END, WINDOW_START
from .render import Draft, as_stored, audiences_for, render_all
from .service_status import status_record

# term: (definition, is jargon, say instead)
# term: (definition, jargon for customers, jargon for executives, a plainer word)
GLOSSARY = {
    "webhook": (
        "an automatic message one system sends another when something happens", True, True,
        "automatic notification",
    ),
    "API": ("the connection through which two systems exchange data", True, False,
            "connection"),
    "latency": ("the delay before a system answers", True, True, "delay"),
    "rate limit": (
        "a cap a provider puts on how many requests we may send per minute", True, True,
        "usage cap",
    ),
    "timeout": ("a request that was given up on because no answer came in time", True, False,
                "no response"),
    # Product names: words to customers' ears, everyday words to executives.
    "Zapier": ("the automation platform that links several of our tools", True, False,
               "our automation platform"),
    "n8n": ("the workflow tool that runs parts of our sign-up process", True, False,
            "our workflow tool"),
    "rollback": ("a return to the last version that worked", False, False, ""),
    "workaround": ("a temporary way to get things done while the fix is made", False, False, ""),
    "degraded": ("working, but slower or with some errors", False, False, ""),
}

STATEMENTS = [
    (
        "Acknowledging an outage", "acknowledge",
        "We are aware that {{ services|join:\", \"|default:\"some of our services\" }} "
        "{% if services|length > 1 %}are{% else %}is{% endif %} not working as expected. Our "
        "team is investigating and we will share more{% if next_update %} by "
        "{{ next_update }}{% else %} soon{% endif %}.",
    ),
    (
        "Announcing a workaround", "workaround",
        "While we work on a permanent fix, there is a way to keep going: describe the steps "
        "here in plain words. We will update you{% if next_update %} by {{ next_update }}"
        "{% endif %}.",
    ),
    (
        "Announcing a rollback", "rollback",
        "We have reversed a recent change to {{ services|join:\", \"|default:\"our service\" }}"
        " because it caused the problem{% if rationale %} ({{ rationale }}){% endif %}. "
        "Service is recovering and we are watching it closely.",
    ),
    (
        "Resolution", "resolution",
        "The issue affecting {{ services|join:\", \"|default:\"our services\" }} is resolved and "
        "everything works normally again. We are sorry for the disruption; we will review what "
        "happened to keep it from happening again.",
    ),
]

# person: (service slug, audience)
FOLLOWERS = {
    "Marco Silva": ("onboarding-flow", "executive"),
    "Nora Lindqvist": ("partner-portal", "partner"),
    "Olivia Brown": ("support-routing", "technical"),
}

# incident title: [(minutes after declaration, draft fields)]
UPDATES = {
    "Airtable API rate limits slow onboarding": [
        (20, {
            "what_happened": "Sign-ups slowed down: the customer records base hit Airtable's "
            "rate limit.",
            "current_impact": "New customers wait several minutes for their welcome email.",
            "being_done": "Batching record writes to stay under the limit.",
            "responsible": "Cole Mensah (commander), Rita Novak",
            "expected_timeline": "A fix within two hours.",
            "customer_headline": "Slow sign-ups",
            "customer_wording": "Signing up takes longer than usual and welcome emails are "
            "delayed. Your data is safe; we are working on it.",
            "visibility": "public",
        }),
        (185, {
            "what_happened": "Record writes are batched; the backlog is cleared.",
            "current_impact": "None: sign-ups are back to normal.",
            "being_done": "Monitoring; a review is scheduled.",
            "responsible": "Cole Mensah (commander)",
            "expected_timeline": "Resolved.",
            "customer_headline": "Slow sign-ups",
            "customer_wording": "Sign-ups are back to normal and every delayed welcome email "
            "has been sent. Thank you for your patience.",
            "visibility": "public",
        }),
    ],
    "Partner portal login loop after Bubble release": [
        (30, {
            "what_happened": "After this morning's Bubble release partners are sent back to "
            "the login page after signing in.",
            "current_impact": "Partners cannot reach the partner portal.",
            "being_done": "Rolling back the release.",
            "responsible": "Cole Mensah (commander)",
            "expected_timeline": "Rollback within the hour.",
            "customer_headline": "Partner portal sign-in problems",
            "customer_wording": "Signing in to the partner portal fails for some partners. We "
            "are reversing a recent change and expect sign-in to work again within the hour.",
            "visibility": "public",
        }),
    ],
    "Identity checks timing out for new sign-ups": [
        (12, {
            "what_happened": "Identity checks for new sign-ups time out for about a third of "
            "customers.",
            "current_impact": "Affected customers see a spinner at the verification step and "
            "cannot finish signing up.",
            "being_done": "We are working with our verification provider and preparing to "
            "switch to the standby provider.",
            "responsible": "Cole Mensah (commander), Rita Novak (technical lead)",
            "expected_timeline": "A decision on switching providers within 30 minutes.",
            "technical_detail": "Twilio Verify (n8n) returns 504 after 30 s in eu-west.",
            "customer_headline": "Sign-up verification delays",
            "customer_wording": "Some new customers cannot complete the identity check when "
            "signing up. Existing customers are not affected. We are working on a fix.",
            "visibility": "public",
        }),
    ],
}


def seed() -> None:
    for term, (definition, customers, executives, say) in GLOSSARY.items():
        GlossaryTerm.objects.update_or_create(
            term=term,
            defaults={"definition": definition, "is_jargon": customers,
                      "jargon_for_executives": executives, "say_instead": say},
        )
    for title, kind, text in STATEMENTS:
        PreparedStatement.objects.update_or_create(
            title=title, defaults={"kind": kind, "text": text, "active": True}
        )
    for name, (slug, audience) in FOLLOWERS.items():
        person = Person.objects.filter(name=name).first()
        service = Service.objects.filter(slug=slug).first()
        if person and service:
            ServiceSubscription.objects.update_or_create(
                person=person, service=service, defaults={"audience": audience}
            )
    _seed_updates()
    _seed_maintenance()


def _seed_updates() -> None:
    for title, updates in UPDATES.items():
        incident = Incident.objects.filter(title=title).first()
        if incident is None or incident.status_updates.exists():
            continue
        for position, (minutes, values) in enumerate(updates, start=1):
            at = incident.declared_at + timedelta(minutes=minutes)
            next_at = at + timedelta(hours=1) if incident.is_open else None
            if incident.is_open:
                status = incident.status
            else:
                status = "resolved" if position == len(updates) else "investigating"
            draft = Draft.from_data({**values, "next_update_at": next_at})
            StatusUpdate.objects.create(
                incident=incident, **values, next_update_at=next_at, incident_status=status,
                rendered=as_stored(render_all(incident, draft, audiences=audiences_for(draft))),
                posted_by_name="Cam Duarte", posted_at=at,
            )
            Incident.objects.filter(pk=incident.pk).update(last_update_at=at)
        _seed_status_history(incident)


def _seed_status_history(incident: Incident) -> None:
    """The public services' recorded status through the demo incident, so the status
    page's uptime bars tell the same story as its incidents."""
    for service in incident.services.filter(public=True):
        status_record(service, ServiceStatus.PARTIAL_OUTAGE, at=incident.declared_at,
                      incident=incident)
        if incident.is_open:
            Service.objects.filter(pk=service.pk).update(status=ServiceStatus.PARTIAL_OUTAGE)
        elif incident.resolved_at:
            status_record(service, ServiceStatus.OPERATIONAL, at=incident.resolved_at,
                          incident=incident)


def _seed_maintenance() -> None:
    title = "Payment provider upgrade"
    if MaintenanceWindow.objects.filter(title=title).exists():
        return
    checkout = Service.objects.filter(slug="checkout").first()
    if checkout is None:
        return
    start = (timezone.now() + timedelta(days=3)).replace(hour=22, minute=0, second=0,
                                                         microsecond=0)
    window = MaintenanceWindow.objects.create(
        title=title,
        description="Checkout may be unavailable for up to 30 minutes while we upgrade our "
        "payment provider connection.",
        starts_at=start, ends_at=start + timedelta(hours=1), public=True,
        created_by_name="Cam Duarte",
    )
    window.services.set([checkout])
    schedule(kind=WINDOW_START, due_at=window.starts_at, window=window.pk)
    schedule(kind=WINDOW_END, due_at=window.ends_at, window=window.pk)
