"""The dependency graph: cycles refused by name, and what breaks when something fails.
The query counts (the walk reads every edge in one query) hold on SQLite and PostgreSQL
alike."""

import itertools

import pytest
from django.core.exceptions import ValidationError

from incidents.catalog import graph, impact
from incidents.models import Connector, ServiceDependency
from tests.incidents.factories import make_service, make_team

# --- Pure functions over an edges dict --------------------------------------------------------


def test_a_service_depending_on_itself_is_a_cycle_of_one():
    assert graph.find_cycle({}, 1, 1) == [1, 1]


def test_two_services_depending_on_each_other_are_a_cycle():
    assert graph.find_cycle({2: {1}}, 1, 2) == [1, 2, 1]


def test_a_long_cycle_is_reported_with_every_step_in_order():
    edges = {2: {3}, 3: {4}, 4: {5}, 5: {1}}
    assert graph.find_cycle(edges, 1, 2) == [1, 2, 3, 4, 5, 1]


def test_a_diamond_is_allowed():
    # 1 needs 2 and 3, both need 4: two ways down to 4, no way back up.
    edges = {1: {2, 3}, 2: {4}, 3: {4}}
    assert graph.find_cycle(edges, 1, 4) is None
    assert graph.find_cycle(edges, 2, 3) is None


def test_closing_a_diamond_upwards_is_a_cycle():
    edges = {1: {2, 3}, 2: {4}, 3: {4}}
    cycle = graph.find_cycle(edges, 4, 1)
    assert cycle in ([4, 1, 2, 4], [4, 1, 3, 4])


def test_an_edge_between_unconnected_services_is_no_cycle():
    assert graph.find_cycle({1: {2}, 3: {4}}, 2, 3) is None


def test_invert_turns_needs_into_dependents():
    assert graph.invert({1: {2, 3}, 2: {3}}) == {2: {1}, 3: {1, 2}}


def test_downstream_is_every_service_that_breaks_with_its_shortest_path():
    # Ledger (1) ← Payments (2) ← Partner portal (3) ← Reports (4); Invoicing (5) needs Ledger.
    edges = {2: {1}, 3: {2}, 4: {3}, 5: {1}}
    assert graph.downstream(edges, 1) == {
        2: (1, 2),
        3: (1, 2, 3),
        4: (1, 2, 3, 4),
        5: (1, 5),
    }
    assert graph.downstream(edges, 3) == {4: (3, 4)}
    assert graph.downstream(edges, 4) == {}


def test_downstream_takes_the_shorter_way_through_a_diamond():
    # 4 needs 3 and 2; 3 needs 2; 2 needs 1.
    edges = {4: {2, 3}, 3: {2}, 2: {1}}
    assert graph.downstream(edges, 1)[4] == (1, 2, 4)


def test_upstream_is_everything_a_service_needs():
    edges = {2: {1}, 3: {2, 5}, 5: {6}}
    assert graph.upstream(edges, 3) == {2: (3, 2), 1: (3, 2, 1), 5: (3, 5), 6: (3, 5, 6)}
    assert graph.upstream(edges, 1) == {}


def test_a_cycle_already_stored_does_not_hang_the_walk():
    edges = {1: {2}, 2: {3}, 3: {1}}
    assert set(graph.downstream(edges, 1)) == {2, 3}
    assert set(graph.upstream(edges, 1)) == {2, 3}


def test_affected_by_keeps_the_failed_services_and_merges_their_dependents():
    edges = {2: {1}, 3: {2}, 5: {4}, 6: {7}}
    assert graph.affected_by(edges, [1, 4]) == {
        1: (1,),
        2: (1, 2),
        3: (1, 2, 3),
        4: (4,),
        5: (4, 5),
    }


# --- The model refuses a cycle, naming it -----------------------------------------------------


@pytest.fixture
def payments_and_ledger(db):
    team = make_team("Finance")
    payments = make_service("Payments", owner_team=team)
    ledger = make_service("Ledger", owner_team=team)
    return payments, ledger


def test_clean_refuses_a_two_service_cycle_and_names_it_in_order(payments_and_ledger):
    payments, ledger = payments_and_ledger
    ServiceDependency.objects.create(service=ledger, depends_on=payments)
    with pytest.raises(ValidationError) as refused:
        ServiceDependency(service=payments, depends_on=ledger).full_clean()
    assert "Payments → Ledger → Payments" in str(refused.value)


def test_clean_refuses_a_long_cycle_and_names_every_service(payments_and_ledger):
    payments, ledger = payments_and_ledger
    bank_feed = make_service("Bank feed", owner_team=payments.owner_team)
    ServiceDependency.objects.create(service=payments, depends_on=ledger)
    ServiceDependency.objects.create(service=ledger, depends_on=bank_feed)
    with pytest.raises(ValidationError) as refused:
        ServiceDependency(service=bank_feed, depends_on=payments).full_clean()
    assert "Bank feed → Payments → Ledger → Bank feed" in str(refused.value)


def test_clean_refuses_a_service_depending_on_itself(payments_and_ledger):
    payments, _ = payments_and_ledger
    with pytest.raises(ValidationError) as refused:
        ServiceDependency(service=payments, depends_on=payments).clean()
    assert "Payments → Payments" in str(refused.value)


def test_turning_a_stored_edge_around_is_checked_without_its_old_direction(payments_and_ledger):
    payments, ledger = payments_and_ledger
    edge = ServiceDependency.objects.create(service=payments, depends_on=ledger)
    assert graph.dependency_cycle(ledger.pk, payments.pk) == ["Ledger", "Payments", "Ledger"]
    assert graph.dependency_cycle(ledger.pk, payments.pk, ignoring=edge.pk) is None


def test_clean_accepts_a_diamond(payments_and_ledger):
    payments, ledger = payments_and_ledger
    team = payments.owner_team
    checkout = make_service("Checkout", owner_team=team)
    bank_feed = make_service("Bank feed", owner_team=team)
    ServiceDependency.objects.create(service=checkout, depends_on=payments)
    ServiceDependency.objects.create(service=checkout, depends_on=ledger)
    ServiceDependency.objects.create(service=payments, depends_on=bank_feed)
    ServiceDependency(service=ledger, depends_on=bank_feed).full_clean()


# --- Loaders: a fixed number of queries -------------------------------------------------------


def _chain(length: int):
    """``length`` services, each depending on the one before; a connector under the first."""
    team = make_team()
    services = [make_service(owner_team=team, tier=3) for _ in range(length)]
    ServiceDependency.objects.bulk_create(
        ServiceDependency(service=later, depends_on=earlier)
        for earlier, later in itertools.pairwise(services)
    )
    connector = Connector.objects.create(name=f"Stripe {length}", vendor="Stripe", platform="make")
    services[0].connectors.add(connector)
    return services, connector


@pytest.mark.parametrize("length", [10, 200])
def test_downstream_of_a_service_is_one_query_whatever_the_catalog_size(
    db, django_assert_num_queries, length
):
    services, _ = _chain(length)
    with django_assert_num_queries(1):
        found = graph.services_downstream_of(services[0].pk)
    assert found == {s.pk for s in services[1:]}


@pytest.mark.parametrize("length", [10, 200])
def test_upstream_of_a_service_is_one_query_whatever_the_catalog_size(
    db, django_assert_num_queries, length
):
    services, _ = _chain(length)
    with django_assert_num_queries(1):
        found = graph.services_upstream_of(services[-1].pk)
    assert found == {s.pk for s in services[:-1]}


@pytest.mark.parametrize("length", [10, 200])
def test_services_depending_on_a_connector_are_its_users_and_their_dependents(
    db, django_assert_num_queries, length
):
    services, connector = _chain(length)
    unrelated = make_service()
    with django_assert_num_queries(2):
        found = graph.services_depending_on_connector(connector)
    assert found == {s.pk for s in services}
    assert unrelated.pk not in found


def test_an_unused_connector_breaks_nothing(db, django_assert_num_queries):
    connector = Connector.objects.create(name="Typeform", vendor="Typeform", platform="zapier")
    make_service()
    with django_assert_num_queries(1):
        assert graph.services_depending_on_connector(connector.pk) == set()


# --- Impact in business terms -----------------------------------------------------------------


@pytest.fixture
def payments_catalog(db):
    """Ledger ← Payments ← {Partner portal, Invoicing ← Month-end reports}; Stripe under Ledger."""
    team = make_team("Finance")

    def service(name, process, tier):
        return make_service(name, owner_team=team, business_process=process, tier=tier)

    catalog = {
        "ledger": service("Ledger", "Accounting", 2),
        "payments": service("Payments", "Payments", 1),
        "portal": service("Partner portal", "Partner payouts", 1),
        "invoicing": service("Invoicing", "Billing", 2),
        "reports": service("Month-end reports", "Financial reporting", 3),
        "wiki": service("Wiki", "Internal knowledge", 3),
    }
    for service_key, needs in [
        ("payments", "ledger"),
        ("portal", "payments"),
        ("invoicing", "payments"),
        ("reports", "invoicing"),
    ]:
        ServiceDependency.objects.create(service=catalog[service_key], depends_on=catalog[needs])
    stripe = Connector.objects.create(name="Stripe in Make", vendor="Stripe", platform="make")
    catalog["ledger"].connectors.add(stripe)
    catalog["stripe"] = stripe
    return catalog


def test_failure_impact_names_business_processes_and_tier_one_services(payments_catalog):
    found = impact.failure_impact([payments_catalog["payments"].pk])
    assert [s.name for s in found.failed] == ["Payments"]
    assert [r.service.name for r in found.dependents] == [
        "Partner portal",
        "Invoicing",
        "Month-end reports",
    ]
    assert found.business_processes == (
        "Billing",
        "Financial reporting",
        "Partner payouts",
        "Payments",
    )
    assert [s.name for s in found.tier_one] == ["Payments", "Partner portal"]
    assert [r.service.name for r in found.tier_one_dependents] == ["Partner portal"]
    reports = next(r for r in found.dependents if r.service.name == "Month-end reports")
    assert [s.name for s in reports.via] == ["Invoicing"]


def test_a_connector_failure_reaches_every_business_process_above_it(
    payments_catalog, django_assert_num_queries
):
    with django_assert_num_queries(3):
        found = impact.connector_failure_impact(payments_catalog["stripe"])
    assert [s.name for s in found.failed] == ["Ledger"]
    assert "Internal knowledge" not in found.business_processes
    assert found.business_processes == (
        "Accounting",
        "Billing",
        "Financial reporting",
        "Partner payouts",
        "Payments",
    )


def test_neighbourhood_lists_needs_connectors_through_others_and_dependents(payments_catalog):
    around = impact.neighbourhood(payments_catalog["portal"])
    assert [(r.service.name, [s.name for s in r.via]) for r in around.upstream] == [
        ("Payments", []),
        ("Ledger", ["Payments"]),
    ]
    assert [(c.connector.name, [s.name for s in c.via]) for c in around.connectors] == [
        ("Stripe in Make", ["Payments", "Ledger"])
    ]
    assert around.impact.dependents == ()
    assert around.impact.business_processes == ("Partner payouts",)


def test_a_connector_used_directly_and_through_a_dependency_is_listed_once_as_direct(
    payments_catalog,
):
    payments_catalog["payments"].connectors.add(payments_catalog["stripe"])
    around = impact.neighbourhood(payments_catalog["payments"])
    assert [(c.connector.name, c.via) for c in around.connectors] == [("Stripe in Make", ())]
