"""When every urgent method of a paged person fails, the escalation runs its next step at
once instead of waiting for the step's delay."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import ContactMethod, Notification, NotificationRule, TimelineEvent
from incidents.notifications.delivery import deliver
from incidents.notifications.failover import escalate_when_unreachable
from incidents.services import incident_acknowledge, incident_declare
from incidents.timers import sweep_due
from tests.incidents.factories import (
    make_person,
    make_reachable,
    make_rotation,
    make_service,
    make_team,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, inside the rotation's first shift


@pytest.fixture
def org(db):
    """A tier-1 service: Olu on call (step 1), Mia the team's manager (step 2, at 5 min)."""
    manager = make_person("Mia Manager")
    make_reachable(manager, "mia@example.org")
    team = make_team("Payments team", manager=manager)
    oncall = make_person("Olu Oncall", team=team)
    make_reachable(oncall, "olu@example.org")
    rotation = make_rotation("Payments on-call", people=[oncall], team=team)
    service = make_service("Payments", tier=1, owner_team=team, rotation=rotation)
    return {"service": service, "oncall": oncall, "manager": manager}


def declare(org, cast):
    with time_machine.travel(T0, tick=False):
        incident = incident_declare(
            title="Payments failing", severity="sev1", declared_by=cast["commander"],
            services=[org["service"]],
        )
        sweep_due(T0)
    return incident


def deliver_rows_of(person, at):
    with time_machine.travel(at, tick=False):
        rows = Notification.objects.filter(recipient=person, state="queued", deliver_after__lte=at)
        return [deliver(row.pk) for row in rows]


def paged(person):
    return Notification.objects.filter(recipient=person, reason="escalation")


def test_when_every_urgent_method_fails_the_next_step_runs_at_once(smtp, org, cast):
    smtp.refuse_next(1, "550 5.1.1 No such user here")
    incident = declare(org, cast)
    assert paged(org["oncall"]).count() == 1 and not paged(org["manager"]).exists()
    failed_at = T0 + timedelta(seconds=20)
    assert deliver_rows_of(org["oncall"], failed_at) == ["failed"]
    [page] = paged(org["manager"])
    assert page.queued_at == failed_at  # not at minute 5
    texts = list(TimelineEvent.objects.filter(incident=incident).values_list("text", flat=True))
    assert any("Every urgent contact method of Olu Oncall failed" in t for t in texts)
    assert any(t.startswith("Escalation step 2 of") for t in texts)
    # Minute 5 comes: the step already ran, so the manager is not paged a second time.
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        sweep_due(T0 + timedelta(minutes=5))
    assert paged(org["manager"]).count() == 1


def test_no_early_escalation_while_another_urgent_method_is_still_to_come(smtp, org, cast):
    phone = ContactMethod.objects.create(person=org["oncall"], kind="sms", address="+447700900123")
    NotificationRule.objects.create(
        person=org["oncall"], urgency="urgent", contact_method=phone, delay_minutes=2
    )
    smtp.refuse_next(1)
    declare(org, cast)
    assert deliver_rows_of(org["oncall"], T0 + timedelta(seconds=20)) == ["failed"]
    assert not paged(org["manager"]).exists()


def test_an_acknowledged_incident_does_not_escalate_on_failures(smtp, org, cast):
    smtp.refuse_next(1)
    incident = declare(org, cast)
    row = paged(org["oncall"]).get()
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        # Acknowledged while the page was on its way: the row is in flight, not cancelled.
        Notification.objects.filter(pk=row.pk).update(state="sending", attempts=0)
        incident_acknowledge(incident=incident, by=cast["responder"])
        Notification.objects.filter(pk=row.pk).update(state="queued")
    assert deliver_rows_of(org["oncall"], T0 + timedelta(seconds=20)) == ["failed"]
    assert not paged(org["manager"]).exists()


def test_one_step_escalates_once_however_many_of_its_recipients_fail(smtp, org, cast):
    smtp.refuse_next(1)
    incident = declare(org, cast)
    olu_page = paged(org["oncall"]).get()
    assert deliver_rows_of(org["oncall"], T0 + timedelta(seconds=20)) == ["failed"]
    steps_run = incident.timers.filter(kind="escalation_step", state="fired").count()
    # Another recipient of the same step, whose page failed for good as well.
    sam = make_person("Sam Second")
    method = ContactMethod.objects.create(person=sam, kind="email", address="sam@example.org")
    other = Notification.objects.create(
        incident=incident, reason="escalation", cause=olu_page.cause, recipient=sam,
        contact_method=method, channel="email", urgency="urgent", subject="s", body="b",
        idempotency_key="other", state="failed",
    )
    assert escalate_when_unreachable(other, T0 + timedelta(seconds=30)) is False
    assert incident.timers.filter(kind="escalation_step", state="fired").count() == steps_run
    assert paged(org["manager"]).count() == 1
