"""/board/: who may read it, what a card shows, its order and its filters."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents.models import Incident, IncidentRoleKind, Tier
from incidents.services import (
    incident_acknowledge,
    incident_assign_role,
    incident_declare,
    incident_set_status,
)
from tests.incidents.factories import make_person, make_service, make_team

URL = "/board/"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def catalog(db):
    payments = make_team("Payments team", slug="payments")
    growth = make_team("Growth", slug="growth")
    return {
        "checkout": make_service(
            "Checkout flow", tier=Tier.CRITICAL, business_process="Payments", owner_team=payments
        ),
        "signup": make_service(
            "Signup form",
            tier=Tier.CRITICAL,
            business_process="Customer onboarding",
            owner_team=growth,
        ),
        "wiki": make_service(
            "Team wiki", tier=Tier.LOW, business_process="Internal knowledge", owner_team=growth
        ),
    }


def declare(title, severity, *services, minutes_ago=0, **fields):
    return incident_declare(
        title=title,
        severity=severity,
        declared_by=None,
        services=services,
        at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


def card_titles(response) -> list[str]:
    return [incident.title for incident in response.context["incidents"]]


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


@pytest.mark.parametrize("username", ["leader", "commander", "responder", "comms"])
def test_leadership_and_operators_may_read_the_board(client_as, username):
    response = client_as(username).get(URL)
    assert response.status_code == 200
    assert "Incident board" in response.content.decode()


@pytest.mark.parametrize("username", ["roster_admin", "outsider"])
def test_roster_admins_and_outsiders_are_refused(client_as, username):
    assert client_as(username).get(URL).status_code == 403
    assert client_as(username).get(URL, headers={"HX-Request": "true"}).status_code == 403


def test_board_answers_get_only(client_as):
    assert client_as("responder").post(URL).status_code == 405


@time_machine.travel(NOW, tick=False)
def test_cards_are_sorted_by_severity_then_oldest_first(client_as, cast, catalog):
    declare("Newer SEV2", "sev2", minutes_ago=5)
    declare("SEV3", "sev3", minutes_ago=90)
    declare("Older SEV2", "sev2", minutes_ago=30)
    declare("SEV1", "sev1", minutes_ago=1)
    resolved = declare("Resolved SEV1", "sev1", minutes_ago=60)
    incident_set_status(incident=resolved, status="resolved", by=cast["commander"])

    response = client_as("responder").get(URL)

    assert card_titles(response) == ["SEV1", "Older SEV2", "Newer SEV2", "SEV3"]


@time_machine.travel(NOW, tick=False)
def test_a_card_shows_severity_services_processes_age_clocks_and_drill(client_as, catalog):
    incident = declare(
        "Card payments fail",
        "sev1",
        catalog["checkout"],
        catalog["signup"],
        minutes_ago=12,
        is_drill=True,
    )

    page = client_as("leader").get(URL).content.decode()

    assert f'id="incident-{incident.pk}"' in page
    assert '<span class="sev sev-sev1">SEV1</span>' in page
    assert f"INC-{incident.pk} · Card payments fail" in page
    assert '<span class="badge-drill">Drill</span>' in page
    assert '<a href="/services/checkout-flow/">Checkout flow</a>' in page
    assert "Customer onboarding, Payments" in page
    assert ">12 min</time> ago" in page
    assert "No update yet" in page
    assert "Not acknowledged" in page
    # SEV1 targets: acknowledge in 5 min (breached 7 min ago), triage in 15 (3 min left).
    assert 'class="clock clock-breached"' in page
    assert 'class="clock clock-near"' in page
    assert "clocks.js" in page


@time_machine.travel(NOW, tick=False)
def test_the_title_links_to_the_incident_page(client_as, catalog):
    incident = declare("Linked", "sev2")
    page = client_as("responder").get(URL).content.decode()
    assert f'<a href="/incidents/{incident.pk}/">INC-{incident.pk} · Linked</a>' in page


@time_machine.travel(NOW, tick=False)
def test_last_update_age_is_shown_when_an_update_was_published(client_as, catalog):
    declare("Updated", "sev2", minutes_ago=50)
    Incident.objects.update(last_update_at=NOW - timedelta(minutes=20))
    page = client_as("responder").get(URL).content.decode()
    assert ">20 min</time> ago" in page
    assert "No update yet" not in page


@time_machine.travel(NOW, tick=False)
def test_an_incident_without_commander_is_flagged_and_open_seats_listed(client_as, cast, catalog):
    without = declare("Nobody leads", "sev2")
    led = declare("Led", "sev2")
    ana = make_person("Ana Ruiz", user=cast["commander"])
    incident_assign_role(
        incident=led, kind=IncidentRoleKind.COMMANDER, person=ana, by=cast["commander"]
    )

    response = client_as("commander").get(URL)
    page = response.content.decode()
    cards = dict(zip(response.context["incidents"], response.context["cards"], strict=True))

    assert "No commander" in cards[without]
    assert "No commander" not in cards[led]
    assert page.count("No commander") == 1
    assert "Incident commander: Ana Ruiz <strong>(you)</strong>" in page
    open_seats = "Open seats: Communications lead, Technical lead (no-code), Business liaison"
    assert page.count(open_seats) == 2  # the commander's seat is flagged, not listed


def test_an_empty_board_says_so(client_as):
    assert "No open incidents." in client_as("responder").get(URL).content.decode()


@pytest.fixture
def spread(catalog, cast):
    ana = make_person("Ana", user=cast["responder"])
    incidents = {
        "checkout_sev1": declare("Checkout down", "sev1", catalog["checkout"]),
        "signup_sev2": declare("Signup slow", "sev2", catalog["signup"]),
        "wiki_sev3": declare("Wiki stale", "sev3", catalog["wiki"]),
        "both_sev2": declare("Both broken", "sev2", catalog["checkout"], catalog["wiki"]),
    }
    incident_assign_role(
        incident=incidents["wiki_sev3"],
        kind=IncidentRoleKind.TECHNICAL_LEAD,
        person=ana,
        by=cast["commander"],
    )
    return incidents


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("severity=sev2", {"Signup slow", "Both broken"}),
        ("service=checkout-flow", {"Checkout down", "Both broken"}),
        ("team=payments", {"Checkout down", "Both broken"}),
        ("team=growth", {"Signup slow", "Wiki stale", "Both broken"}),
        ("team=growth&severity=sev2", {"Signup slow", "Both broken"}),
        ("mine=on", {"Wiki stale"}),
    ],
)
def test_filters_narrow_the_cards(client_as, spread, query, expected):
    response = client_as("responder").get(f"{URL}?{query}")
    titles = card_titles(response)
    assert set(titles) == expected
    assert len(titles) == len(expected)  # an incident on two of a team's services is one card
    assert f"{len(expected)} of 4 open incidents match" in response.content.decode()


def test_filters_also_answer_htmx_with_the_cards_alone(client_as, spread):
    response = client_as("responder").get(f"{URL}?severity=sev1", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="board"')
    assert "Checkout down" in page and "Signup slow" not in page
    assert "<html" not in page
    # The next poll keeps the filter and carries the version it was drawn at.
    assert "severity=sev1&amp;v=" in page
    assert "HX-Request" in response["Vary"]


def test_mine_without_a_person_record_explains_why_nothing_is_shown(client_as, spread):
    page = client_as("commander").get(f"{URL}?mine=on").content.decode()
    assert "not linked to a person in the roster" in page
    assert "No open incident matches these filters." in page


@pytest.mark.parametrize(
    "query", ["service=no-such-service", "severity=sev9", "team=%00", "team=" + "x" * 500]
)
def test_a_bad_filter_shows_every_incident_with_the_error(client_as, spread, query):
    response = client_as("responder").get(f"{URL}?{query}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Some filters are not valid" in page
    assert len(card_titles(response)) == 4


def test_leadership_reads_cards_without_any_action(client_as, spread):
    page = client_as("leader").get(URL).content.decode()
    assert "Checkout down" in page
    assert 'method="post" action="/board/' not in page
    for action in ("Acknowledge</button>", "I'll be IC", "Raise to", "Post note"):
        assert action not in page


def test_operators_see_the_quick_actions_on_each_card(client_as, spread):
    page = client_as("responder").get(URL).content.decode()
    assert page.count("Acknowledge</button>") == 4
    assert page.count("I'll be IC") == 4
    assert "Raise to SEV1" in page and "Raise to SEV2" in page
    assert page.count("Post note") == 4


@time_machine.travel(NOW, tick=False)
def test_acknowledged_incident_loses_its_acknowledge_button(client_as, cast, catalog):
    incident = declare("Seen", "sev2")
    incident_acknowledge(incident=incident, by=cast["responder"])
    page = client_as("responder").get(URL).content.decode()
    assert "Acknowledge</button>" not in page
    assert '<span class="tag">Acknowledged</span>' in page


def test_the_page_polls_its_cards_every_five_seconds_from_the_version_it_shows(client_as, spread):
    response = client_as("leader").get(f"{URL}?team=growth")
    page = response.content.decode()
    version = response.context["version"]
    assert 'hx-trigger="every 5s"' in page
    assert f'hx-get="/board/?team=growth&amp;v={version}"' in page
    assert "clocks.js" in page
