"""Finding 10, first half: the public status page and its feed name incidents and updates by
opaque public ids, never by row numbers (which told how many incidents there had been,
drills included); drills never show."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from incidents.comms.publish import update_publish
from incidents.comms.render import Draft
from incidents.models import Incident
from incidents.services import incident_declare
from tests.incidents.factories import make_service

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ANSWERS = {
    "what_happened": "The sign-up workflow times out.",
    "current_impact": "A third of sign-ups fail.",
    "being_done": "Failing over.",
    "responsible": "The onboarding team",
    "expected_timeline": "Within the hour.",
}


@pytest.fixture
def published(cast):
    """A public incident with two public updates, and a drill with a public update."""
    signup = make_service("Sign-up flow", tier=1, public=True)
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        # Row numbers a visitor could read the incident count from.
        for number in range(3):
            incident_declare(
                title=f"Old {number}", severity="sev4", declared_by=cast["commander"]
            )
        incident = incident_declare(
            title="Sign-ups failing", severity="sev2", services=[signup],
            declared_by=cast["commander"],
        )
        drill = incident_declare(
            title="Drill on sign-ups", severity="sev2", services=[signup],
            declared_by=cast["commander"],
        )
    updates = []
    for minutes, target in ((5, incident), (10, drill), (20, incident)):
        at = NOW - timedelta(hours=1) + timedelta(minutes=minutes)
        with time_machine.travel(at, tick=False):
            updates.append(update_publish(
                incident=target, by=cast["commander"], now=at, confirm_flagged=True,
                draft=Draft(**ANSWERS, visibility="public",
                            customer_headline=f"Slow sign-ups ({target.title})",
                            customer_wording=f"Looking into it ({target.title})."),
            ))
    # A drill cannot publish (update_publish refuses): make one that did, to show that the
    # public pages leave drills out whatever their updates say.
    Incident.objects.filter(pk=drill.pk).update(is_drill=True)
    return {"incident": incident, "drill": drill, "updates": [updates[0], updates[2]],
            "drill_update": updates[1]}


def _get(client, url):
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_status_page_names_incidents_and_updates_by_public_id_only(client, published):
    page = _get(client, "/status/")
    assert not re.search(r'id="(incident|update)-\d{1,12}"', page)
    incident = published["incident"]
    assert f'id="incident-{incident.public_id}"' in page
    assert {f'id="update-{u.public_id}"' for u in published["updates"]} <= set(
        re.findall(r'id="update-[^"]+"', page)
    )
    assert re.fullmatch(r"[0-9a-f]{16}", incident.public_id)


def test_the_feed_names_entries_by_public_id_only(client, published):
    feed = _get(client, "/status/feed.atom")
    assert not re.search(r"#(incident|update)-\d{1,12}\b", feed)
    incident = published["incident"]
    links = set(re.findall(r'href="[^"]*#(incident-[^"]+)"', feed))
    ids = set(re.findall(r"<id>[^<]*#(update-[^<]+)</id>", feed))
    assert links == {f"incident-{incident.public_id}"}
    assert ids == {f"update-{u.public_id}" for u in published["updates"]}


def test_drills_never_reach_the_page_or_the_feed(client, published):
    drill, update = published["drill"], published["drill_update"]
    for url in ("/status/", "/status/feed.atom"):
        text = _get(client, url)
        assert "Drill on sign-ups" not in text
        assert drill.public_id not in text and update.public_id not in text


def test_public_ids_are_unique_and_fixed_at_creation(published):
    ids = list(Incident.objects.values_list("public_id", flat=True))
    assert len(ids) == len(set(ids)) == 5
    incident = published["incident"]
    before = incident.public_id
    incident.save()
    incident.refresh_from_db()
    assert incident.public_id == before


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_incidents_and_updates_a_public_id_each():
    executor = MigrationExecutor(connection)
    before, after = ("incidents", "0009_event_queue_index"), ("incidents", "0012_public_ids_unique")
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    team = old.get_model("incidents", "Team").objects.create(name="Onboarding", slug="onboarding")
    model = old.get_model("incidents", "Incident")
    incidents = [model.objects.create(title=f"Old {n}", severity="sev3") for n in range(3)]
    old.get_model("incidents", "StatusUpdate").objects.create(
        incident=incidents[0], what_happened="x", current_impact="x", being_done="x",
        responsible="x", expected_timeline="x", incident_status="triage", posted_by_name="x",
    )
    assert team.pk
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    new = executor.loader.project_state([after]).apps
    ids = list(new.get_model("incidents", "Incident").objects.values_list("public_id", flat=True))
    update_ids = list(
        new.get_model("incidents", "StatusUpdate").objects.values_list("public_id", flat=True)
    )
    assert len(set(ids)) == 3 and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    assert len(update_ids) == 1 and update_ids[0] not in ids
