"""The demo playbooks and drill: believable, one of them stale, and added only once."""

from datetime import timedelta

from django.utils import timezone

from incidents import demo
from playbooks.demo import DRILL_TITLE, PLAYBOOKS, seed_playbooks
from playbooks.models import Drill, Playbook, PlaybookVersion
from tests.incidents.factories import make_service, make_team


def test_the_seeder_is_registered_with_the_demo():
    assert seed_playbooks in demo._seeders


def test_seeding_twice_adds_each_playbook_and_the_drill_once(db):
    teams = {slug: make_team(slug.replace("-", " ").title(), slug=slug)
             for slug in ("finance-operations", "growth-automation", "partner-success",
                          "internal-tools")}
    for slug in ("payment-reconciliation", "checkout", "identity-verification",
                 "onboarding-flow", "partner-portal"):
        make_service(slug.replace("-", " ").title(), slug=slug,
                     owner_team=teams["finance-operations"], tier=1)
    seed_playbooks()
    seed_playbooks()
    assert Playbook.objects.count() == len(PLAYBOOKS)
    assert PlaybookVersion.objects.count() == len(PLAYBOOKS)
    assert Drill.objects.filter(title=DRILL_TITLE, status="planned").count() == 1
    stale = [p.slug for p in Playbook.objects.all() if p.is_stale(timezone.now())]
    assert stale == ["partner-portal-login-loop"]
    stripe = Playbook.objects.get(slug="stripe-webhooks-in-make")
    assert stripe.services.count() == 2 and len(stripe.current.checklist_items) == 5
    assert timezone.now() - stripe.reviewed_at > timedelta(days=11)
