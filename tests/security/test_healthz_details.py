"""Finding 11: ``/healthz`` tells the public only healthy or not. The database vendor, the
broker and the sweep age are for logged-in staff and for requests from this machine; the
text of an error (which can name hosts, ports and users) goes only to the server log."""

import logging

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.utils import OperationalError

from portal.celery import app
from portal.health import SWEEP
from portal.models import Heartbeat

OUTSIDE = "203.0.113.9"  # TEST-NET-3: a client on the internet, as the server sees it
SECRET = "could not connect to server: db-primary.internal (10.1.2.3) port 5432 user portal"


@pytest.fixture
def healthy(db):
    Heartbeat.record(SWEEP)


@pytest.fixture
def database_down(healthy):
    """Every new cursor fails as a driver would, until the test ends (and before the test
    database is rolled back, which needs a cursor)."""

    def refuse(*args, **kwargs):
        raise OperationalError(SECRET)

    wrapper = connections[DEFAULT_DB_ALIAS]
    wrapper.cursor = refuse
    yield
    del wrapper.cursor


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(f"Error 111 connecting to redis.internal:6379. {SECRET}")

    monkeypatch.setattr(app, "connection_for_write", refuse)


def test_the_public_answer_is_only_healthy_or_not(client, healthy):
    response = client.get("/healthz", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_failing_database_is_a_bare_503_to_the_public_and_its_error_goes_to_the_log(
    client, healthy, database_down, caplog
):
    with caplog.at_level(logging.ERROR, logger="portal.health"):
        response = client.get("/healthz", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy"}
    assert SECRET in caplog.text


def test_a_logged_in_user_without_a_role_gets_the_public_answer(client_as, healthy):
    response = client_as("outsider").get("/healthz", REMOTE_ADDR=OUTSIDE)
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("name", ["leader", "roster_admin"])
def test_staff_see_the_details_from_anywhere(client_as, healthy, name):
    body = client_as(name).get("/healthz", REMOTE_ADDR=OUTSIDE).json()
    assert body["database"] == {"ok": True, "detail": connection.vendor}
    assert body["broker"]["ok"] is True
    assert body["sweep"]["ok"] is True and body["sweep"]["last_age_seconds"] < 5


def test_an_admin_flagged_staff_login_without_a_role_sees_the_details(client_as, cast, healthy):
    cast["outsider"].is_staff = True
    cast["outsider"].save()
    body = client_as("outsider").get("/healthz", REMOTE_ADDR=OUTSIDE).json()
    assert body["database"]["detail"] == connection.vendor


def test_staff_see_which_part_failed_but_never_the_error_text(
    client_as, healthy, broker_down, caplog
):
    with caplog.at_level(logging.ERROR, logger="portal.health"):
        response = client_as("commander").get("/healthz", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["ok"] is False and body["database"]["ok"] is True
    assert "redis.internal" not in response.content.decode()
    assert SECRET not in response.content.decode()
    assert "redis.internal" in caplog.text


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_a_probe_on_this_machine_sees_the_details_without_logging_in(client, healthy, address):
    body = client.get("/healthz", REMOTE_ADDR=address).json()
    assert body["status"] == "ok"
    assert body["database"]["detail"] == connection.vendor and "sweep" in body


def test_even_this_machine_never_sees_the_error_text(client, healthy, database_down):
    response = client.get("/healthz", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False
    assert "db-primary" not in response.content.decode()


def test_behind_a_proxy_on_this_machine_the_forwarded_client_decides(client, healthy, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    forwarded = client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OUTSIDE)
    assert forwarded.json() == {"status": "ok"}
    local = client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert "database" in local.json()


def test_a_forwarded_header_from_an_untrusted_peer_is_not_believed(client, healthy, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    response = client.get("/healthz", REMOTE_ADDR=OUTSIDE, HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.json() == {"status": "ok"}
