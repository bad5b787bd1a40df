"""In a browser: the communications lead drafts an update, previews it for executives and
customers, publishes it, and the public status page shows the customer wording."""

import pytest

from incidents.models import Connector, StatusUpdate
from incidents.services import incident_assign_role, incident_declare
from tests.conftest import screenshot
from tests.incidents.factories import make_person, make_service

# serialized_rollback: the message templates and decision authority are rows written by
# migrations, which a transactional test would otherwise start without.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CUSTOMER_WORDING = (
    "Some new customers cannot finish the identity check when signing up. Existing customers "
    "are not affected. We are switching to a backup provider."
)


def test_the_comms_lead_previews_publishes_and_the_status_page_shows_it(
    cast, browser_login, live_server
):
    comms = make_person("Cam Duarte", user=cast["comms"])
    make_person("Rita Novak")
    verification = make_service(
        "Identity verification", tier=1, public=True, business_process="Customer onboarding"
    )
    verification.connectors.add(
        Connector.objects.create(name="Twilio Verify (n8n)", vendor="Twilio", platform="n8n")
    )
    make_service("Checkout and invoicing", tier=1, public=True, business_process="Payments")
    make_service("Customer records base", tier=2, public=False, business_process="Data")
    incident = incident_declare(
        title="Identity checks timing out", severity="sev2", services=[verification],
        declared_by=cast["commander"],
    )
    incident_assign_role(
        incident=incident, kind="communications_lead", person=comms, by=cast["commander"]
    )

    page = browser_login("comms")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/updates/")
    page.get_by_label("What happened?").fill(
        "Twilio Verify calls from the n8n workflow time out for a third of sign-ups."
    )
    page.get_by_label("What is the current impact?").fill(
        "About a third of new customers cannot finish signing up."
    )
    page.get_by_label("What is being done?").fill("Switching to the standby provider.")
    page.get_by_label("Who is responsible?").fill("Cam Duarte (comms), Rita Novak (tech lead)")
    page.get_by_label("What is the expected timeline?").fill("A fix within the hour.")
    page.get_by_label("Technical detail").fill("504 after 30 s from the eu-west endpoint.")
    page.get_by_label("Headline for customers").fill("Sign-up verification delays")
    page.get_by_label("Customer wording (optional)").fill(CUSTOMER_WORDING)
    page.get_by_label("Public (status page and customers)").check()
    page.get_by_role("button", name="Preview for each audience").click()

    executive = page.locator("#preview-executive")
    customer = page.locator("#preview-customer")
    executive.wait_for()
    assert "Business impact: About a third of new customers" in executive.inner_text()
    assert "Rita Novak" in executive.inner_text()
    assert CUSTOMER_WORDING in customer.inner_text()
    for internal in ("Rita Novak", "Twilio Verify", "504 after 30 s", "SEV2"):
        assert internal not in customer.inner_text()
    screenshot(page, "updates-preview")
    # A connector's name is not jargon (no glossary term says so): nothing to confirm.
    assert page.locator("#flags").count() == 0
    assert page.get_by_label("I have checked the flagged words").count() == 0
    page.get_by_role("button", name="Publish to everyone").click()
    page.get_by_text("Update published on the status page and to stakeholders.").wait_for()
    assert StatusUpdate.objects.get().is_public
    screenshot(page, "updates-page")

    public = page.context.browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        status = public.new_page()
        status.goto(f"{live_server.url}/status/")
        body = status.locator("main").inner_text()
        assert "Sign-up verification delays" in body
        assert CUSTOMER_WORDING in body
        assert "Partial outage" in body
        for internal in ("Rita Novak", "Cam Duarte", "Twilio", "n8n", "Customer records base"):
            assert internal not in body
        screenshot(status, "status-page")
    finally:
        public.close()
