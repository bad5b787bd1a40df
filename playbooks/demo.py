"""Demo playbooks and a planned drill for ``seed_demo`` (registered from AppConfig.ready).

Keyed on slugs and titles: running it again adds nothing. One playbook is written as if
its last review were four months ago, so the stale flag and the reminder have something
to show.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents.models import IncidentType, Service, Team

from .models import Drill, Playbook
from .services import drill_create, playbook_create

# slug: (title, services, owner team slug, incident type, days since review, body, checklist)
PLAYBOOKS = {
    "stripe-webhooks-in-make": (
        "Stripe webhooks rejected by the Make scenario",
        ["payment-reconciliation", "checkout"],
        "finance-operations",
        IncidentType.CONNECTOR_FAILURE,
        12,
        """Payments are taken by Stripe, but the **Make** scenario that records them stops
accepting Stripe's webhooks. Customers are charged; our books and the order status fall
behind.

## Recognise it
- The Make scenario history shows `400` or `410` answers to Stripe.
- Stripe's dashboard lists failed webhook deliveries under *Developers → Webhooks*.

## Stop the damage
1. Do **not** replay webhooks yet: duplicates create double refunds.
2. Tell support to answer "order received, confirmation delayed".

## Fix
Check the webhook signing secret in the Make connection first; a rotated secret is the
usual cause. Then replay failed events from Stripe, oldest first.
""",
        """Confirm failed deliveries in the Stripe dashboard
Check the signing secret in the Make connection
Pause refunds until the books catch up
Replay failed events from Stripe, oldest first
Reconcile today's payouts against the ledger""",
    ),
    "identity-checks-timing-out": (
        "Identity checks timing out",
        ["identity-verification", "onboarding-flow"],
        "growth-automation",
        IncidentType.VENDOR_DEGRADATION,
        30,
        """New sign-ups wait at the verification step because **Twilio Verify** calls from
the n8n workflow time out.

## First minutes
- Look at Twilio's status page for the region.
- Compare the n8n execution times of the last hour with the day before.

## Work-around
Switch the n8n workflow to the *email code* branch (the `fallback_channel` variable).
It is slower for customers but does not time out.
""",
        """Check Twilio's status page
Switch n8n to the email-code branch
Post a customer-facing update on the status page
Switch back once Twilio recovers""",
    ),
    "partner-portal-login-loop": (
        "Partner portal login loop",
        ["partner-portal"],
        "partner-success",
        IncidentType.RELEASE_REGRESSION,
        120,
        """Partners are sent back to the login page after signing in, usually after a
**Bubble** release changed the privacy rules or the redirect page.

Roll back to the previous Bubble save point if the release is less than a day old.
""",
        """Find the last Bubble release and its time
Roll back to the previous save point
Tell partner managers what happened""",
    ),
    "expired-connector-credentials": (
        "Expired connector credentials",
        [],
        "internal-tools",
        IncidentType.CONNECTOR_FAILURE,
        45,
        """Any no-code connector can stop when the account that authorised it leaves, or
its token expires. The scenario fails on every run with `401` or `invalid_grant`.

Re-authorise the connection with a **service account**, never a person's own login.
""",
        """Identify the connection and the account behind it
Re-authorise with the service account
Re-run the failed executions""",
    ),
}
DRILL_TITLE = "Quarterly payments escalation drill"


def seed_playbooks() -> None:
    now = timezone.now()
    author = get_user_model().objects.filter(username="responder").first()
    teams = {team.slug: team for team in Team.objects.all()}
    for slug, (title, service_slugs, team, kind, days, body, checklist) in PLAYBOOKS.items():
        if Playbook.objects.filter(slug=slug).exists() or team not in teams:
            continue
        playbook_create(
            title=title,
            slug=slug,
            body=body,
            checklist=checklist,
            owner_team=teams[team],
            services=Service.objects.filter(slug__in=service_slugs),
            incident_type=kind,
            by=author,
            at=now - timedelta(days=days),
        )
    services = list(Service.objects.filter(slug__in=["checkout", "payment-reconciliation"]))
    if services and not Drill.objects.filter(title=DRILL_TITLE).exists():
        drill_create(
            title=DRILL_TITLE,
            severity="sev1",
            services=services,
            scenario="Stripe webhooks are rejected by the Make scenario; payments are not "
            "recorded. (A rehearsal: nothing is broken.)",
            playbook=Playbook.objects.filter(slug="stripe-webhooks-in-make").first(),
            by=get_user_model().objects.filter(username="commander").first(),
        )
