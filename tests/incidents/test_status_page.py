"""/status/ and /status/feed.atom: public services by business area, public incidents with
their customer updates, maintenance, history; and nothing internal, ever."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from incidents.comms.maintenance import maintenance_schedule
from incidents.comms.public import day_statuses
from incidents.comms.publish import update_publish
from incidents.comms.render import Draft
from incidents.models import Connector, StatusUpdate
from incidents.services import incident_assign_role, incident_declare
from tests.incidents.factories import make_person, make_service

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ANSWERS = {
    "what_happened": "The n8n verification workflow times out.",
    "current_impact": "A third of sign-ups fail.",
    "being_done": "Failing over to the standby provider.",
    "responsible": "Cara Comms, Rita Novak",
    "expected_timeline": "Within the hour.",
    "technical_detail": "504 from verify-eu-west",
}
# Words that must never reach the public pages.
INTERNAL = [
    "Records base", "Verify API", "Cara Comms", "Rita Novak", "504 from verify-eu-west",
    "INTERNAL-ONLY", "Quiet checkout trouble", "Drill on sign-ups", "Records outage",
    "SEV2", "INC-", "n8n verification workflow",
]


@pytest.fixture
def world(cast):
    comms = make_person("Cara Comms", user=cast["comms"])
    make_person("Rita Novak")
    signup = make_service("Sign-up flow", tier=1, public=True,
                          business_process="Customer onboarding")
    checkout = make_service("Checkout", tier=1, public=True, business_process="Payments")
    records = make_service("Records base", tier=2, public=False,
                           business_process="Customer onboarding")
    signup.connectors.add(
        Connector.objects.create(name="Verify API (n8n)", vendor="Verify", platform="n8n")
    )

    def declare(title, services, **fields):
        with time_machine.travel(NOW - timedelta(hours=2), tick=False):
            incident = incident_declare(
                title=title, severity="sev2", services=services, declared_by=cast["responder"],
                **fields,
            )
            incident_assign_role(incident=incident, kind="communications_lead", person=comms,
                                 by=cast["commander"])
        return incident

    def post(incident, minutes, **changes):
        at = NOW - timedelta(hours=2) + timedelta(minutes=minutes)
        with time_machine.travel(at, tick=False):
            return update_publish(
                incident=incident, draft=Draft(**{**ANSWERS, **changes}), by=cast["comms"],
                now=at, confirm_flagged=True,
            )

    public = declare("Verification timeouts", [signup, records])
    first = post(public, 5, visibility="public", customer_headline="Slow sign-ups",
                 customer_wording="We are looking into slow sign-ups.")
    post(public, 10, what_happened="INTERNAL-ONLY: the Records base lost its index.")
    last = post(public, 20, visibility="public", customer_headline="Slow sign-ups",
                customer_wording="Sign-ups are recovering.")
    quiet = declare("Quiet checkout trouble", [checkout])
    post(quiet, 5, what_happened="INTERNAL-ONLY checkout note")
    drill = declare("Drill on sign-ups", [signup], is_drill=True)
    post(drill, 5, what_happened="INTERNAL-ONLY drill note")
    internal_only = declare("Records outage", [records])
    post(internal_only, 5, visibility="public", customer_wording="INTERNAL-ONLY records")
    return {"public": public, "updates": [first, last], "signup": signup, "records": records,
            "checkout": checkout, "cast": cast}


def get_page(client):
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("incidents:status_page"))
    assert response.status_code == 200
    return response.content.decode()


def get_feed(client):
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse("incidents:status_feed"))


def test_the_status_page_needs_no_login(client, db):
    assert client.get("/status/").status_code == 200
    assert client.get("/status/feed.atom").status_code == 200


def test_public_services_are_grouped_by_business_area_with_their_status(client, world):
    page = get_page(client)
    assert "<h3>Customer onboarding</h3>" in page and "<h3>Payments</h3>" in page
    assert re.search(r"Sign-up flow</span>\s*<span class=\"sp-status sp-partial_outage\">"
                     r"Partial outage", page)
    # Declaring sets the status even before any public update: the incident stays unnamed.
    assert re.search(r"Checkout</span>\s*<span class=\"sp-status sp-partial_outage\">"
                     r"Partial outage", page)
    assert "Partial outage" in page.split('id="overall"')[1][:200]


def test_the_active_public_incident_shows_its_customer_updates_newest_first(client, world):
    page = get_page(client)
    assert "Slow sign-ups" in page
    assert page.index("Sign-ups are recovering.") < page.index("We are looking into slow")
    shown = set(re.findall(r'id="update-([0-9a-f]+)"', page))
    assert shown == {u.public_id for u in world["updates"]}


@pytest.mark.parametrize("word", INTERNAL)
def test_nothing_internal_reaches_the_page(client, world, word):
    assert word not in get_page(client)


@pytest.mark.parametrize("word", INTERNAL)
def test_nothing_internal_reaches_the_feed(client, world, word):
    assert word not in get_feed(client).content.decode()


def test_the_feed_has_exactly_the_public_updates(client, world):
    response = get_feed(client)
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = response.content.decode()
    ids = set(re.findall(r"#update-([0-9a-f]+)</id>", feed))
    public = StatusUpdate.objects.filter(
        visibility="public", incident=world["public"]
    ).values_list("public_id", flat=True)
    assert ids == set(public) == {u.public_id for u in world["updates"]}
    assert "Sign-ups are recovering." in feed
    assert "<title>Investigating: Slow sign-ups</title>" in feed


def test_public_maintenance_shows_with_its_public_services_only(client, world):
    cast = world["cast"]
    with time_machine.travel(NOW, tick=False):
        maintenance_schedule(
            title="Payment provider upgrade", services=[world["checkout"], world["records"]],
            starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=1),
            description="Checkout may pause for a few minutes.", by=cast["responder"],
        )
        maintenance_schedule(
            title="Quiet internal work", services=[world["checkout"]], public=False,
            starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=1),
            by=cast["responder"],
        )
        maintenance_schedule(
            title="Records reindex", services=[world["records"]],
            starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=1),
            by=cast["responder"],
        )
    page = get_page(client)
    section = page.split('id="maintenance"')[1].split("</section>")[0]
    assert "Payment provider upgrade" in section and "Checkout may pause" in section
    assert "Checkout" in section and "Records base" not in section
    assert "Quiet internal work" not in page and "Records reindex" not in page


def test_each_public_service_has_a_ninety_day_history_bar(client, world):
    page = get_page(client)
    bars = re.findall(r'<ol class="sp-bar"[^>]*>(.*?)</ol>', page, re.S)
    assert len(bars) == 2
    days = [re.findall(r'class="sp-day sp-(\w+)"', bar) for bar in bars]
    assert all(len(d) == 90 for d in days)
    signup, checkout = days  # Customer onboarding comes before Payments
    assert signup[-1] == "partial_outage" and set(signup[:-1]) == {"operational"}
    # Today shows the current status of the quiet incident's service too.
    assert checkout[-1] == "partial_outage" and set(checkout[:-1]) == {"operational"}
    assert 'title="02 Mar 2026: partial outage"' in page


def test_a_resolved_public_incident_moves_to_the_recent_section(client, world):
    from incidents.services import incident_set_status

    with time_machine.travel(NOW - timedelta(minutes=30), tick=False):
        incident_set_status(
            incident=world["public"], status="resolved", by=world["cast"]["commander"]
        )
    page = get_page(client)
    assert 'id="incidents"' not in page
    recent = page.split('id="recent"')[1]
    assert "Sign-ups are recovering." in recent
    assert re.search(r"Sign-up flow</span>\s*<span class=\"sp-status sp-operational\">", page)


# --- the history bar's one source -----------------------------------------------------------


def at(day, hour=0):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_day_statuses_marks_each_touched_day_with_its_worst_status():
    statuses = day_statuses(
        [
            (at(1, 22), at(2, 1), "degraded"),
            (at(2, 10), at(2, 11), "major_outage"),
            (at(3, 0), at(4, 0), "maintenance"),  # ends at midnight: the 4th is untouched
        ],
        date(2026, 3, 1), days=5,
    )
    assert statuses == ["degraded", "major_outage", "maintenance", "operational", "operational"]


def test_day_statuses_clips_intervals_outside_the_window():
    statuses = day_statuses(
        [(at(1) - timedelta(days=30), at(1, 5), "partial_outage"),
         (at(5), at(9), "degraded")],
        date(2026, 3, 1), days=3,
    )
    assert statuses == ["partial_outage", "operational", "operational"]
