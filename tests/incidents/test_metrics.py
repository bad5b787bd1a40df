"""Response metrics on hand-built histories: every expected figure is worked out by hand here,
then compared with what the database aggregates."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents.clocks import TargetBook
from incidents.metrics import Period, incidents_in, response_report, totals
from incidents.models import (
    AudienceGroup,
    ContactMethod,
    Incident,
    IncidentStatus,
    Notification,
    ResponseTarget,
    Tier,
    TimelineEvent,
)
from tests.incidents.factories import make_person, make_service, make_team

NOW = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
START = NOW - timedelta(days=30)  # the month the tests look at
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@pytest.fixture
def targets(db):
    """SEV1: acknowledge 5 min, triage 15, decision 60, update 30. SEV2: 10, 30, none, 60."""
    ResponseTarget.objects.all().delete()
    ResponseTarget.objects.create(
        severity="sev1", acknowledge_minutes=5, triage_minutes=15, decision_minutes=60,
        update_minutes=30,
    )
    ResponseTarget.objects.create(
        severity="sev2", acknowledge_minutes=10, triage_minutes=30, update_minutes=60
    )
    return TargetBook()


def incident(declared_ago: timedelta, severity="sev1", *, services=(), **milestones) -> Incident:
    """An incident declared ``declared_ago`` before NOW; each milestone given as the time
    after declaration at which it was reached."""
    declared = NOW - declared_ago
    fields = {name: declared + after for name, after in milestones.items() if isinstance(
        after, timedelta
    )}
    fields.update({name: value for name, value in milestones.items() if name not in fields})
    status = IncidentStatus.CLOSED if "resolved_at" in fields else IncidentStatus.INVESTIGATING
    fields.setdefault("status", status)
    row = Incident.objects.create(
        title=f"Incident declared {declared_ago} ago", severity=severity, declared_at=declared,
        **fields,
    )
    row.services.set(services)
    return row


def page(incident_row: Incident, person, *, reason=Notification.Reason.ESCALATION, **fields):
    method = person.contact_methods.first() or ContactMethod.objects.create(
        person=person, kind=ContactMethod.Kind.EMAIL, address=f"p{person.pk}@example.org"
    )
    return Notification.objects.create(
        incident=incident_row, reason=reason, cause=f"test:{incident_row.pk}:{person.pk}",
        recipient=person, contact_method=method, channel="email", urgency="urgent",
        subject="page", body="page", idempotency_key=f"{incident_row.pk}:{person.pk}:{reason}",
        queued_at=incident_row.declared_at + MIN, **fields,
    )


@pytest.fixture
def history(targets):
    """The month in the test names. Acknowledged after 4 and 6 minutes (MTTA 5 min); two
    never acknowledged; resolved after 2 h, 5 h (reopened once, resolved again) and 1 h
    (MTTR 8 h / 3); one still open. Plus a drill, an old incident and a merged duplicate,
    which the month's figures must not see."""
    a = incident(
        10 * 24 * HOUR, acknowledged_at=4 * MIN, triaged_at=10 * MIN,
        first_decision_at=30 * MIN, resolved_at=2 * HOUR, escalation_level=2,
    )
    b = incident(
        9 * 24 * HOUR, acknowledged_at=6 * MIN, resolved_at=5 * HOUR, reopened_count=1,
        escalation_level=3,
    )
    c = incident(8 * 24 * HOUR, "sev2", resolved_at=1 * HOUR, escalation_level=1)
    d = incident(2 * 24 * HOUR, "sev2")
    drill = incident(
        3 * 24 * HOUR, acknowledged_at=1 * MIN, resolved_at=10 * MIN, is_drill=True,
        escalation_level=7,
    )
    old = incident(40 * 24 * HOUR, acknowledged_at=50 * MIN, resolved_at=30 * HOUR)
    merged = incident(5 * 24 * HOUR, acknowledged_at=90 * MIN, resolved_at=2 * MIN)
    merged.duplicate_of = a
    merged.save()
    return {"a": a, "b": b, "c": c, "d": d, "drill": drill, "old": old, "merged": merged}


def month(drills=False):
    return incidents_in(Period(days=30, end=NOW), drills=drills)


def test_mtta_is_the_mean_over_acknowledged_incidents_only(history, targets):
    result = totals(month(), book=targets, now=NOW, since=START)
    assert result.incidents == 4
    assert result.acknowledged == 2
    assert result.mtta == pytest.approx((4 * 60 + 6 * 60) / 2, abs=0.01)
    assert result.never_acknowledged == 2


def test_mttr_uses_the_final_resolution_and_counts_unresolved_apart(history, targets):
    result = totals(month(), book=targets, now=NOW, since=START)
    expected = (2 * 3600 + 5 * 3600 + 1 * 3600) / 3
    assert result.mttr == pytest.approx(expected, abs=0.01)
    assert result.unresolved == 1
    assert result.reopened == 1


def test_reopened_incident_open_now_is_unresolved_not_in_the_mean(history, targets):
    b = history["b"]
    # Reopened again: the workflow clears resolved_at until it is resolved once more.
    Incident.objects.filter(pk=b.pk).update(
        resolved_at=None, status=IncidentStatus.INVESTIGATING, reopened_count=2
    )
    result = totals(month(), book=targets, now=NOW, since=START)
    assert result.mttr == pytest.approx((2 * 3600 + 1 * 3600) / 2, abs=0.01)
    assert result.unresolved == 2


def test_time_to_triage_and_to_first_decision(history, targets):
    result = totals(month(), book=targets, now=NOW, since=START)
    assert result.triaged == 1
    assert result.time_to_triage == pytest.approx(10 * 60, abs=0.01)
    assert result.time_to_decision == pytest.approx(30 * 60, abs=0.01)


def test_drills_are_left_out_unless_asked_for(history, targets):
    result = totals(month(drills=True), book=targets, now=NOW, since=START)
    assert result.incidents == 5
    assert result.mtta == pytest.approx((4 + 6 + 1) * 60 / 3, abs=0.01)
    assert result.escalations_per_incident == pytest.approx((2 + 3 + 1 + 0 + 7) / 5)


def test_escalations_per_incident_and_share_that_reached_leadership(history, targets):
    leadership = AudienceGroup.objects.get(slug="leadership")
    leader, other = make_person("Lena Leader"), make_person("Olu Oncall")
    leadership.members.add(leader)
    page(history["a"], leader)  # reached leadership
    page(history["a"], other)
    page(history["c"], other)  # paged, but nobody in leadership
    page(history["b"], leader, state=Notification.State.CANCELLED)  # never went out
    page(history["d"], leader, reason=Notification.Reason.UPDATE)  # informed, not escalated
    page(history["drill"], leader)  # a drill: not in the month's figures

    result = totals(month(), book=targets, now=NOW, since=START)
    assert result.escalations_per_incident == pytest.approx((2 + 3 + 1 + 0) / 4)
    assert result.reached_leadership == 1
    assert result.leadership_share == pytest.approx(1 / 4)


def test_missed_targets_follow_the_boards_clocks(history, targets):
    # a met every target; b acknowledged late and was resolved (after 5 h) without triage
    # or decision; c (SEV2, no decision target) was resolved after 1 h, never acknowledged
    # nor triaged; d (SEV2) has been open for 2 days with nothing reached.
    result = totals(month(), book=targets, now=NOW, since=START)
    assert (result.acknowledge_applicable, result.acknowledge_missed) == (4, 3)
    assert (result.triage_applicable, result.triage_missed) == (4, 3)
    assert (result.decision_applicable, result.decision_missed) == (2, 1)
    assert result.missed_share("acknowledge") == pytest.approx(3 / 4)


def test_clock_stopped_by_resolution_before_due_is_not_missed(targets):
    incident(HOUR, acknowledged_at=2 * MIN, resolved_at=12 * MIN)  # triage due at 15 min
    result = totals(month(), book=targets, now=NOW, since=START)
    assert (result.triage_applicable, result.triage_missed) == (1, 0)
    assert (result.decision_applicable, result.decision_missed) == (1, 0)


def test_open_incident_misses_a_target_once_now_reaches_due(targets):
    incident(4 * MIN)  # acknowledge due in a minute
    incident(6 * MIN)  # acknowledge overdue by a minute
    result = totals(month(), book=targets, now=NOW, since=START)
    assert (result.acknowledge_applicable, result.acknowledge_missed) == (2, 1)


def test_update_cadence_missed_is_the_recorded_breach(history, targets):
    TimelineEvent.objects.create(
        incident=history["d"], kind=TimelineEvent.Kind.TARGET_BREACHED, actor_name="Portal",
        text="Response target missed: update cadence.", details={"target": "update"},
    )
    TimelineEvent.objects.create(
        incident=history["a"], kind=TimelineEvent.Kind.TARGET_BREACHED, actor_name="Portal",
        text="Response target missed: triage.", details={"target": "triage"},
    )
    result = totals(month(), book=targets, now=NOW, since=START)
    assert (result.update_applicable, result.update_missed) == (4, 1)


def test_a_services_own_target_counts_and_the_strictest_service_wins(targets):
    lenient = make_service("Lenient", tier=Tier.IMPORTANT)
    plain = make_service("Plain", tier=Tier.IMPORTANT)
    ResponseTarget.objects.create(severity="sev2", service=lenient, acknowledge_minutes=60)
    book = TargetBook()
    on_lenient = incident(HOUR * 3, "sev2", services=[lenient], acknowledged_at=20 * MIN)
    on_both = incident(HOUR * 3, "sev2", services=[lenient, plain], acknowledged_at=20 * MIN)
    no_service = incident(HOUR * 3, "sev2", acknowledged_at=20 * MIN)

    # The board's rule, in Python, for each of them:
    for row, expected_minutes in ((on_lenient, 60), (on_both, 10), (no_service, 10)):
        ids = list(row.services.values_list("pk", flat=True))
        assert book.for_incident("sev2", ids).acknowledge == expected_minutes

    result = totals(month(), book=book, now=NOW, since=START)
    assert (result.acknowledge_applicable, result.acknowledge_missed) == (3, 2)


def test_report_breaks_down_by_severity_tier_service_and_team(targets):
    payments = make_team("Payments")
    checkout = make_service("Checkout", tier=Tier.CRITICAL, owner_team=payments)
    refunds = make_service("Refunds", tier=Tier.IMPORTANT, owner_team=payments)
    wiki = make_service("Wiki", tier=Tier.LOW)
    incident(2 * HOUR, services=[checkout, refunds], acknowledged_at=2 * MIN)
    incident(3 * HOUR, "sev2", services=[refunds], acknowledged_at=8 * MIN)
    incident(4 * HOUR, "sev2", services=[wiki], acknowledged_at=20 * MIN)
    incident(5 * HOUR, "sev2")

    report = response_report(Period(days=30, end=NOW), drills=False, book=targets)
    assert report.overall.incidents == 4
    severity = {g.key: g.totals for g in report.by_severity}
    assert severity["sev1"].incidents == 1
    assert severity["sev2"].mtta == pytest.approx((8 + 20) * 60 / 2, abs=0.01)
    tier = {g.key: g.totals.incidents for g in report.by_tier}
    assert tier == {"1": 1, "2": 1, "3": 1, "none": 1}
    service = {g.label: g.totals.incidents for g in report.by_service}
    assert service == {"Checkout": 1, "Refunds": 2, "Wiki": 1}
    team = {g.label: g.totals for g in report.by_team}
    # The first incident names two of the team's services: it counts once for the team.
    assert team["Payments"].incidents == 2
    assert team["Payments"].mtta == pytest.approx((2 + 8) * 60 / 2, abs=0.01)
    assert sum(b.totals.incidents for b in report.trend) == 4
