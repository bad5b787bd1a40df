"""Demo reviews for ``seed_demo`` (registered from AppConfig.ready).

The past incidents of the demo get their reviews through the same workflows the portal
uses: the oldest are published (without messaging anyone), one waits in review, the most
recent is a fresh draft. Distribution lists, action items in every quadrant and status, a
few near misses and some responder feedback complete the picture. Keyed on names and titles:
running it again adds nothing.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents.models import AudienceGroup, Incident, Person, Service, Team

from .models import DistributionList, Feedback, NearMiss, Review
from .services import (
    action_item_add,
    action_item_set_status,
    feedback_give,
    near_miss_record,
    near_miss_triage,
    review_draft,
    review_publish,
    review_submit,
    review_update_sections,
)

LISTS = {
    # name: (description, tier, audience slug, people)
    "Tier 1 reviews for leadership": (
        "Every review touching a critical service.", 1, "leadership", [],
    ),
    "Incident commanders": (
        "Every published review.", None, None, ["Cole Mensah", "Priya Raman"],
    ),
}

# incident title: (state, reviewers, sections, action items)
# action item: (title, team slug, person, due in days, impact, effort, status)
REVIEWS = {
    "DocuSign envelopes stuck in Power Automate": (
        "published",
        ["Cole Mensah", "Grace Kim"],
        {
            "narrative": "Contracts sent for signature sat in a Power Automate queue for ten "
            "hours: the DocuSign connector's token had expired and the flow kept retrying "
            "silently.",
            "cause_class": "mixed",
            "cause_analysis": "DocuSign rotated its OAuth signing keys (external). Our flow "
            "had no alert on repeated failures and retried forever (systemic).",
            "contributing_factors": "Connector token owned by a person who left\n"
            "No alert on failed runs\nRetries without a limit",
            "lessons_learned": "Every connector needs a service account owner and an alert "
            "after three failed runs.",
        },
        [
            ("Move the DocuSign connection to a service account", "partner-success",
             "Diego Alvarez", -10, 4, 2, "done"),
            ("Alert after three failed flow runs", "partner-success", None, -3, 5, 1,
             "in_progress"),
            ("Rebuild contract signing outside Power Automate", "partner-success", None, 60,
             2, 5, "dropped"),
        ],
    ),
    "KPI digest sent twice": (
        "published",
        ["Yuki Tanaka"],
        {
            "narrative": "The weekly KPI digest went out twice on Monday morning.",
            "cause_class": "systemic",
            "cause_analysis": "Two Make scenarios were left active after a migration.",
            "contributing_factors": "No inventory of active scenarios",
            "lessons_learned": "Switch off the old scenario in the same change as the new one.",
        },
        [
            ("List every active Make scenario with its owner", "internal-tools", "Ben Carter",
             14, 2, 2, "open"),
        ],
    ),
    "Partner portal login loop after Bubble release": (
        "published",
        ["Grace Kim", "Cole Mensah"],
        {
            "narrative": "After a Bubble release, partners were sent back to the login page "
            "in a loop for four hours.",
            "cause_class": "systemic",
            "cause_analysis": "A privacy rule changed in the release hid the session field; "
            "the release went out without a test login.",
            "contributing_factors": "No test login before release\nRelease on a Friday",
            "lessons_learned": "A scripted test login runs before every Bubble release.",
        },
        [
            ("Scripted test login before each Bubble release", "partner-success",
             "Nora Lindqvist", 7, 5, 2, "open"),
            ("Staging copy of the partner portal", "partner-success", None, 45, 4, 4, "open"),
            ("Release calendar with a Friday freeze", "partner-success", None, -2, 3, 1,
             "open"),
        ],
    ),
    "Airtable API rate limits slow onboarding": (
        "in_review",
        ["Priya Raman", "Cole Mensah"],
        {
            "narrative": "Onboarding slowed to minutes per sign-up when Zapier hit the "
            "Airtable API rate limit.",
            "cause_class": "external",
            "cause_analysis": "Airtable lowered the plan's rate limit; a bulk import ran at "
            "the same time as the sign-up peak.",
            "contributing_factors": "Bulk import during business hours",
            "lessons_learned": "Bulk imports run at night, throttled.",
        },
        [
            ("Throttle the bulk import Zap", "growth-automation", "Tom Becker", 5, 4, 1,
             "open"),
        ],
    ),
    "Stripe webhooks rejected by Make scenario": ("draft", ["Cole Mensah", "Hannah Cho"], {}, []),
}

NEAR_MISSES = [
    # service slug, what happened, potential impact, severity, triage
    ("checkout", "A Stripe test key was about to be deployed to the live Bubble app; the "
     "release checklist caught it.", "Every payment would have failed.", "sev1", "accepted"),
    ("support-routing", "The HubSpot connector's token expires in two days and nobody owns "
     "it.", "Support tickets stop reaching the queue.", "sev3", None),
]

FEEDBACK = [
    # incident title, service slug, rating, text
    ("Partner portal login loop after Bubble release", "partner-portal", 2,
     "The Bubble logs did not show the privacy rule change: we guessed for an hour."),
    ("DocuSign envelopes stuck in Power Automate", "contract-signing", 4,
     "The flow history made the failing step obvious once we looked."),
]


def seed_reviews() -> None:
    User = get_user_model()
    commander = User.objects.filter(username="commander").first()
    responder = User.objects.filter(username="responder").first()
    _seed_lists()
    now = timezone.now()
    for title, (state, reviewers, sections, items) in REVIEWS.items():
        incident = Incident.objects.filter(title=title).first()
        if incident is None or Review.objects.filter(incident=incident).exists():
            continue
        review = review_draft(incident=incident, now=incident.resolved_at or now)
        review.reviewers.set(Person.objects.filter(name__in=reviewers))
        if sections:
            review_update_sections(review=review, by=None, **sections)
        for title_, team, person, days, impact, effort, status in items:
            item = action_item_add(
                review=review, by=None, title=title_,
                owner_team=Team.objects.filter(slug=team).first(),
                owner_person=Person.objects.filter(name=person).first() if person else None,
                due_on=timezone.localdate() + timedelta(days=days), impact=impact,
                effort=effort,
            )
            if status != "open":
                note = "Not worth it once alerts are in place." if status == "dropped" else ""
                action_item_set_status(item=item, status=status, by=None, note=note)
        if state in ("in_review", "published"):
            review_submit(review=review, by=None)
        if state == "published":
            review_publish(review=review, by=commander, notify=False)
    if responder is not None:
        _seed_near_misses(responder, commander)
    if commander is not None:
        _seed_feedback(commander)


def _seed_lists() -> None:
    for name, (description, tier, audience, people) in LISTS.items():
        entry = DistributionList.objects.update_or_create(
            name=name, defaults={"description": description, "tier": tier}
        )[0]
        if audience:
            entry.audiences.set(AudienceGroup.objects.filter(slug=audience))
        entry.people.set(Person.objects.filter(name__in=people))


def _seed_near_misses(reporter, triager) -> None:
    for slug, what, impact, severity, outcome in NEAR_MISSES:
        service = Service.objects.filter(slug=slug).first()
        if service is None or NearMiss.objects.filter(what_happened=what).exists():
            continue
        near_miss = near_miss_record(service=service, what_happened=what,
                                     potential_impact=impact, potential_severity=severity,
                                     by=reporter)
        if outcome and triager is not None:
            near_miss_triage(near_miss=near_miss, by=triager, state=outcome,
                             note="Worth learning from: the check worked by luck.")


def _seed_feedback(author) -> None:
    for title, slug, rating, text in FEEDBACK:
        incident = Incident.objects.filter(title=title).first()
        service = Service.objects.filter(slug=slug).first()
        if incident is None or service is None or Feedback.objects.filter(text=text).exists():
            continue
        feedback_give(incident=incident, by=author, about=Feedback.About.SERVICE,
                      service=service, rating=rating, text=text, now=incident.resolved_at,
                      notify=False)
