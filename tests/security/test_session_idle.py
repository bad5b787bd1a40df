"""Finding 14 (sessions): an idle session ends when configured; a polling wall screen stays."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def idle_half_an_hour(settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30


def test_a_session_idle_past_the_limit_is_logged_out(client_as, clock, idle_half_an_hour):
    client = client_as("responder")
    assert client.get("/board/").status_code == 200
    clock.move_to(NOW + timedelta(minutes=31))
    response = client.get("/board/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    login_page = client.get(response["Location"]).content.decode()
    assert "logged out after 30 minutes without activity" in login_page
    clock.move_to(NOW + timedelta(minutes=32))
    assert client.get("/board/").status_code == 302  # the session is gone, not just hidden


def test_a_board_that_polls_stays_logged_in_all_day(client_as, clock, idle_half_an_hour):
    client = client_as("responder")
    page = client.get("/board/").content.decode()
    assert re.search(r'hx-trigger="every \d+s', page)  # the board polls by itself
    for step in range(1, 24 * 12):  # a poll every five minutes for a day (the page: 5 s)
        clock.move_to(NOW + timedelta(minutes=5 * step))
        poll = client.get("/board/", HTTP_HX_REQUEST="true")
        assert poll.status_code in (200, 204), step


def test_use_within_the_limit_keeps_the_session(client_as, clock, idle_half_an_hour):
    client = client_as("leader")
    for minutes in (0, 29, 58, 87):
        clock.move_to(NOW + timedelta(minutes=minutes))
        assert client.get("/dashboard/").status_code == 200


def test_off_by_default(client_as, clock, settings):
    assert settings.SESSION_IDLE_TIMEOUT_MINUTES == 0
    client = client_as("responder")
    client.get("/board/")
    clock.move_to(NOW + timedelta(days=3))
    assert client.get("/board/").status_code == 200


def test_a_poll_after_the_screen_slept_sends_the_whole_page_to_log_in(
    client_as, clock, idle_half_an_hour
):
    client = client_as("responder")
    client.get("/board/")
    clock.move_to(NOW + timedelta(hours=2))
    poll = client.get(
        "/board/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/board/?sev=1"
    )
    assert poll["HX-Redirect"] == "/accounts/login/?next=/board/"
    assert client.get("/board/").status_code == 302
