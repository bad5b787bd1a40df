"""The admin pages roster admins use most pass axe-core without serious or critical
violations, and the person page fits a 1280 px window."""

from pathlib import Path

import pytest

from tests.conftest import PASSWORD

from .factories import make_person, make_reachable, make_rotation, make_service, make_team

AXE = Path(__file__).resolve().parent.parent / "support" / "axe.min.js"
SERIOUS = {"serious", "critical"}


def _violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {len(v['nodes'])}× e.g. {v['nodes'][0]['html'][:160]}"
        for v in found
        if v["impact"] in SERIOUS
    ]


@pytest.fixture
def admin_page(browser, live_server):
    """A roster admin's page; the context bypasses the portal's CSP only so that the test
    can inject axe (the CSP itself is tested in tests/security)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "roster_admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    yield page
    context.close()


@pytest.fixture
def roster(db):
    team = make_team("Payments")
    ada = make_person("Ada Lovelace", team=team, email="ada@example.com")
    make_reachable(ada, "ada@example.com")
    rotation = make_rotation("Payments rota", people=[ada, make_person("Olu")], team=team)
    service = make_service("Checkout flow", slug="checkout")
    return {"person": ada, "rotation": rotation, "service": service}


@pytest.mark.parametrize("model,key", [
    ("person", "person"), ("rotation", "rotation"), ("service", "service"),
])
def test_the_admin_change_page_has_no_serious_accessibility_violation(
    cast, roster, admin_page, live_server, model, key
):
    page = admin_page
    url = f"{live_server.url}/admin/incidents/{model}/{roster[key].pk}/change/"
    assert page.goto(url).status == 200
    violations = _violations(page)
    assert not violations, "\n".join(violations)


def test_the_person_page_fits_a_1280_px_window(cast, roster, admin_page, live_server):
    page = admin_page
    page.goto(f"{live_server.url}/admin/incidents/person/{roster['person'].pk}/change/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
