"""The jargon check: glossary terms marked as jargon for an audience are flagged in what that
audience reads. A public update with customer jargon goes out only once confirmed; an
internal update is never held back (executive jargon is advice)."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.comms.glossary import NameBook, define_terms, jargon_flags
from incidents.comms.publish import WordingFlagged, draft_flags, update_publish
from incidents.comms.render import Draft
from incidents.models import Connector, GlossaryTerm, StatusUpdate
from incidents.services import incident_assign_role, incident_declare
from tests.incidents.factories import make_person, make_service

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANSWERS = {
    "what_happened": "Sign-ups stall at the verification step.",
    "current_impact": "A third of new customers cannot finish signing up.",
    "being_done": "Switching to the standby provider.",
    "responsible": "Cara Comms",
    "expected_timeline": "Fixed within the hour.",
}



@pytest.fixture
def catalog(db):
    make_person("Cara Comms")
    make_service("Sign-up flow", public=True)
    make_service("Records base", public=False)
    Connector.objects.create(name="Verify API (n8n)", vendor="Verify", platform="n8n")
    GlossaryTerm.objects.create(
        term="webhook", definition="an automatic message between systems", is_jargon=True,
        jargon_for_executives=True, say_instead="automatic notification",
    )
    GlossaryTerm.objects.create(
        term="Zapier", definition="our automation platform", is_jargon=True,
        say_instead="our automation platform",
    )
    GlossaryTerm.objects.create(term="rollback", definition="a return to the last good version")


@pytest.fixture
def incident(catalog, cast):
    comms = make_person("Cam Comms", user=cast["comms"])
    with time_machine.travel(T0, tick=False):
        incident = incident_declare(
            title="Verification timeouts", severity="sev2", declared_by=None,
            services=[],
        )
        incident_assign_role(
            incident=incident, kind="communications_lead", person=comms, by=cast["commander"]
        )
    return incident


def flagged(audience="customer", **texts):
    return {
        (flag.word, flag.kind)
        for flag in jargon_flags(texts, NameBook.load(), audience=audience)
    }


def test_jargon_terms_are_flagged_with_a_plainer_word(catalog):
    flags = jargon_flags({"Impact": "Our Webhook is failing."}, NameBook.load(),
                         audience="executive")
    assert [(f.word, f.kind, f.suggestion, f.fields, f.blocking) for f in flags] == [
        ("Webhook", "jargon", "automatic notification", ("Impact",), False)
    ]


def test_a_term_is_flagged_only_for_the_audience_it_is_jargon_for(catalog):
    assert flagged("customer", text="The Zapier webhook fails.") == {
        ("Zapier", "jargon"), ("webhook", "jargon"),
    }
    assert flagged("executive", text="The Zapier webhook fails.") == {("webhook", "jargon")}


def test_names_are_not_jargon(catalog):
    # Internal and people's names never reach customers (the wording is scrubbed of them),
    # and product names are everyday words internally.
    assert flagged(text="Cara Comms restarted the Records base and the Verify API (n8n).") == set()


def test_public_service_names_and_plain_glossary_terms_are_not_flagged(catalog):
    assert flagged(text="Sign-up flow is slow; a rollback is under way.") == set()


def test_names_are_whole_words_only(catalog):
    assert flagged(text="Webhooks and Zapiers are fine.") == set()


def test_an_internal_draft_is_never_held_back_for_its_words(incident, cast):
    draft = Draft(**{**ANSWERS, "what_happened": "The Zapier webhook broke."})
    assert [(f.word, f.blocking) for f in draft_flags(draft)] == [("webhook", False)]
    with time_machine.travel(T0, tick=False):
        update = update_publish(incident=incident, draft=draft, by=cast["comms"])
    assert update.flagged_words == []


def test_a_flagged_draft_needs_confirmation_then_records_the_words(incident, cast):
    draft = Draft(**{**ANSWERS, "visibility": "public",
                     "customer_wording": "The webhook from the Records base failed."})
    with time_machine.travel(T0, tick=False), pytest.raises(WordingFlagged) as flagged:
        update_publish(incident=incident, draft=draft, by=cast["comms"])
    assert "“webhook”" in str(flagged.value) and "Records base" not in str(flagged.value)
    assert not StatusUpdate.objects.exists()
    with time_machine.travel(T0, tick=False):
        update = update_publish(
            incident=incident, draft=draft, by=cast["comms"], confirm_flagged=True
        )
    assert update.flagged_words == ["webhook"]
    customer = update.wording("customer", "status_page")["body"]
    assert "Records base" not in customer
    assert "webhook (an automatic message between systems)" in customer


def test_definitions_are_added_once_per_term(catalog):
    text = define_terms("A rollback, then another rollback (done).", NameBook.load())
    assert text == "A rollback (a return to the last good version), then another rollback (done)."


# --- through the pages ----------------------------------------------------------------------


def fields(**changes):
    values = {**ANSWERS, "visibility": "public", **changes}
    return {f"draft-{key}": value for key, value in values.items()}


def test_the_preview_lists_the_words_to_rephrase(incident, client_as):
    url = reverse("incidents:incident_updates", args=[incident.pk])
    page = client_as("comms").post(url, {
        "action": "preview", **fields(current_impact="The webhook to the Verify API fails."),
    }).content.decode()
    assert "Words to rephrase" in page
    assert "<strong>webhook</strong>: jargon for customers" in page
    assert "say instead “automatic notification”" in page
    assert "Verify API</strong>" not in page
    assert 'name="draft-confirm_flagged"' in page


def test_an_internal_preview_gives_advice_without_a_confirmation(incident, client_as):
    url = reverse("incidents:incident_updates", args=[incident.pk])
    page = client_as("comms").post(url, {
        "action": "preview",
        **fields(visibility="internal", current_impact="The Zapier webhook fails."),
    }).content.decode()
    assert "<strong>webhook</strong>: jargon for executives" in page
    assert "Zapier</strong>" not in page
    assert 'name="draft-confirm_flagged"' not in page


def test_publishing_a_flagged_draft_without_confirming_returns_to_the_preview(
    incident, client_as
):
    client = client_as("comms")
    url = reverse("incidents:incident_updates", args=[incident.pk])
    data = {"action": "publish", **fields(being_done="Restarting the Zapier flow.")}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Rephrase before publishing" in response.content.decode()
    assert not StatusUpdate.objects.exists()
    response = client.post(url, {**data, "draft-confirm_flagged": "on"})
    assert response.status_code == 302
    assert StatusUpdate.objects.get().flagged_words == ["Zapier"]
