"""Who may do what with playbooks: every portal role reads them; operators and roster
admins write them; a login without a role and a visitor logged out read none."""

import pytest

from playbooks.models import Playbook
from tests.incidents.factories import make_service, make_team
from tests.playbooks.builders import make_playbook

READERS = ["leader", "commander", "responder", "comms", "roster_admin"]
EDITORS = ["commander", "responder", "comms", "roster_admin"]
NOT_EDITORS = ["leader", "outsider"]


@pytest.fixture
def playbook(db):
    service = make_service("Payments")
    return make_playbook(owner_team=service.owner_team, services=[service])


def form_data(team, **changes):
    data = {"title": "Refund storm", "summary": "", "incident_type": "", "owner_team": team.pk,
            "review_interval_days": 90, "body": "## Do\nStop refunds.",
            "checklist": "Pause refunds", "note": ""}
    data.update(changes)
    return data


@pytest.mark.parametrize("name", READERS)
def test_every_portal_role_reads_the_list_the_page_and_the_history(client_as, playbook, name):
    client = client_as(name)
    for url in ("/playbooks/", playbook.get_absolute_url(),
                f"/playbooks/{playbook.slug}/history/",
                f"/playbooks/{playbook.slug}/versions/1/"):
        assert client.get(url).status_code == 200, url


def test_a_login_without_a_portal_role_reads_no_playbook(client_as, playbook):
    client = client_as("outsider")
    for url in ("/playbooks/", playbook.get_absolute_url(),
                f"/playbooks/{playbook.slug}/history/",
                f"/playbooks/{playbook.slug}/versions/1/"):
        assert client.get(url).status_code == 403, url


def test_nobody_reads_them_logged_out(client, playbook):
    for url in ("/playbooks/", playbook.get_absolute_url(), "/playbooks/new/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", NOT_EDITORS)
def test_readers_may_not_write_or_edit(client_as, playbook, name):
    client = client_as(name)
    team = playbook.owner_team
    assert client.get("/playbooks/new/").status_code == 403
    assert client.post("/playbooks/new/", form_data(team)).status_code == 403
    edit = f"/playbooks/{playbook.slug}/edit/"
    assert client.get(edit).status_code == 403
    assert client.post(edit, form_data(team, title="Hijacked")).status_code == 403
    playbook.refresh_from_db()
    assert playbook.title != "Hijacked" and playbook.versions.count() == 1
    assert "New playbook" not in client.get("/playbooks/").content.decode()


@pytest.mark.parametrize("name", EDITORS)
def test_operators_and_roster_admins_write_and_edit(client_as, playbook, name):
    client = client_as(name)
    team = make_team()
    response = client.post("/playbooks/new/", form_data(team))
    created = Playbook.objects.get(title="Refund storm")
    assert response.status_code == 302 and response["Location"] == created.get_absolute_url()
    assert created.current.author_name == name.replace("_", " ").title()
    edit = f"/playbooks/{playbook.slug}/edit/"
    assert client.get(edit).status_code == 200
    services = [s.pk for s in playbook.services.all()]
    response = client.post(edit, form_data(playbook.owner_team, title="Payments webhooks",
                                           body="New text", note="Rewrote it",
                                           services=services))
    assert response.status_code == 302
    assert playbook.versions.count() == 2
    assert playbook.current.note == "Rewrote it"


def test_an_invalid_form_is_shown_again_with_its_errors(client_as, playbook):
    response = client_as("responder").post("/playbooks/new/",
                                           form_data(playbook.owner_team, body=""))
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_the_page_offers_editing_only_to_editors(client_as, playbook):
    assert "Mark as reviewed" in client_as("responder").get(
        playbook.get_absolute_url()).content.decode()
    assert "Mark as reviewed" not in client_as("leader").get(
        playbook.get_absolute_url()).content.decode()


def test_an_unknown_playbook_is_404(client_as, db):
    assert client_as("responder").get("/playbooks/nope/").status_code == 404
