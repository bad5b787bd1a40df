"""Finding 14 (feed): the Atom entry summary was declared ``type="html"`` while it holds the
plain words a communications user typed, so a feed reader rendered any markup in them."""

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import time_machine

from incidents.comms.publish import update_publish
from incidents.comms.render import Draft
from incidents.services import incident_declare
from tests.incidents.factories import make_service

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
WORDING = 'Sign-ups are slow. <img src="https://evil.example/x" onerror="alert(1)"> <b>Sorry</b>'


def test_entry_summaries_are_plain_text_and_markup_stays_words(client, cast):
    service = make_service("Sign-up flow", public=True)
    with time_machine.travel(NOW - timedelta(minutes=30), tick=False):
        incident = incident_declare(
            title="Slow sign-ups", severity="sev2", services=[service],
            declared_by=cast["commander"],
        )
        update_publish(
            incident=incident, by=cast["commander"], now=NOW - timedelta(minutes=30),
            confirm_flagged=True,
            draft=Draft(what_happened="Slow", current_impact="Slow", being_done="Looking",
                        responsible="Onboarding", expected_timeline="Soon",
                        visibility="public", customer_headline="Slow sign-ups",
                        customer_wording=WORDING),
        )
    with time_machine.travel(NOW, tick=False):
        response = client.get("/status/feed.atom")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 (the portal's own feed)
    summaries = feed.findall(f"{ATOM}entry/{ATOM}summary")
    assert len(summaries) == 1
    assert summaries[0].get("type") == "text"
    assert WORDING in summaries[0].text  # the reader shows it as typed, markup and all
    assert b'type="html"' not in response.content
