"""A playbook's checklist becomes tasks on an incident: by itself for the incident's
services when it is declared, or by hand from the playbook page — never twice."""

import pytest

from incidents import hooks
from incidents.models import Task
from incidents.services import incident_declare
from playbooks.services import attach_playbooks, playbook_attach, playbook_update
from tests.incidents.factories import make_service, make_team
from tests.playbooks.builders import make_playbook


@pytest.fixture
def payments(db):
    return make_service("Payments", tier=1)


@pytest.fixture
def playbook(payments):
    return make_playbook(
        owner_team=payments.owner_team, services=[payments], title="Stripe webhooks",
        checklist="- [ ] Check the signing secret\n- [ ] Replay failed events\n\n"
        "1. Reconcile payouts",
    )


def declare(cast, services, title="Payments failing"):
    return incident_declare(
        title=title, severity="sev2", declared_by=cast["commander"], services=services
    )


def steps(incident):
    return list(Task.objects.filter(incident=incident).order_by("pk").values_list(
        "title", "source"))


def test_the_hook_is_registered_with_the_incidents_app():
    assert attach_playbooks in hooks.on_declared


def test_declaring_an_incident_attaches_its_services_playbooks(cast, playbook, payments):
    incident = declare(cast, [payments])
    assert steps(incident) == [
        ("Check the signing secret", "playbook:stripe-webhooks"),
        ("Replay failed events", "playbook:stripe-webhooks"),
        ("Reconcile payouts", "playbook:stripe-webhooks"),
    ]
    assert incident.timeline.filter(kind="task").count() == 3


def test_playbooks_of_other_services_are_not_attached(cast, playbook):
    incident = declare(cast, [make_service("Reporting")])
    assert steps(incident) == []


def test_attaching_again_adds_nothing_twice(cast, playbook, payments):
    incident = declare(cast, [payments])
    assert attach_playbooks(incident=incident) == []
    assert playbook_attach(playbook=playbook, incident=incident, by=cast["responder"]) == []
    assert len(steps(incident)) == 3


def test_a_step_added_to_the_playbook_later_is_the_only_one_added(cast, playbook, payments):
    incident = declare(cast, [payments])
    playbook_update(
        playbook=playbook, by=cast["responder"], title=playbook.title, body=playbook.current.body,
        checklist=playbook.current.checklist + "\nTell support what to say",
    )
    added = playbook_attach(playbook=playbook, incident=incident, by=cast["responder"])
    assert [task.title for task in added] == ["Tell support what to say"]
    assert len(steps(incident)) == 4


def test_a_playbook_is_attached_by_hand_from_its_page(client_as, cast, db):
    general = make_playbook(owner_team=make_team(), title="Expired credentials",
                            checklist="Find the connection\nRe-authorise it")
    incident = declare(cast, [make_service("Reporting")])
    client = client_as("responder")
    response = client.post(general.get_absolute_url(),
                           {"action": "attach", "attach-incident": incident.pk})
    assert response.status_code == 302
    assert steps(incident) == [("Find the connection", "playbook:expired-credentials"),
                               ("Re-authorise it", "playbook:expired-credentials")]
    response = client.post(general.get_absolute_url(),
                           {"action": "attach", "attach-incident": incident.pk}, follow=True)
    assert "already on" in response.content.decode()
    assert len(steps(incident)) == 2


def test_attaching_to_an_unknown_incident_says_so(client_as, db):
    general = make_playbook(owner_team=make_team())
    response = client_as("responder").post(
        general.get_absolute_url(), {"action": "attach", "attach-incident": 999}
    )
    assert response.status_code == 400
    assert "There is no INC-999." in response.content.decode()


def test_readers_may_not_attach(client_as, cast, playbook, payments):
    incident = declare(cast, [make_service("Reporting")])
    for reader in ("leader", "roster_admin", "outsider"):
        response = client_as(reader).post(
            playbook.get_absolute_url(), {"action": "attach", "attach-incident": incident.pk}
        )
        assert response.status_code == 403
    assert steps(incident) == []


def test_the_incident_partial_links_attached_and_suggested_playbooks(cast, playbook, payments):
    from django.template.loader import render_to_string

    other = make_playbook(owner_team=payments.owner_team, services=[payments],
                          title="Refund storm", checklist="")
    incident = declare(cast, [payments])
    html = render_to_string("playbooks/_incident_playbooks.html", {"incident": incident})
    assert f'href="{playbook.get_absolute_url()}"' in html and "0 of 3 steps done" in html
    assert f'href="{other.get_absolute_url()}"' in html and "not attached" in html
