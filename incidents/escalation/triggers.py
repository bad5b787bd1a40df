"""What declares or raises an incident without a person: alert rules and failing connectors.

(SLA breaches are the response-target timers in ``engine``.) Each trigger says in the
timeline why it fired.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..catalog.graph import services_depending_on_connector
from ..models import (
    Alert,
    Connector,
    Incident,
    IncidentType,
    Integration,
    Service,
    Severity,
    TimelineEvent,
)
from ..services import timeline
from ..services.lifecycle import SEVERITY_RANK, incident_declare
from . import engine

Kind = TimelineEvent.Kind
# The highest tier affected sets the severity a trigger declares with.
TIER_SEVERITY = {1: Severity.SEV1, 2: Severity.SEV2, 3: Severity.SEV3}


def _raise_to(incident: Incident, severity: str, why: str, now: datetime) -> None:
    """Raise ``incident`` to ``severity`` (never lower it), recording why."""
    if SEVERITY_RANK[Severity(severity)] >= SEVERITY_RANK[Severity(incident.severity)]:
        return
    old = incident.severity
    Incident.objects.filter(pk=incident.pk).update(severity=severity)
    incident.severity = severity
    timeline.record(
        incident, Kind.SEVERITY_CHANGE,
        f"Severity raised: {old.upper()} → {severity.upper()} ({why}).",
        at=now, name="Portal", **{"from": old, "to": severity},
    )
    engine.escalation_replan(incident, now)


def alert_severity(integration: Integration, source_severity: str) -> str:
    mapped = integration.severity_mapping.get((source_severity or "").lower())
    return mapped if mapped in Severity.values else integration.default_severity


def recent_alert_count(integration: Integration, now: datetime) -> int:
    window = now - timedelta(minutes=integration.threshold_window_minutes)
    return Alert.objects.filter(integration=integration, first_seen_at__gte=window).count()


@dataclass(frozen=True)
class RuleFired:
    reason: str
    # A threshold or degradation rule also raises an open incident; a first alert does not.
    raises: bool


def alert_rule(
    integration: Integration, now: datetime, *, metric: float | None = None
) -> RuleFired | None:
    """Whether the rule of ``integration`` wants an incident now, and why."""
    threshold = integration.degradation_threshold
    if threshold is not None and metric is not None and metric > threshold:
        return RuleFired(f"metric {metric:g} above the threshold {threshold:g}", raises=True)
    rule = integration.auto_declare
    if rule == Integration.AutoDeclare.FIRST_ALERT:
        return RuleFired("first alert", raises=False)
    if rule == Integration.AutoDeclare.THRESHOLD:
        count = recent_alert_count(integration, now)
        if count >= integration.alert_threshold:
            window = integration.threshold_window_minutes
            return RuleFired(f"{count} alerts within {window} minutes", raises=True)
    return None


@transaction.atomic
def alert_trigger(alert: Alert, *, metric: float | None = None, now=None) -> Incident | None:
    """Attach a new alert group to an incident: the open incident of its service if there is
    one (adding it to the timeline, no new page), else a new one when the rule says so."""
    now = now or timezone.now()
    integration = alert.integration
    severity = alert_severity(integration, alert.source_severity)
    incident = (
        Incident.objects.open().filter(services=alert.service, duplicate_of=None)
        .order_by("declared_at").first()
    )
    fired = alert_rule(integration, now, metric=metric)
    if incident is None:
        if fired is None:
            return None
        incident = incident_declare(
            title=alert.summary[:200], severity=severity, declared_by=None,
            services=[alert.service], at=now,
            summary=f"Declared by {integration.name}: {fired.reason}.",
            alert=alert, incident_type=integration.incident_type,
            connector=integration.connector,
        )
    elif fired is not None and fired.raises:
        _raise_to(incident, severity, fired.reason, now)
    Alert.objects.filter(pk=alert.pk).update(incident=incident)
    alert.incident = incident
    timeline.record(
        incident, Kind.ALERT, f"Alert from {integration.name}: {alert.summary[:300]}",
        at=now, name=integration.name, alert=alert.pk, reason=fired.reason if fired else "grouped",
    )
    return incident


@transaction.atomic
def connector_failure(*, connector: Connector, note: str, by=None, now=None) -> Incident | None:
    """A no-code connector is failing: every service that depends on it (directly or through
    other services) is impacted; declare, or widen and raise the open incident for it."""
    now = now or timezone.now()
    Connector.objects.filter(pk=connector.pk).update(failing_since=now, failure_note=note[:300])
    impacted = list(Service.objects.filter(pk__in=services_depending_on_connector(connector)))
    if not impacted:
        return None
    tier = min(s.tier for s in impacted)
    severity = TIER_SEVERITY[tier]
    why = f"connector {connector.name} failing: {note}".strip().rstrip(":")
    open_incident = (
        Incident.objects.open().filter(services__in=impacted, duplicate_of=None)
        .order_by("declared_at").first()
    )
    names = ", ".join(s.name for s in impacted)
    if open_incident is None:
        incident = incident_declare(
            title=f"{connector.name} failing"[:200], severity=severity, declared_by=by,
            services=impacted, summary=f"{why}. Impacted: {names}.", at=now,
            incident_type=IncidentType.CONNECTOR_FAILURE, connector=connector,
        )
    else:
        incident = open_incident
        incident.services.add(*impacted)
        _raise_to(incident, severity, why, now)
    timeline.record(
        incident, Kind.ALERT, f"Trigger: {why}. Impacted through the dependency graph: {names}.",
        by=by, at=now, connector=connector.pk, services=[s.pk for s in impacted],
    )
    return incident
