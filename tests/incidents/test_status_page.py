"""/status/ and /status/feed.atom: public services by business area, public incidents with
their customer updates, maintenance, history; and nothing internal, ever."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.comms.maintenance import maintenance_schedule
from incidents.comms.public import recorded_days
from incidents.comms.publish import update_publish
from incidents.comms.render import Draft
from incidents.comms.service_status import status_record
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


def bars_of(page):
    bars = re.findall(r'<ol class="sp-bar"[^>]*>(.*?)</ol>', page, re.S)
    return [re.findall(r'class="sp-day sp-(\w+)"', bar) for bar in bars]


def test_each_public_service_has_a_fourteen_day_bar_from_its_recorded_status(client, world):
    page = get_page(client)
    days = bars_of(page)
    assert len(days) == 2 and all(len(d) == 14 for d in days)
    signup, checkout = days  # Customer onboarding comes before Payments
    # Recording began with the first change (two hours ago): the days before have no data.
    assert signup[-1] == "partial_outage" and set(signup[:-1]) == {"nodata"}
    assert checkout[-1] == "partial_outage" and set(checkout[:-1]) == {"nodata"}
    assert 'title="02 Mar 2026: 0 % up, partial outage"' in page
    assert 'title="01 Mar 2026: no data"' in page
    assert "0 % uptime" in page


def test_the_archive_shows_ninety_days_and_needs_no_login(client, world):
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("incidents:status_history"))
    assert response.status_code == 200
    page = response.content.decode()
    assert all(len(d) == 90 for d in bars_of(page))
    assert "Sign-ups are recovering." in page  # the public incident
    for word in INTERNAL:
        assert word not in page


def test_a_status_change_is_recorded_and_makes_the_days_uptime(client, world):
    from incidents.models import ServiceStatusChange
    from incidents.services import incident_set_status

    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        incident_set_status(
            incident=world["public"], status="resolved", by=world["cast"]["commander"]
        )
    changes = list(ServiceStatusChange.objects.filter(service=world["signup"])
                   .values_list("status", flat=True))
    assert changes == ["partial_outage", "operational"]
    # Recorded for the last 2 hours: one in partial outage, one operational.
    assert 'title="02 Mar 2026: 50 % up, partial outage"' in get_page(client)


def test_the_page_costs_the_same_queries_with_more_services_and_changes(client, world):
    with CaptureQueriesContext(connection) as before:
        get_page(client)
    for n in range(5):
        service = make_service(f"Extra {n}", public=True, business_process="Payments")
        status_record(service, "degraded", at=NOW - timedelta(days=n + 1))
        status_record(service, "operational", at=NOW - timedelta(days=n, hours=12))
    with CaptureQueriesContext(connection) as after:
        get_page(client)
    assert len(after) == len(before)


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


def test_recorded_days_give_each_day_its_worst_status_and_its_uptime():
    days = recorded_days(
        [(at(1, 12), "degraded"), (at(1, 18), "operational"), (at(2, 6), "maintenance"),
         (at(2, 12), "major_outage"), (at(3, 0), "operational")],
        "operational", date(2026, 3, 1), 4, at(4, 12),
    )
    assert [d.status for d in days] == ["degraded", "major_outage", "operational",
                                        "operational"]
    assert [round(d.uptime, 3) for d in days] == [0.75, 0.5, 1.0, 1.0]
    assert days[3].label == "04 Mar 2026: 100 % up"


def test_days_before_recording_began_have_no_data():
    days = recorded_days([(at(2, 12), "operational")], None, date(2026, 3, 1), 3, at(3, 12))
    assert [d.status for d in days] == [None, "operational", "operational"]
    assert days[0].label == "01 Mar 2026: no data" and days[0].css == "nodata"
    assert days[1].uptime == 1.0  # over the recorded half of the day


def test_a_status_from_before_the_window_carries_into_it():
    days = recorded_days([], "partial_outage", date(2026, 3, 1), 2, at(2, 12))
    assert [(d.status, d.uptime) for d in days] == [("partial_outage", 0.0),
                                                    ("partial_outage", 0.0)]
