"""One update, worded for each audience and channel from the message templates.

1. ``incident_facts`` loads what the templates may mention, once.
2. ``audience_context`` picks, per audience, the plain values its templates may use: the
   technical audience gets components and people, the executive audience business impact
   and decisions, customers and partners only the public side (public services, a headline,
   the hand-written wording) and never a person, an internal system or a technical field.
3. ``render_all`` renders each audience's channels in the template sandbox. A template that
   fails falls back to the built-in wording and says so. Non-technical wording gets glossary
   definitions; customer and partner wording is scrubbed of internal names whatever the
   template or the draft says.
"""

import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse

from ..models import (
    Audience,
    Channel,
    Incident,
    IncidentStatus,
    MessageTemplate,
    StatusUpdate,
)
from ..models.communications import EXTERNAL_AUDIENCES
from . import defaults
from .glossary import NameBook, define_terms, scrub
from .sandbox import TemplateProblem, render_text

# The five questions every update answers: field → how the refusal names it.
ANSWERS = {
    "what_happened": "what happened",
    "current_impact": "the current impact",
    "being_done": "what is being done",
    "responsible": "who is responsible",
    "expected_timeline": "the expected timeline",
}
# What customers read for each incident status: triage is still "investigating" to them.
PUBLIC_STATUS = {
    IncidentStatus.TRIAGE: "Investigating",
    IncidentStatus.INVESTIGATING: "Investigating",
    IncidentStatus.IDENTIFIED: "Identified",
    IncidentStatus.MONITORING: "Monitoring",
    IncidentStatus.RESOLVED: "Resolved",
    IncidentStatus.CLOSED: "Resolved",
}
INTERNAL_AUDIENCES = (Audience.TECHNICAL, Audience.EXECUTIVE)


@dataclass(frozen=True)
class Draft:
    """An update as written, before or after it is published."""

    what_happened: str = ""
    current_impact: str = ""
    being_done: str = ""
    responsible: str = ""
    expected_timeline: str = ""
    next_update_at: datetime | None = None
    technical_detail: str = ""
    customer_headline: str = ""
    customer_wording: str = ""
    visibility: str = StatusUpdate.Visibility.INTERNAL

    @classmethod
    def of(cls, update: StatusUpdate) -> "Draft":
        return cls(**{f.name: getattr(update, f.name) for f in fields(cls)})

    @classmethod
    def from_data(cls, data: dict) -> "Draft":
        values = {}
        for f in fields(cls):
            value = data.get(f.name)
            if isinstance(value, str):
                value = value.strip()
            if value is not None:
                values[f.name] = value
        return cls(**values)

    @property
    def is_public(self) -> bool:
        return self.visibility == StatusUpdate.Visibility.PUBLIC

    def missing_answers(self) -> list[str]:
        return [label for name, label in ANSWERS.items() if not getattr(self, name).strip()]


@dataclass(frozen=True)
class IncidentFacts:
    incident: Incident
    services: list
    connectors: list[str]
    decisions: list[str]

    @property
    def public_services(self) -> list[str]:
        return [s.name for s in self.services if s.public]


@dataclass
class Rendering:
    audience: str
    channel: str
    subject: str
    body: str
    problem: str = ""

    @property
    def channel_label(self) -> str:
        return Channel(self.channel).label


@dataclass
class AudienceRendering:
    audience: str
    versions: list[Rendering] = field(default_factory=list)

    @property
    def label(self) -> str:
        return Audience(self.audience).label

    @property
    def is_external(self) -> bool:
        return self.audience in EXTERNAL_AUDIENCES


def incident_facts(incident: Incident) -> IncidentFacts:
    services = list(incident.services.prefetch_related("connectors").order_by("tier", "name"))
    connectors = sorted({c.name for s in services for c in s.connectors.all()})
    decisions = [
        f"{d.decision} (because {d.rationale})"
        for d in incident.decisions.order_by("decided_at", "id")
    ]
    return IncidentFacts(incident, services, connectors, decisions)


def when(value: datetime | None) -> str:
    """A time as every audience reads it: in UTC, with the day."""
    if value is None:
        return ""
    value = value.astimezone(UTC)
    return f"{value:%H:%M} UTC on {value.day} {value:%b}"


def public_headline(draft: Draft, facts: IncidentFacts) -> str:
    if draft.customer_headline:
        return draft.customer_headline
    names = facts.public_services
    return f"Disruption to {', '.join(names)}" if names else "Service disruption"


def status_page_url() -> str:
    return settings.PORTAL_BASE_URL + reverse("incidents:status_page")


def audience_context(audience: str, draft: Draft, facts: IncidentFacts) -> dict:
    """The values the templates of ``audience`` may use: plain strings and lists only."""
    incident = facts.incident
    shared = {
        "what_happened": draft.what_happened,
        "current_impact": draft.current_impact,
        "being_done": draft.being_done,
        "expected_timeline": draft.expected_timeline,
        "next_update": when(draft.next_update_at),
        "customer_wording": draft.customer_wording,
    }
    if audience in EXTERNAL_AUDIENCES:
        return {
            **shared,
            "headline": public_headline(draft, facts),
            "status": PUBLIC_STATUS[IncidentStatus(incident.status)],
            "services": facts.public_services,
            "status_page_url": status_page_url(),
        }
    internal = {
        **shared,
        "title": incident.title,
        "headline": incident.title,
        "reference": incident.reference,
        "severity": incident.get_severity_display(),
        "status": incident.get_status_display(),
        "responsible": draft.responsible,
        "services": [s.name for s in facts.services],
        "incident_url": settings.PORTAL_BASE_URL + incident.get_absolute_url(),
    }
    if audience == Audience.TECHNICAL:
        return {**internal, "technical_detail": draft.technical_detail,
                "connectors": facts.connectors}
    return {
        **internal,
        "business_processes": sorted({s.business_process for s in facts.services}),
        "customer_exposure": facts.public_services,
        "decisions": facts.decisions,
    }


def sample_context(audience: str) -> dict:
    """Made-up values of the right shape: for checking a template before it is saved."""
    values = {
        "what_happened": "Sign-ups stopped at the verification step.",
        "current_impact": "About a third of new customers cannot finish signing up.",
        "being_done": "We are moving verification to the standby provider.",
        "responsible": "The onboarding team",
        "expected_timeline": "A fix is expected within the hour.",
        "next_update": "14:30 UTC on 2 Mar",
        "customer_wording": "",
        "headline": "Sign-up delays",
        "status": "Investigating",
        "services": ["Customer onboarding flow"],
        "status_page_url": "https://status.example.org/status/",
        "title": "Sign-up verification failing",
        "reference": "INC-1",
        "severity": "SEV2",
        "incident_url": "https://portal.example.org/incidents/1/",
        "technical_detail": "HTTP 504 from the verification API.",
        "connectors": ["Verification API (n8n)"],
        "business_processes": ["Customer onboarding"],
        "customer_exposure": ["Customer onboarding flow"],
        "decisions": ["Fail over to the standby provider (because it is tested weekly)"],
    }
    return {key: values[key] for key in _keys_for(audience)}


def _keys_for(audience: str) -> list[str]:
    facts = IncidentFacts(
        Incident(pk=1, title="", severity="sev2", status=IncidentStatus.TRIAGE), [], [], []
    )
    return list(audience_context(audience, Draft(), facts))


def templates_by_cell() -> dict[tuple[str, str], MessageTemplate]:
    return {(t.audience, t.channel): t for t in MessageTemplate.objects.all()}


def render_version(
    audience: str, channel: str, context: dict, book: NameBook, templates: dict
) -> Rendering:
    template = templates.get((audience, channel))
    what = f"The {Audience(audience).label.lower()} {Channel(channel).label.lower()} template"
    problem = ""
    subject = body = ""
    if template is not None:
        try:
            subject = render_text(template.subject_template, context, what=f"{what} (subject)")
            body = render_text(template.body_template, context, what=f"{what} (body)")
        except TemplateProblem as error:
            problem = f"{error} The built-in wording was used instead; fix the template in admin."
            template = None
    if template is None:
        subject_source, body_source = defaults.TEMPLATES[(audience, channel)]
        subject = render_text(subject_source, context)
        body = render_text(body_source, context)
    subject, body = " ".join(subject.split()), _tidy(body)
    if audience != Audience.TECHNICAL:
        body = define_terms(body, book)
    if audience in EXTERNAL_AUDIENCES:
        subject, body = scrub(subject, book), scrub(body, book)
    return Rendering(audience, channel, subject[:300], body, problem)


def render_all(
    incident: Incident, draft: Draft, *, audiences=None, book: NameBook | None = None,
    facts: IncidentFacts | None = None,
) -> list[AudienceRendering]:
    """Every audience's wording of ``draft`` (only ``audiences`` if given), in the order of
    ``Audience``; each with its channels, the one its readers see most first."""
    book = book or NameBook.load()
    facts = facts or incident_facts(incident)
    templates = templates_by_cell()
    wanted = list(audiences) if audiences is not None else list(Audience.values)
    out = []
    for audience in Audience.values:
        if audience not in wanted:
            continue
        context = audience_context(audience, draft, facts)
        out.append(
            AudienceRendering(
                audience,
                [
                    render_version(audience, channel, context, book, templates)
                    for channel in defaults.AUDIENCE_CHANNELS[audience]
                ],
            )
        )
    return out


def audiences_for(draft: Draft) -> list[str]:
    """Who an update is for: everyone when public, the company only when internal."""
    return list(Audience.values) if draft.is_public else list(INTERNAL_AUDIENCES)


def as_stored(renderings: list[AudienceRendering]) -> dict:
    return {
        rendering.audience: {
            version.channel: {"subject": version.subject, "body": version.body}
            for version in rendering.versions
        }
        for rendering in renderings
    }


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
