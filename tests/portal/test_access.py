import pytest

from portal.navigation import navigation_for


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


def test_anonymous_visitor_of_an_unknown_page_is_sent_to_log_in(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/no-such-page/"


def test_logged_in_user_gets_a_404_for_an_unknown_page(client_as):
    assert client_as("responder").get("/no-such-page/").status_code == 404


def test_login_form_logs_in_and_lands_home(client, cast):
    response = client.post(
        "/accounts/login/", {"username": "commander", "password": "portal-test-pass"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/").content.decode()
    assert "Incident commanders" in page


def test_wrong_password_is_refused_with_a_message(client, cast):
    response = client.post("/accounts/login/", {"username": "commander", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.parametrize("username", ["leader", "commander", "responder", "comms", "outsider"])
def test_admin_site_refuses_everyone_but_roster_admins(client_as, username):
    assert client_as(username).get("/admin/").status_code == 403


def test_admin_site_opens_for_roster_admins(client_as):
    response = client_as("roster_admin").get("/admin/")
    assert response.status_code == 200
    assert "Services" in response.content.decode()


def test_admin_site_sends_anonymous_visitors_to_the_portal_login(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")


def test_navigation_shows_admin_only_to_roster_admins(cast):
    for name, user in cast.items():
        labels = [entry["label"] for entry in navigation_for(user)]
        assert ("Admin" in labels) == (name == "roster_admin")


def test_password_reset_mails_a_link(client, cast, mailoutbox):
    cast["comms"].email = "comms@example.org"
    cast["comms"].save()
    response = client.post("/accounts/password_reset/", {"email": "comms@example.org"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


def test_password_change_needs_login(client, db):
    response = client.get("/accounts/password_change/")
    assert response.status_code == 302
