"""No page widens past a phone's screen: every page of the navigation, and the incident,
service, dashboard, drill and review pages, at 390 × 844 for each demo role; and a long
unbroken incident title wraps even on a desktop."""

import pytest
from django.core.management import call_command

from incidents.models import Incident
from tests.conftest import screenshot
from tests.portal.test_no_dead_links import DEMO_USERS, main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "portal-demo"


def page_width(page, url: str) -> int:
    answer = page.goto(url)
    assert answer.status == 200, url
    page.wait_for_load_state()
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("username", DEMO_USERS)
def test_every_main_page_fits_a_390_px_screen(browser_login, live_server, client,
                                               django_user_model, username):
    call_command("seed_demo", verbosity=0)
    user = django_user_model.objects.get(username=username)
    client.force_login(user)
    paths = main_pages(client, user)
    page = browser_login(username, DEMO_PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    too_wide = {}
    for path in paths:
        width = page_width(page, live_server.url + path)
        if width > 390:
            too_wide[path] = width
            screenshot(page, f"narrow-{username}{path.replace('/', '-')}")
    assert too_wide == {}
    assert len(paths) >= 6


def test_a_long_unbroken_title_wraps_at_1280_and_390(browser_login, live_server, cast):
    incident = Incident.objects.create(title="Zap" + "x" * 197, severity="sev3")
    page = browser_login("commander")
    assert page_width(page, live_server.url + incident.get_absolute_url()) <= 1280
    page.set_viewport_size({"width": 390, "height": 844})
    assert page_width(page, live_server.url + incident.get_absolute_url()) <= 390
    assert page_width(page, live_server.url + "/board/") <= 390
