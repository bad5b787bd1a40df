"""The live facts a playbook page shows beside its text, read from the catalog on every view:
owners, who is on call now, how to reach them, what the service needs, how fast each
severity must move. They are never written into the playbook, so they never go stale.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q

from incidents.catalog.impact import Neighbourhood, neighbourhood
from incidents.catalog.targets import minutes_label, targets_in_force
from incidents.models import ContactMethod, Person, ResponseTarget, Rotation, Service, Team
from incidents.oncall.schedule import Shift, on_call, plan_for, rotations_with_plans

from .models import Playbook


@dataclass(frozen=True)
class TargetRow:
    severity: str
    severity_label: str
    defined: bool
    overridden: bool
    acknowledge: str = "—"
    triage: str = "—"
    decision: str = "—"
    update: str = "—"


@dataclass(frozen=True)
class ServiceFacts:
    service: Service
    team: Team
    manager: Person | None
    rotation: Rotation | None
    shift: Shift | None
    on_call: Person | None
    graph: Neighbourhood
    targets: tuple[TargetRow, ...]


@dataclass(frozen=True)
class PlaybookFacts:
    owner_team: Team
    owner_manager: Person | None
    services: tuple[ServiceFacts, ...]
    default_targets: tuple[TargetRow, ...]


def live_facts(playbook: Playbook, now: datetime) -> PlaybookFacts:
    services = list(
        playbook.services.select_related("owner_team", "rotation").order_by("tier", "name")
    )
    target_rows = list(
        ResponseTarget.objects.filter(
            Q(service__isnull=True) | Q(service__in=[s.pk for s in services])
        )
    )
    shifts = _on_call_now(services, now)
    wanted = {playbook.owner_team.manager_id}
    for service in services:
        wanted.add(service.owner_team.manager_id)
        shift = shifts.get(service.rotation_id)
        if shift is not None and not shift.is_gap:
            wanted.add(shift.person.pk)
    people = _people_with_contacts({pk for pk in wanted if pk is not None})
    facts = []
    for service in services:
        shift = shifts.get(service.rotation_id)
        on_call_person = shift.person if shift is not None and not shift.is_gap else None
        facts.append(
            ServiceFacts(
                service=service,
                team=service.owner_team,
                manager=people.get(service.owner_team.manager_id),
                rotation=service.rotation,
                shift=shift,
                on_call=people.get(on_call_person.pk) if on_call_person else None,
                graph=neighbourhood(service),
                targets=_targets(target_rows, service.pk),
            )
        )
    return PlaybookFacts(
        owner_team=playbook.owner_team,
        owner_manager=people.get(playbook.owner_team.manager_id),
        services=tuple(facts),
        default_targets=() if services else _targets(target_rows, None),
    )


def _on_call_now(services: list[Service], now: datetime) -> dict[int, Shift]:
    ids = {s.rotation_id for s in services if s.rotation_id is not None}
    if not ids:
        return {}
    rotations = rotations_with_plans(Rotation.objects.filter(pk__in=ids), overrides_from=now)
    return {
        rotation.pk: on_call(plan_for(rotation, overrides_from=now), now) for rotation in rotations
    }


def _people_with_contacts(ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    methods = ContactMethod.objects.order_by("kind", "id")
    people = Person.objects.with_urgent_reachability().prefetch_related(
        Prefetch("contact_methods", queryset=methods)
    )
    return people.in_bulk(ids)


def _targets(rows, service_id: int | None) -> tuple[TargetRow, ...]:
    table = []
    for entry in targets_in_force(rows, service_id or 0):
        target = entry.target
        if target is None:
            table.append(
                TargetRow(entry.severity.value, entry.severity.label, False, entry.overridden)
            )
            continue
        table.append(
            TargetRow(
                severity=entry.severity.value,
                severity_label=entry.severity.label,
                defined=True,
                overridden=entry.overridden,
                acknowledge=minutes_label(target.acknowledge_minutes),
                triage=minutes_label(target.triage_minutes),
                decision=minutes_label(target.decision_minutes),
                update=minutes_label(target.update_minutes),
            )
        )
    return tuple(table)
