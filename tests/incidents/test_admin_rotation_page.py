"""The admin rotation page shows its layers with participants in turn order and who is on
call over the next four weeks, drawn as the on-call page draws shifts."""

from datetime import UTC, datetime, time

import pytest
import time_machine

from incidents.models import LayerParticipant

from .factories import make_person, make_rotation, make_team


@pytest.fixture
def rotation(db):
    ada, olu = make_person("Ada Lovelace"), make_person("Olu Adeyemi")
    rotation = make_rotation("Payments rota", people=[ada, olu], team=make_team("Payments"))
    # Turn order is by position, not by when a participant was added.
    LayerParticipant.objects.filter(person=ada).update(position=5)
    return rotation


def _page(client_as, rotation) -> str:
    answer = client_as("roster_admin").get(f"/admin/incidents/rotation/{rotation.pk}/change/")
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_participants_are_listed_in_turn_order(client_as, rotation):
    html = _page(client_as, rotation)
    participants = html.split('class="rotation-participants"')[1].split("</ol>")[0]
    assert participants.index("Olu Adeyemi") < participants.index("Ada Lovelace")


@time_machine.travel(datetime(2026, 1, 7, 12, 0, tzinfo=UTC), tick=False)
def test_the_next_four_weeks_of_shifts_are_drawn(client_as, rotation):
    shifts = _page(client_as, rotation).split('class="rotation-shifts"')[1].split("</ol>")[0]
    assert shifts.count("<li>") == 5
    assert "<strong>Olu Adeyemi</strong>\nfrom Wed 7 Jan, 12:00 UTC until Mon 12 Jan" in shifts
    assert "<strong>Ada Lovelace</strong>\nfrom Mon 12 Jan, 09:00 UTC until Mon 19 Jan" in shifts
    assert "from Mon 2 Feb, 09:00 UTC until Wed 4 Feb, 12:00 UTC" in shifts


@time_machine.travel(datetime(2026, 1, 7, 12, 0, tzinfo=UTC), tick=False)
def test_a_gap_in_the_next_four_weeks_is_named(client_as, rotation):
    # A daily window from 09:00 to 17:00 leaves the nights uncovered.
    rotation.layers.update(active_from=time(9), active_until=time(17))
    shifts = _page(client_as, rotation).split('class="rotation-shifts"')[1].split("</ol>")[0]
    assert '<span class="flag">Nobody</span>' in shifts


@pytest.mark.parametrize("name", ["commander", "responder", "leader", "comms", "outsider"])
def test_the_rotation_page_refuses_other_roles(client_as, rotation, name):
    answer = client_as(name).get(f"/admin/incidents/rotation/{rotation.pk}/change/")
    assert answer.status_code == 403
