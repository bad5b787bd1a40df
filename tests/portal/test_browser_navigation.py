"""Each demo role sees exactly the navigation it may use, in a real browser."""

import pytest

from portal.navigation import navigation_for
from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "username", ["leader", "commander", "responder", "comms", "roster_admin", "outsider"]
)
def test_each_role_sees_its_own_navigation(cast, browser_login, username):
    page = browser_login(username)
    shown = page.locator("nav.mainnav a").all_inner_texts()
    expected = [entry["label"] for entry in navigation_for(cast[username])]
    assert shown == expected
    if username == "roster_admin":
        assert "Admin" in shown
    else:
        assert "Admin" not in shown
    screenshot(page, f"navigation-{username}")


def test_anonymous_visitor_to_the_board_lands_on_the_login_page(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/board/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert page.locator("#id_username").is_visible()
    context.close()
