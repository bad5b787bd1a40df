"""The roster admin pages: open to roster admins only, with a page cost that does not grow."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import (
    Connector,
    ContactMethod,
    DecisionAuthority,
    Override,
    ResponseTarget,
    ServiceDependency,
)

from .factories import make_person, make_reachable, make_rotation, make_service, make_team

MODELS = [
    "team",
    "connector",
    "service",
    "servicedependency",
    "responsetarget",
    "person",
    "contactmethod",
    "notificationrule",
    "rotation",
    "rotationlayer",
    "override",
    "decisionauthority",
]
CHANGELISTS = [f"/admin/incidents/{model}/" for model in MODELS]
ADD_PAGES = [f"/admin/incidents/{model}/add/" for model in MODELS]
CSV_PAGES = ["/admin/incidents/person/import-csv/", "/admin/incidents/person/export-csv/"]
OTHER_ROLES = ["leader", "commander", "responder", "comms", "outsider"]



@pytest.fixture
def roster(db):
    """A little of everything, so that each changelist renders real rows."""
    ops = make_team("Ops")
    ada = make_person("Ada Lovelace", team=ops, email="ada@example.org")
    make_reachable(ada)
    ops.manager = ada
    ops.save()
    grace = make_person("Grace Hopper", team=ops)
    payments = make_service("Payments", owner_team=ops, tier=1)
    onboarding = make_service("Onboarding", owner_team=ops)
    ServiceDependency.objects.create(service=onboarding, depends_on=payments)
    connector = Connector.objects.create(name="Stripe in Make", vendor="Stripe", platform="make")
    payments.connectors.add(connector)
    ResponseTarget.objects.create(severity="sev1", service=payments, acknowledge_minutes=2)
    rotation = make_rotation("Ops primary", people=[ada, grace], team=ops)
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    Override.objects.create(
        rotation=rotation, person=grace, starts_at=start, ends_at=start + timedelta(hours=8)
    )
    return {"ada": ada, "grace": grace, "rotation": rotation, "payments": payments}


@pytest.mark.parametrize("url", CHANGELISTS + ADD_PAGES + CSV_PAGES)
def test_roster_admin_opens_every_admin_page(client_as, roster, url):
    assert client_as("roster_admin").get(url).status_code == 200


@pytest.mark.parametrize("url", CHANGELISTS + CSV_PAGES)
@pytest.mark.parametrize("username", OTHER_ROLES)
def test_other_roles_are_refused_every_admin_page(client_as, username, url):
    assert client_as(username).get(url).status_code == 403


@pytest.mark.parametrize("url", CHANGELISTS + CSV_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, db, url):
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")


def test_change_and_history_pages_open_for_each_kind_of_row(client_as, roster):
    client = client_as("roster_admin")
    rows = {
        "person": roster["ada"].pk,
        "rotation": roster["rotation"].pk,
        "rotationlayer": roster["rotation"].layers.get().pk,
        "contactmethod": ContactMethod.objects.get().pk,
        "service": roster["payments"].pk,
        "decisionauthority": DecisionAuthority.objects.first().pk,
    }
    for model, pk in rows.items():
        assert client.get(f"/admin/incidents/{model}/{pk}/change/").status_code == 200, model
        assert client.get(f"/admin/incidents/{model}/{pk}/history/").status_code == 200, model


def test_a_history_page_with_a_made_up_id_is_a_404_not_an_error(client_as, db):
    response = client_as("roster_admin").get("/admin/incidents/person/nonsense/history/")
    assert response.status_code == 404


def test_person_list_flags_who_cannot_be_paged(client_as, roster):
    client = client_as("roster_admin")
    unreachable = client.get("/admin/incidents/person/?pageable=no").content.decode()
    assert "Grace Hopper" in unreachable
    assert "Ada Lovelace" not in unreachable
    reachable = client.get("/admin/incidents/person/?pageable=yes").content.decode()
    assert "Ada Lovelace" in reachable
    assert "Grace Hopper" not in reachable


def test_a_person_whose_only_urgent_method_fails_is_flagged(client_as, roster):
    ContactMethod.objects.filter(person=roster["ada"]).update(failure_reason="550 no such user")
    page = client_as("roster_admin").get("/admin/incidents/person/?pageable=no").content.decode()
    assert "Ada Lovelace" in page


def test_person_search_finds_people_by_team_member_address(client_as, roster):
    page = client_as("roster_admin").get("/admin/incidents/person/?q=p").content.decode()
    assert "Ada Lovelace" in page


def _people(count: int):
    team = make_team()
    for number in range(count):
        person = make_person(f"Person {number:03}", team=team, email=f"p{number}@example.org")
        if number % 2:
            make_reachable(person)


@pytest.mark.parametrize("count", [10, 200])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/incidents/person/",
        "/admin/incidents/person/?pageable=no",
        "/admin/incidents/person/?q=example",
        "/admin/incidents/contactmethod/",
        "/admin/incidents/notificationrule/",
    ],
)
def test_people_pages_cost_the_same_for_10_or_200_people(
    client_as, django_assert_max_num_queries, count, url
):
    _people(count)
    client = client_as("roster_admin")
    # The same budget on SQLite and PostgreSQL: no query here differs between them.
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert "Person 00" in response.content.decode()


def test_person_list_links_each_person_to_their_profile_page(client_as, roster):
    page = client_as("roster_admin").get("/admin/incidents/person/").content.decode()
    assert f'href="/people/{roster["ada"].pk}/profile/"' in page
