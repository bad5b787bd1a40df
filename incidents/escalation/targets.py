"""Who a step target means right now."""

from datetime import datetime

from ..models import AudienceGroup, Incident, IncidentRole, Person, Rotation, Team
from ..oncall.schedule import on_call, plan_for, rotations_with_plans


def _on_call(rotation_ids, now: datetime) -> list[Person]:
    rotations = rotations_with_plans(Rotation.objects.filter(pk__in=rotation_ids))
    people = []
    for rotation in rotations:
        shift = on_call(plan_for(rotation, overrides_from=now), now)
        if not shift.is_gap:
            people.append(shift.person)
    return people


def resolve(target: dict, incident: Incident, now: datetime) -> list[Person]:
    """The people ``target`` (a snapshot dict) reaches for ``incident`` at ``now``."""
    kind = target["kind"]
    if kind == "rotation":
        return _on_call([target["rotation"]], now)
    if kind == "service_rotation":
        ids = incident.services.exclude(rotation=None).values_list("rotation", flat=True)
        return _on_call(set(ids), now)
    if kind == "person":
        return list(Person.objects.filter(pk=target["person"]))
    if kind == "team":
        team = Team.objects.filter(pk=target["team"]).first()
        return list(team.members.all()) if team else []
    if kind == "team_manager":
        managers = incident.services.exclude(owner_team__manager=None).values_list(
            "owner_team__manager", flat=True
        )
        return list(Person.objects.filter(pk__in=set(managers)))
    if kind == "incident_role":
        holders = IncidentRole.objects.filter(incident=incident, kind=target["incident_role"])
        return list(Person.objects.filter(pk__in=holders.values("holder")))
    if kind == "audience":
        audience = AudienceGroup.objects.filter(pk=target["audience"]).first()
        return list(audience.members.all()) if audience else []
    return []


def fallback(plan: dict, incident: Incident, now: datetime) -> list[Person]:
    """Whom to page when a step reaches nobody: the policy's fallback, else the managers of
    the owner teams."""
    if plan.get("fallback_rotation"):
        people = _on_call([plan["fallback_rotation"]], now)
        if people:
            return people
    if plan.get("fallback_person"):
        people = list(Person.objects.filter(pk=plan["fallback_person"]))
        if people:
            return people
    return resolve({"kind": "team_manager"}, incident, now)
