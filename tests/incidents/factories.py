"""Small builders for catalog and roster rows, shared by the incidents tests."""

import itertools
from datetime import date, time

from incidents.models import (
    ContactMethod,
    LayerParticipant,
    NotificationRule,
    Person,
    Rotation,
    RotationLayer,
    Service,
    Team,
)

_seq = itertools.count(1)


def make_team(name: str | None = None, **fields) -> Team:
    name = name or f"Team {next(_seq)}"
    return Team.objects.create(name=name, slug=fields.pop("slug", _slug(name)), **fields)


def make_person(name: str | None = None, *, team: Team | None = None, **fields) -> Person:
    person = Person.objects.create(name=name or f"Person {next(_seq)}", **fields)
    if team is not None:
        person.teams.add(team)
    return person


def make_service(name: str | None = None, **fields) -> Service:
    name = name or f"Service {next(_seq)}"
    fields.setdefault("business_process", "Customer onboarding")
    fields.setdefault("platform", "zapier")
    if "owner_team" not in fields:
        fields["owner_team"] = make_team()
    return Service.objects.create(name=name, slug=fields.pop("slug", _slug(name)), **fields)


def make_reachable(person: Person, email: str | None = None) -> ContactMethod:
    """Give ``person`` an email method and an urgent rule using it at once."""
    method = ContactMethod.objects.create(
        person=person, kind=ContactMethod.Kind.EMAIL, address=email or f"p{person.pk}@example.org"
    )
    NotificationRule.objects.create(
        person=person, urgency="urgent", contact_method=method, delay_minutes=0
    )
    return method


def make_pageable(person: Person) -> Person:
    """``person`` with one email method used by both an urgent and a routine rule."""
    method = make_reachable(person)
    NotificationRule.objects.create(person=person, urgency="routine", contact_method=method)
    return person


def make_rotation(
    name: str | None = None,
    *,
    people: list[Person],
    team: Team | None = None,
    time_zone: str = "UTC",
    starts_on: date = date(2026, 1, 5),
    handoff_time: time = time(9, 0),
    shift_length: int = 1,
    shift_unit: str = "weeks",
) -> Rotation:
    name = name or f"Rotation {next(_seq)}"
    rotation = Rotation.objects.create(
        name=name, slug=_slug(name), team=team or make_team(), time_zone=time_zone
    )
    layer = RotationLayer.objects.create(
        rotation=rotation,
        starts_on=starts_on,
        handoff_time=handoff_time,
        shift_length=shift_length,
        shift_unit=shift_unit,
    )
    for position, person in enumerate(people):
        LayerParticipant.objects.create(layer=layer, person=person, position=position)
    return rotation


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")
