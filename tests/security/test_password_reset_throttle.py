"""Finding 4 (reset): the reset form cannot flood an inbox, and answers alike for every address."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
RESET = "/accounts/password_reset/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def comms(cast):
    cast["comms"].email = "comms@example.org"
    cast["comms"].save()
    return cast["comms"]


def ask(client, email, address="203.0.113.9"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


def test_one_address_gets_three_reset_mails_an_hour_and_the_same_answer(
    client, comms, mailoutbox, clock
):
    answers = [ask(client, "comms@example.org", f"198.51.100.{n}") for n in range(6)]
    assert len(mailoutbox) == 3
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, "/accounts/password_reset/done/")
    }
    clock.move_to(NOW + timedelta(minutes=61))
    ask(client, "comms@example.org")
    assert len(mailoutbox) == 4


def test_case_does_not_make_another_address(client, comms, mailoutbox):
    spellings = ["comms@example.org", "Comms@Example.org", "COMMS@EXAMPLE.ORG", "comms@example.org"]
    for spelling in spellings:
        ask(client, spelling, "198.51.100.1")
    assert len(mailoutbox) == 3


def test_an_unknown_address_gets_the_same_answer(client, comms, mailoutbox):
    known = ask(client, "comms@example.org")
    unknown = ask(client, "nobody@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mailoutbox) == 1


def test_one_client_may_ask_ten_times_an_hour_then_is_told(client, comms, mailoutbox, clock):
    for n in range(10):
        assert ask(client, f"someone{n}@example.org").status_code == 302
    refused = ask(client, "comms@example.org")
    assert refused.status_code == 429
    assert "Too many reset requests from your address" in refused.content.decode()
    assert not mailoutbox
    assert ask(client, "comms@example.org", "198.51.100.200").status_code == 302
    assert len(mailoutbox) == 1
