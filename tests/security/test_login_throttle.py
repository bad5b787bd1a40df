"""Finding 4: wrong passwords lead to a cool-off per (username, client address), never a
lock of the account; a roster admin lifts it; the page says when to try again."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import Group

from portal import roles
from tests.conftest import PASSWORD, screenshot

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LOGIN = "/accounts/login/"
ATTACKER = "203.0.113.66"
COMMANDER_DESK = "198.51.100.7"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def log_in(client, username, password, address=ATTACKER, **headers):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def logged_in_as(client) -> str | None:
    page = client.get("/")
    return None if page.status_code == 302 else page.context["user"].username


def fail(client, times, username="commander", address=ATTACKER, **headers):
    for attempt in range(times):
        response = log_in(client, username, f"guess-{attempt}", address, **headers)
        assert response.status_code in (200, 429)


def test_after_five_wrong_passwords_even_the_right_one_waits(client, cast, settings):
    fail(client, 5)
    response = log_in(client, "commander", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert "Try again after 12:15 (UTC), in 15 minutes" in page
    assert response["Retry-After"] == "900"
    assert logged_in_as(client) is None


def test_four_wrong_passwords_do_not_stop_the_owner(client, cast):
    fail(client, 4)
    assert log_in(client, "commander", PASSWORD).status_code == 302
    assert logged_in_as(client) == "commander"


def test_the_cool_off_ends_by_itself(client, cast, clock):
    fail(client, 5)
    clock.move_to(NOW + timedelta(minutes=14))
    assert log_in(client, "commander", PASSWORD).status_code == 429
    clock.move_to(NOW + timedelta(minutes=16))
    assert log_in(client, "commander", PASSWORD).status_code == 302


def test_tries_during_the_cool_off_do_not_push_it_back(client, cast, clock):
    fail(client, 5)
    clock.move_to(NOW + timedelta(minutes=10))
    fail(client, 3)
    clock.move_to(NOW + timedelta(minutes=16))
    assert log_in(client, "commander", PASSWORD).status_code == 302


def test_the_account_is_never_locked_for_its_owner_elsewhere(client, cast):
    fail(client, 20)
    assert log_in(client, "commander", PASSWORD, COMMANDER_DESK).status_code == 302
    assert logged_in_as(client) == "commander"


def test_other_accounts_from_the_same_address_are_not_held_back(client, cast):
    fail(client, 5)
    assert log_in(client, "responder", PASSWORD).status_code == 302


def test_a_forged_forwarded_for_header_does_not_buy_more_guesses(client, cast):
    for attempt in range(5):
        log_in(client, "commander", "nope", HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}")
    assert log_in(client, "commander", PASSWORD).status_code == 429


def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(client, cast, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    fail(client, 5, address="10.0.0.2", HTTP_X_FORWARDED_FOR=ATTACKER)
    assert (
        log_in(client, "commander", PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR=ATTACKER)
        .status_code == 429
    )
    assert (
        log_in(client, "commander", PASSWORD, "10.0.0.3", HTTP_X_FORWARDED_FOR=COMMANDER_DESK)
        .status_code == 302
    )


def test_a_roster_admin_lifts_the_cool_off_in_the_admin(client, cast, client_as):
    fail(client, 5)
    [attempt] = apps.get_model("axes", "AccessAttempt").objects.filter(username="commander")
    admin = client_as("roster_admin")
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert ATTACKER in listing.content.decode()
    delete_url = f"/admin/axes/accessattempt/{attempt.pk}/delete/"
    assert admin.post(delete_url, {"post": "yes"}).status_code == 302
    admin.logout()
    assert log_in(client, "commander", PASSWORD).status_code == 302


@pytest.mark.parametrize("username", ["leader", "commander", "responder", "comms", "outsider"])
def test_only_roster_admins_see_the_attempts(client_as, username):
    assert client_as(username).get("/admin/axes/accessattempt/").status_code == 403


def test_the_roster_admins_role_holds_the_unlock_permission(db):
    codenames = set(
        Group.objects.get(name=roles.ROSTER_ADMINS).permissions.filter(
            content_type__app_label="axes"
        ).values_list("codename", flat=True)
    )
    assert {"view_accessattempt", "delete_accessattempt"} <= codenames


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_login_page_in_a_browser_says_when_to_try_again(browser, live_server, cast):
    page = browser.new_page()
    try:
        for attempt in range(6):
            page.goto(f"{live_server.url}{LOGIN}")
            page.fill("#id_username", "commander")
            page.fill("#id_password", f"guess-{attempt}")
            page.click("button[type=submit]")
            page.wait_for_load_state()
        banner = page.locator("#login-throttled")
        assert "Try again after" in banner.inner_text()
        assert page.input_value("#id_username") == "commander"
        screenshot(page, "login-throttled")
    finally:
        page.close()
