"""Merging a duplicate into the incident that survives: tasks move, the duplicate is resolved
(so its paging stops), and both timelines say so."""

from datetime import UTC, datetime

import pytest
import time_machine

from incidents.models import Incident, Task
from incidents.services import (
    NotAllowed,
    TransitionRefused,
    incident_declare,
    incident_merge,
    task_add,
)

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)



def declare(title):
    return incident_declare(title=title, severity="sev2", declared_by=None)


def fresh(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


@pytest.fixture
def pair(db):
    survivor = declare("Stripe payouts failing")
    duplicate = declare("Payouts missing in the ledger")
    return survivor, duplicate


def test_the_duplicate_is_resolved_and_points_at_the_survivor(cast, pair):
    survivor, duplicate = pair
    with time_machine.travel(T0, tick=False):
        incident_merge(duplicate=duplicate, into=survivor, by=cast["commander"])
    duplicate = fresh(duplicate)
    assert duplicate.duplicate_of == survivor
    assert duplicate.status == "resolved"
    assert not duplicate.is_open  # nothing pages for a resolved incident
    assert duplicate.resolved_at == T0
    assert duplicate.mitigated_at == T0
    assert fresh(survivor).status == "triage"


def test_the_tasks_move_to_the_survivor(cast, pair):
    survivor, duplicate = pair
    task_add(incident=survivor, title="Check Stripe status", by=None)
    moved = [task_add(incident=duplicate, title=f"Task {n}", by=None) for n in range(2)]
    incident_merge(duplicate=duplicate, into=survivor, by=cast["commander"])
    assert set(Task.objects.filter(incident=survivor)) == {*moved, *survivor.tasks.all()}
    assert Task.objects.filter(incident=survivor).count() == 3
    assert not Task.objects.filter(incident=duplicate).exists()


def test_both_timelines_record_the_merge(cast, pair):
    survivor, duplicate = pair
    task_add(incident=duplicate, title="Reconcile", by=None)
    incident_merge(duplicate=duplicate, into=survivor, by=cast["responder"])
    there = duplicate.timeline.get(kind="merged")
    here = survivor.timeline.get(kind="merged")
    assert there.text == f"Marked a duplicate of {survivor.reference}; paging stopped."
    assert here.text == f"{duplicate.reference} merged in (1 tasks moved)."
    assert there.actor_name == here.actor_name == "Responder"
    assert there.details == {"into": survivor.pk}
    assert here.details == {"duplicate": duplicate.pk}


def test_an_incident_cannot_be_merged_into_itself(cast, pair):
    survivor, _ = pair
    with pytest.raises(TransitionRefused, match="duplicate of itself"):
        incident_merge(duplicate=survivor, into=survivor, by=cast["commander"])


def test_merging_into_a_resolved_incident_is_refused(cast, pair):
    survivor, duplicate = pair
    Incident.objects.filter(pk=survivor.pk).update(status="resolved")
    with pytest.raises(TransitionRefused, match="Merge into an open incident"):
        incident_merge(duplicate=duplicate, into=fresh(survivor), by=cast["commander"])
    assert fresh(duplicate).duplicate_of is None


def test_merging_into_a_duplicate_is_refused(cast, pair):
    survivor, duplicate = pair
    third = declare("Third")
    incident_merge(duplicate=duplicate, into=survivor, by=cast["commander"])
    with pytest.raises(TransitionRefused, match="not itself a duplicate"):
        incident_merge(duplicate=third, into=fresh(duplicate), by=cast["commander"])


def test_a_resolved_incident_cannot_be_merged(cast, pair):
    survivor, duplicate = pair
    Incident.objects.filter(pk=duplicate.pk).update(status="closed")
    with pytest.raises(TransitionRefused, match="Only an open incident"):
        incident_merge(duplicate=fresh(duplicate), into=survivor, by=cast["commander"])


@pytest.mark.parametrize("name", ["leader", "roster_admin", "outsider"])
def test_only_operators_may_merge(cast, pair, name):
    survivor, duplicate = pair
    with pytest.raises(NotAllowed):
        incident_merge(duplicate=duplicate, into=survivor, by=cast[name])
    assert fresh(duplicate).is_open


# --- From the page --------------------------------------------------------------------------


def merge_post(client, duplicate, into):
    return client.post(duplicate.get_absolute_url(), {"action": "merge", "merge-into": into})


def test_merge_by_number_from_the_page_and_both_pages_show_it(client_as, pair):
    survivor, duplicate = pair
    client = client_as("responder")
    response = merge_post(client, duplicate, survivor.pk)
    assert response.status_code == 302
    assert fresh(duplicate).duplicate_of == survivor
    page = client.get(duplicate.get_absolute_url()).text
    assert f"{duplicate.reference} is now a duplicate of {survivor.reference}." in page
    assert "A duplicate of" in page
    assert f'href="{survivor.get_absolute_url()}">{survivor.reference}</a>: work continues' in page
    assert 'name="action" value="merge"' not in page
    survivor_page = client.get(survivor.get_absolute_url()).text
    assert f'Merged in: <a href="{duplicate.get_absolute_url()}">{duplicate.reference}</a>' in (
        survivor_page
    )


@pytest.mark.parametrize(
    "into, problem",
    [
        (999, "There is no incident INC-999."),
        ("ten", "Enter a whole number."),
        ("", "This field is required."),
        (0, "greater than or equal to 1"),
        (10**30, "less than or equal to"),
    ],
)
def test_a_bad_number_is_answered_plainly_and_nothing_merges(client_as, pair, into, problem):
    _, duplicate = pair
    response = merge_post(client_as("commander"), duplicate, into)
    assert response.status_code == 400
    assert problem in response.text
    assert fresh(duplicate).is_open


def test_merging_into_itself_from_the_page_is_refused(client_as, pair):
    _, duplicate = pair
    response = merge_post(client_as("commander"), duplicate, duplicate.pk)
    assert response.status_code == 400
    assert "cannot be a duplicate of itself" in response.text


def test_merging_into_a_closed_incident_from_the_page_says_why(client_as, pair):
    survivor, duplicate = pair
    Incident.objects.filter(pk=survivor.pk).update(status="closed")
    response = merge_post(client_as("commander"), duplicate, survivor.pk)
    assert response.status_code == 400
    assert "Merge into an open incident that is not itself a duplicate." in response.text
    assert fresh(duplicate).is_open


def test_leadership_cannot_merge_from_the_page(client_as, pair):
    survivor, duplicate = pair
    assert merge_post(client_as("leader"), duplicate, survivor.pk).status_code == 403
    assert fresh(duplicate).is_open
