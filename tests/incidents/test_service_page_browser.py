"""The service page answers "who do I call, and what breaks" in the first screen of a browser."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Connector, ContactMethod, ServiceDependency, Tier
from tests.conftest import screenshot
from tests.incidents.factories import (
    make_person,
    make_reachable,
    make_rotation,
    make_service,
    make_team,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_SCREEN = 900  # the viewport height browser_login opens with


@pytest.fixture
def onboarding():
    team = make_team("Growth", slug="growth")
    manager = make_person("Mona Manager", team=team, job_title="Head of growth")
    make_reachable(manager, "mona@example.org")
    team.manager = manager
    team.save()
    priya = make_person("Priya Patel", team=team, job_title="No-code engineer")
    make_reachable(priya, "priya@example.org")
    ContactMethod.objects.create(person=priya, kind="sms", address="+447700900456", label="mobile")
    # One person in a daily rotation that started a week ago: on call whatever the clock says.
    rotation = make_rotation(
        "Growth primary",
        people=[priya],
        team=team,
        starts_on=timezone.localdate() - timedelta(days=7),
        shift_unit="days",
    )
    service = make_service(
        "Customer onboarding flow",
        slug="onboarding",
        tier=Tier.CRITICAL,
        business_process="Customer onboarding",
        owner_team=team,
        platform="zapier",
        status="partial_outage",
        rotation=rotation,
    )
    crm = make_service("CRM base", business_process="Sales pipeline", platform="airtable")
    ServiceDependency.objects.create(service=service, depends_on=crm)
    typeform = Connector.objects.create(
        name="Typeform trigger", vendor="Typeform", platform="zapier"
    )
    service.connectors.add(typeform)
    welcome = make_service("Welcome emails", business_process="Customer activation", tier=2)
    kyc = make_service("KYC checks", business_process="Compliance", tier=1, platform="make")
    for dependent in (welcome, kyc):
        ServiceDependency.objects.create(service=dependent, depends_on=service)
    return service


def test_on_call_person_and_affected_processes_are_in_the_first_screen(
    cast, browser_login, live_server, onboarding
):
    page = browser_login("responder")
    page.goto(f"{live_server.url}/services/onboarding/")

    on_call = page.locator("#on-call")
    assert on_call.locator(".oncall-name").inner_text() == "Priya Patel"
    assert on_call.get_by_role("link", name="priya@example.org").is_visible()
    assert on_call.get_by_role("link", name="+447700900456").is_visible()
    assert "Nobody on call" not in on_call.inner_text()

    affected = page.locator("#impact")
    processes = affected.locator(".processes li").all_inner_texts()
    assert any(p.startswith("Compliance") for p in processes)
    assert any(p.startswith("Customer activation") for p in processes)
    assert "KYC checks" in affected.locator("ul.compact").first.inner_text()

    # Both answers fit in the first screen, no scrolling needed.
    for panel in (on_call, affected):
        box = panel.bounding_box()
        assert box is not None
        assert box["y"] < FIRST_SCREEN
    contact = on_call.get_by_role("link", name="priya@example.org").bounding_box()
    first_process = affected.locator(".processes li").first.bounding_box()
    assert contact["y"] + contact["height"] <= FIRST_SCREEN
    assert first_process["y"] + first_process["height"] <= FIRST_SCREEN

    needs = page.locator("#dependencies").inner_text()
    assert "CRM base" in needs and "Typeform trigger" in needs
    screenshot(page, "service-page")
