from datetime import timedelta

from django.utils import timezone

from portal.health import SWEEP
from portal.models import Heartbeat


def test_healthz_is_healthy_after_a_recent_sweep(client, db):
    Heartbeat.record(SWEEP)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"]["ok"] and body["sweep"]["ok"]
    assert body["sweep"]["last_age_seconds"] < 5


def test_healthz_is_503_when_the_sweep_never_ran(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["sweep"] == {"ok": False, "last_age_seconds": None}


def test_healthz_is_503_when_the_sweep_is_stale(client, db):
    Heartbeat.record(SWEEP, at=timezone.now() - timedelta(seconds=31))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["sweep"]["last_age_seconds"] >= 31


def test_healthz_needs_no_login_and_is_not_cached(client, db):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]


def test_stale_sweep_shows_a_red_banner_to_logged_in_users(client_as):
    client = client_as("responder")
    assert "Escalations are not running" in client.get("/").content.decode()
    Heartbeat.record(SWEEP)
    assert "Escalations are not running" not in client.get("/").content.decode()


def test_anonymous_visitors_see_no_banner_on_the_login_page(client, db):
    assert "Escalations are not running" not in client.get("/accounts/login/").content.decode()


def test_liveness_answers_without_login_and_checks_nothing(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):  # none, on any database
        response = client.get("/healthz/live")  # no sweep ever ran: /healthz says 503
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
