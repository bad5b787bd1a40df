"""Expected stakeholders come from the escalation policy for the drill's tier × severity,
with the minute the path is due to reach each one and a default reach window."""

from datetime import UTC, datetime

import pytest

from incidents.models import EscalationPolicy, EscalationStep, StepTarget
from playbooks.services import drill_add_stakeholder, drill_create, drill_set_windows
from playbooks.stakeholders import expected_stakeholders
from tests.incidents.factories import make_person, make_service
from tests.playbooks.drill_setup import build_org

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # Olu's week on the Payments rota


@pytest.fixture
def org(db):
    return build_org()


def rows(plan):
    return [(e.person.name, e.step, e.pages_at_minutes, e.reach_window_minutes, e.source)
            for e in plan.stakeholders]


def test_tier_one_sev1_reaches_on_call_then_manager_then_leadership(org):
    plan = expected_stakeholders(services=[org.service], severity="sev1", now=NOW)
    assert plan.policy_name == "Tier 1 · SEV1"
    assert rows(plan) == [
        ("Olu Oncall", 0, 0, 5, "Step 1 (minute 0): on-call of the services' rotations"),
        ("Priya Manager", 1, 5, 10, "Step 2 (minute 5): the owner teams' managers"),
        ("Hannah Head", 2, 10, 15, "Step 3 (minute 10): Leadership"),
        ("Lena Leader", 2, 10, 15, "Step 3 (minute 10): Leadership"),
    ]
    assert "Step 3 (minute 10): Cross-functional group reaches nobody now." in plan.notes


def test_the_window_follows_the_severitys_acknowledge_target(org):
    plan = expected_stakeholders(services=[org.service], severity="sev2", now=NOW)
    assert [e.reach_window_minutes for e in plan.stakeholders][:2] == [10, 15]


def test_the_highest_tier_among_the_services_chooses_the_policy(org):
    low = make_service("Reporting", tier=3)
    plan = expected_stakeholders(services=[low], severity="sev1", now=NOW)
    assert plan.policy_name == "Tier 3 · SEV1"
    both = expected_stakeholders(services=[low, org.service], severity="sev1", now=NOW)
    assert both.policy_name == "Tier 1 · SEV1"


def test_a_step_that_reaches_nobody_expects_the_fallback(org):
    policy = EscalationPolicy.objects.get(tier=1, severity="sev1")
    fallback = make_person("Fiona Fallback")
    policy.fallback_person = fallback
    policy.save()
    org.service.rotation = None
    org.service.save()
    plan = expected_stakeholders(services=[org.service], severity="sev1", now=NOW)
    assert rows(plan)[0] == ("Fiona Fallback", 0, 0, 5, "Step 1 (minute 0): fallback")
    assert any("falls back to Fiona Fallback" in note for note in plan.notes)


def test_an_incident_role_target_is_noted_not_guessed(org):
    policy = EscalationPolicy.objects.get(tier=1, severity="sev1")
    step = EscalationStep.objects.create(policy=policy, position=3, delay_minutes=5)
    StepTarget.objects.create(step=step, kind="incident_role", incident_role="communications_lead")
    plan = expected_stakeholders(services=[org.service], severity="sev1", now=NOW)
    assert "Step 4 (minute 15) pages the incident's communications lead: known once the seat " \
           "is taken." in plan.notes


def test_no_policy_means_nobody_and_says_so(org):
    EscalationPolicy.objects.filter(tier=1, severity="sev4").delete()
    plan = expected_stakeholders(services=[org.service], severity="sev4", now=NOW)
    assert plan.stakeholders == ()
    assert plan.notes == ("No escalation policy for tier 1 × SEV4: nobody is paged.",)


def test_a_planned_drill_keeps_them_and_they_are_editable_before_the_start(org, cast):
    drill = drill_create(title="Payments drill", severity="sev1", services=[org.service],
                         scenario="Stripe webhooks rejected.", by=cast["commander"], now=NOW)
    assert drill.policy_name == "Tier 1 · SEV1"
    stakes = {s.person_name: s for s in drill.stakeholders.all()}
    assert set(stakes) == {"Olu Oncall", "Priya Manager", "Hannah Head", "Lena Leader"}
    assert "Cross-functional group reaches nobody now." in drill.plan_notes
    drill_set_windows(drill=drill, windows={stakes["Lena Leader"].pk: 10},
                      removed=[stakes["Hannah Head"].pk], by=cast["commander"])
    extra = make_person("Cam Comms")
    drill_add_stakeholder(drill=drill, person=extra, reach_window_minutes=20,
                          by=cast["commander"])
    windows = dict(drill.stakeholders.values_list("person_name", "reach_window_minutes"))
    assert windows == {"Olu Oncall": 5, "Priya Manager": 10, "Lena Leader": 10, "Cam Comms": 20}
    assert drill.stakeholders.get(person=extra).source == "Added by hand"
