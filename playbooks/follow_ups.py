"""What a drill found that someone must fix, for its report and for the reviews app.

``drill_follow_ups(drill)`` lists each failure once, with the team that should own the
fix: an unreached stakeholder, a contact method that failed (or is flagged as failed),
a stakeholder with no usable contact method, a target service without a playbook, a
stale playbook.
"""

from dataclasses import dataclass

from incidents.models import ContactMethod, Person, Service, Team

from .measurement import DrillMeasurement, measure_drill
from .models import Drill, Playbook


@dataclass(frozen=True)
class FollowUp:
    kind: str  # unreached · contact_failed · no_contact · missing_playbook · stale_playbook
    summary: str
    owner_team: Team | None
    person: Person | None = None
    service: Service | None = None
    playbook: Playbook | None = None

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


KIND_LABELS = {
    "unreached": "Stakeholder not reached",
    "contact_failed": "Contact method failed",
    "no_contact": "No usable contact method",
    "missing_playbook": "No playbook",
    "stale_playbook": "Stale playbook",
}


def drill_follow_ups(drill: Drill, measurement: DrillMeasurement | None = None) -> list[FollowUp]:
    """The drill's failures, people first, then playbooks. Empty before the drill starts."""
    if drill.started_at is None:
        return []
    measurement = measurement or measure_drill(drill)
    services = sorted(drill.services.select_related("owner_team"), key=lambda s: (s.tier, s.name))
    owner = services[0].owner_team if services else None
    found: list[FollowUp] = []
    methods_told: set[int] = set()
    for result in measurement.results:
        person = result.stakeholder.person
        if not result.reached_in_window:
            found.append(FollowUp(
                kind="unreached",
                summary=_unreached_summary(result),
                owner_team=owner,
                person=person,
            ))
        for failure in result.failures:
            found.append(FollowUp(
                kind="contact_failed",
                summary=f"{result.name}: {failure.method} failed — {failure.error or 'no reason'}",
                owner_team=owner,
                person=person,
            ))
        if person is None:
            continue
        failed_here = {failure.method_id for failure in result.failures}
        flagged = ContactMethod.objects.filter(person=person).exclude(failure_reason="")
        for method in flagged:
            if method.pk not in failed_here and method.pk not in methods_told:
                methods_told.add(method.pk)
                found.append(FollowUp(
                    kind="contact_failed",
                    summary=f"{result.name}: {method.get_kind_display()} is flagged as failing "
                    f"— {method.failure_reason}",
                    owner_team=owner,
                    person=person,
                ))
        if not result.paged and not person.notification_rules.filter(
            urgency=result.stakeholder.urgency, contact_method__failure_reason=""
        ).exists():
            found.append(FollowUp(
                kind="no_contact",
                summary=f"{result.name} has no working contact method for "
                f"{result.stakeholder.get_urgency_display().lower()} pages.",
                owner_team=owner,
                person=person,
            ))
    found += _playbook_follow_ups(drill, services)
    return found


def _unreached_summary(result) -> str:
    window = f"{result.stakeholder.reach_window_minutes} min"
    if result.reached_after is not None:
        late = _minutes(result.reached_after)
        return f"{result.name} was reached after {late}, outside the {window} window."
    return f"{result.name} was not reached within {window} ({result.outcome})."


def _minutes(delta) -> str:
    seconds = int(delta.total_seconds())
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s"


def _playbook_follow_ups(drill: Drill, services: list[Service]) -> list[FollowUp]:
    found = []
    stale_told: set[int] = set()
    at = drill.started_at
    for service in services:
        playbooks = list(service.playbooks.select_related("owner_team"))
        if not playbooks:
            found.append(FollowUp(
                kind="missing_playbook",
                summary=f"{service.name} has no playbook.",
                owner_team=service.owner_team,
                service=service,
            ))
        for playbook in playbooks:
            if playbook.is_stale(at) and playbook.pk not in stale_told:
                stale_told.add(playbook.pk)
                found.append(_stale(playbook, service))
    scenario = drill.playbook
    if scenario is not None and scenario.is_stale(at) and scenario.pk not in stale_told:
        found.append(_stale(scenario, None))
    return found


def _stale(playbook: Playbook, service: Service | None) -> FollowUp:
    return FollowUp(
        kind="stale_playbook",
        summary=f"The playbook “{playbook.title}” was due for review on "
        f"{playbook.review_due_at:%d %b %Y}.",
        owner_team=playbook.owner_team,
        service=service,
        playbook=playbook,
    )
