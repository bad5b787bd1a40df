"""Triggers that declare or raise incidents without a person: alert rules and connectors."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.escalation.triggers import alert_trigger, connector_failure
from incidents.models import Alert, Connector, Incident, Integration, ServiceDependency, Timer
from tests.incidents.factories import make_service

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def _alert(integration, key, at):
    with time_machine.travel(at, tick=False):
        alert = Alert.objects.create(
            integration=integration,
            service=integration.service,
            dedup_key=key,
            summary=f"Zap failing ({key})",
            source_severity="critical",
            first_seen_at=at,
            last_seen_at=at,
        )
        return alert_trigger(alert, now=at)


@pytest.fixture
def integration(db):
    service = make_service("Onboarding flow", tier=1)
    return Integration.objects.create(
        name="Zapier errors",
        service=service,
        kind="webhook",
        auto_declare=Integration.AutoDeclare.THRESHOLD,
        alert_threshold=3,
        threshold_window_minutes=10,
        severity_mapping={"critical": "sev2"},
    )


def test_threshold_rule_declares_on_the_nth_alert_within_the_window(integration):
    assert _alert(integration, "a", T0) is None
    assert _alert(integration, "b", T0 + timedelta(minutes=4)) is None
    incident = _alert(integration, "c", T0 + timedelta(minutes=9))
    assert incident is not None and incident.severity == "sev2"
    assert "3 alerts within 10 minutes" in incident.summary
    assert incident.timeline.filter(kind="alert").exists()


def test_alerts_spread_beyond_the_window_declare_nothing(integration):
    for minute in (0, 11, 22):
        assert _alert(integration, f"k{minute}", T0 + timedelta(minutes=minute)) is None
    assert not Incident.objects.exists()


def test_an_alert_on_an_open_incident_joins_its_timeline_without_paging_again(integration):
    integration.auto_declare = Integration.AutoDeclare.FIRST_ALERT
    integration.save()
    first = _alert(integration, "a", T0)
    steps_before = Timer.objects.filter(incident=first, kind="escalation_step").count()
    second = _alert(integration, "b", T0 + timedelta(minutes=1))
    assert second == first
    assert Timer.objects.filter(incident=first, kind="escalation_step").count() == steps_before
    assert first.timeline.filter(kind="alert").count() == 2


def test_degradation_metric_over_threshold_raises_the_open_incident(integration):
    integration.auto_declare = Integration.AutoDeclare.FIRST_ALERT
    integration.degradation_threshold = 0.2
    integration.severity_mapping = {"critical": "sev1"}
    integration.save()
    incident = _alert(integration, "a", T0)
    incident.severity = "sev3"
    Incident.objects.filter(pk=incident.pk).update(severity="sev3")
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        alert = Alert.objects.create(
            integration=integration,
            service=integration.service,
            dedup_key="metric",
            summary="Error rate 35%",
            source_severity="critical",
        )
        alert_trigger(alert, metric=0.35, now=T0 + timedelta(minutes=2))
    incident.refresh_from_db()
    assert incident.severity == "sev1"
    assert incident.timeline.filter(kind="severity_change", text__contains="0.35").exists()


def test_failing_connector_fans_out_to_every_dependent_service(db):
    stripe = Connector.objects.create(name="Stripe (Make)", vendor="Stripe", platform="make")
    reconciliation = make_service("Payment reconciliation", tier=2)
    reconciliation.connectors.add(stripe)
    dashboard = make_service("Ops dashboard", tier=1)
    ServiceDependency.objects.create(service=dashboard, depends_on=reconciliation)
    unrelated = make_service("Newsletter", tier=3)

    with time_machine.travel(T0, tick=False):
        incident = connector_failure(connector=stripe, note="401 from Stripe")
    assert set(incident.services.all()) == {reconciliation, dashboard}
    assert unrelated not in incident.services.all()
    assert incident.severity == "sev1"  # the highest tier affected is tier 1
    assert incident.timeline.filter(kind="alert", text__contains="Stripe (Make) failing").exists()
    stripe.refresh_from_db()
    assert stripe.failing_since == T0
