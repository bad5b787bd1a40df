"""Distribution lists are kept on a page by commanders and roster admins; which lists a
review reaches follows its services and their tiers."""

import pytest

from reviews.models import DistributionList
from reviews.services.distribution import matching_lists, recipients
from tests.incidents.factories import make_person, make_service, make_team


@pytest.fixture
def catalog(db):
    return {
        "checkout": make_service("Checkout", tier=1),
        "digest": make_service("KPI digest", tier=3),
    }


def test_lists_match_by_service_by_tier_or_for_everything(catalog):
    everything = DistributionList.objects.create(name="Everything")
    tier_one = DistributionList.objects.create(name="Tier 1", tier=1)
    digest_only = DistributionList.objects.create(name="Digest")
    digest_only.services.add(catalog["digest"])
    DistributionList.objects.create(name="Off", active=False)
    assert matching_lists([catalog["checkout"]]) == [everything, tier_one]
    assert matching_lists([catalog["digest"]]) == [digest_only, everything]


def test_recipients_are_people_team_members_and_audiences_once(catalog):
    team = make_team("Ops")
    ann = make_person("Ann", team=team)
    entry = DistributionList.objects.create(name="Ops and Ann")
    entry.people.add(ann)
    entry.teams.add(team)
    make_person("Bob", team=team)
    assert [p.name for p in recipients([entry])] == ["Ann", "Bob"]


@pytest.mark.parametrize("name, status", [("commander", 200), ("roster_admin", 200),
                                          ("leader", 403), ("responder", 403),
                                          ("outsider", 403)])
def test_only_commanders_and_roster_admins_keep_the_lists(client_as, catalog, name, status):
    assert client_as(name).get("/reviews/distribution/").status_code == status


def test_a_list_is_created_edited_and_deleted_on_the_page(client_as, catalog):
    client = client_as("roster_admin")
    ann = make_person("Ann")
    response = client.post("/reviews/distribution/", {
        "new-name": "Payments reviews", "new-tier": 1, "new-people": [ann.pk],
        "new-active": "on",
    })
    assert response.status_code == 302
    entry = DistributionList.objects.get()
    assert (entry.tier, list(entry.people.all())) == (1, [ann])
    page = client.get("/reviews/distribution/").content.decode()
    assert "1 person" in page
    response = client.post(f"/reviews/distribution/{entry.pk}/", {
        "name": "Payments reviews", "services": [catalog["checkout"].pk], "active": "on",
    })
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.tier is None and list(entry.services.all()) == [catalog["checkout"]]
    client.post(f"/reviews/distribution/{entry.pk}/", {"action": "delete"})
    assert not DistributionList.objects.exists()
