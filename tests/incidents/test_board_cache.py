"""The board's cards are kept between polls: what must draw a card again, and what must not.
The query counts hold on SQLite and PostgreSQL alike."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident, IncidentRoleKind, Tier
from incidents.services import incident_acknowledge, incident_assign_role, incident_declare
from tests.incidents.factories import make_person, make_service

URL = "/board/"
HTMX = {"HX-Request": "true"}
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
AUTHENTICATION_QUERIES = 3  # session, user, the user's roles
# The version, the viewer's person and the open incidents: with every card in the cache,
# none of their services, seats or response targets is read.
CACHED_QUERIES = AUTHENTICATION_QUERIES + 3
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def payments(db):
    return make_service("Checkout", tier=Tier.CRITICAL, business_process="Payments")


def declare(title, *services, severity="sev2", age=timedelta(0)):
    return incident_declare(
        title=title, severity=severity, declared_by=None, services=services, at=NOW - age
    )


def card_of(response, incident: Incident) -> str:
    """One card's HTML, without the CSRF fields (masked afresh in every response)."""
    page = response.content.decode()
    found = re.search(rf'<li class="card board-card[^"]*" id="incident-{incident.pk}">.*?</li>\n'
                      r"(?=<li class=\"card|\s*</ol>)", page, re.S)
    assert found, f"no card for {incident.reference}"
    return TOKEN.sub("", found.group(0))


def test_a_second_load_takes_every_card_from_the_cache(client_as, clock, payments):
    incidents = [declare(f"Checkout {n}", payments) for n in range(3)]
    client = client_as("commander")
    first = client.get(URL, headers=HTMX)

    with CaptureQueriesContext(connection) as queries:
        second = client.get(URL, headers=HTMX)

    assert len(queries) == CACHED_QUERIES, "\n".join(q["sql"] for q in queries)
    for incident in incidents:
        assert card_of(second, incident) == card_of(first, incident)


def test_a_change_draws_only_the_changed_card_again(client_as, clock, payments):
    # Older than a minute: younger cards say their age in seconds, and move every second.
    changed = declare("Checkout down", payments, age=timedelta(minutes=10))
    unchanged = declare("Checkout slow", payments, age=timedelta(minutes=10))
    client = client_as("commander")
    before = client.get(URL, headers=HTMX)

    clock.shift(timedelta(seconds=2))
    incident_acknowledge(incident=changed, by=None, name="Pager link")
    after = client.get(URL, headers=HTMX)

    assert "Not acknowledged" in card_of(before, changed)
    assert '<span class="tag">Acknowledged</span>' in card_of(after, changed)
    assert card_of(after, unchanged) == card_of(before, unchanged)


def test_ages_and_clocks_move_on_while_the_incident_does_not(client_as, clock, payments):
    incident = declare("Checkout down", payments, severity="sev1")
    client = client_as("commander")
    card = card_of(client.get(URL, headers=HTMX), incident)
    assert ">0 s</time> ago" in card
    assert "5 min left" in card

    clock.shift(timedelta(minutes=3))
    card = card_of(client.get(URL, headers=HTMX), incident)

    assert ">3 min</time> ago" in card
    assert "2 min left" in card  # of the five minutes a SEV1 has to be acknowledged


def test_cards_differ_per_viewer(client_as, clock, payments, cast):
    incident = declare("Checkout down", payments)
    ana = make_person("Ana Ruiz", user=cast["commander"])
    incident_assign_role(
        incident=incident, kind=IncidentRoleKind.COMMANDER, person=ana, by=cast["commander"]
    )
    commander_card = card_of(client_as("commander").get(URL, headers=HTMX), incident)
    leader_card = card_of(client_as("leader").get(URL, headers=HTMX), incident)

    assert "Ana Ruiz <strong>(you)</strong>" in commander_card
    assert "I&#x27;ll be IC" not in commander_card  # already the commander
    assert "(you)" not in leader_card
    assert "board-actions" not in leader_card  # leadership reads, never acts


def test_a_cached_card_carries_each_session_its_own_csrf_token(cast, clock, payments):
    """The same person on two browsers: the second is served the card the first one drew,
    and its quick action must still pass the CSRF check with its own cookie."""
    incident = declare("Checkout down", payments)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for browser in (first, second):
        browser.force_login(cast["commander"])
    first.get(URL, headers=HTMX)

    page = second.get(URL, headers=HTMX).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = second.post(
        f"{URL}{incident.pk}/acknowledge/", {"csrfmiddlewaretoken": token}, headers=HTMX
    )

    assert response.status_code == 200
    assert Incident.objects.get(pk=incident.pk).acknowledged_at is not None


def test_a_filtered_board_sends_its_quick_actions_back_to_the_same_filters(
    client_as, clock, payments
):
    incident = declare("Checkout down", payments, severity="sev1")
    client = client_as("commander")
    client.get(URL, headers=HTMX)  # the unfiltered cards, now cached

    card = card_of(client.get(f"{URL}?severity=sev1", headers=HTMX), incident)

    assert 'name="next" value="/board/?severity=sev1"' in card


def test_a_step_that_reached_nobody_is_flagged_on_the_card(client_as, clock, payments):
    incident = declare("Checkout down", payments)
    gap = "Escalation step 1 of 2, round 1 reached nobody; fallback paged: nobody."
    Incident.objects.filter(pk=incident.pk).update(paging_gap=gap, updated_at=NOW)

    card = card_of(client_as("responder").get(URL, headers=HTMX), incident)

    assert gap in card
