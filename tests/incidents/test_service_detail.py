"""/services/<slug>/: who to call right now, and what breaks if the service is down."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Group

from incidents.models import (
    Connector,
    ContactMethod,
    Incident,
    Override,
    ResponseTarget,
    ServiceDependency,
    Tier,
)
from incidents.views.catalog import authority_matrix
from tests.incidents.factories import (
    make_person,
    make_reachable,
    make_rotation,
    make_service,
    make_team,
)

# Monday 12 January 2026: the second weekly shift of a rotation starting Monday 5 January.
NOW = datetime(2026, 1, 13, 15, 0, tzinfo=UTC)


@pytest.fixture
def payments(db):
    """A tier-1 service with a weekly rotation (Ana, then Ben), needs and dependents."""
    team = make_team("Payments team", slug="payments")
    manager = make_person("Mona Manager", team=team, job_title="Head of payments")
    make_reachable(manager, "mona@example.org")
    ana = make_person("Ana Alvarez", team=team)
    make_reachable(ana, "ana@example.org")
    ben = make_person("Ben Brook", team=team, job_title="Automation engineer")
    make_reachable(ben, "ben@example.org")
    ContactMethod.objects.create(person=ben, kind="sms", address="+447700900123", label="mobile")
    ContactMethod.objects.create(
        person=ben, kind="slack", address="https://hooks.slack.com/services/T1/B2/secret-part"
    )
    team.manager = manager
    team.save()
    rotation = make_rotation("Payments primary", people=[ana, ben], team=team)
    service = make_service(
        "Payment reconciliation",
        slug="payment-reconciliation",
        tier=Tier.CRITICAL,
        business_process="Payments",
        owner_team=team,
        platform="make",
        status="degraded",
        rotation=rotation,
    )
    ledger = make_service("Ledger", business_process="Accounting", status="major_outage")
    stripe = Connector.objects.create(name="Stripe in Make", vendor="Stripe", platform="make")
    service.connectors.add(stripe)
    ServiceDependency.objects.create(service=service, depends_on=ledger)
    portal = make_service("Partner portal", business_process="Partner payouts", tier=1)
    invoicing = make_service("Invoicing", business_process="Billing", tier=2)
    reports = make_service("Month-end reports", business_process="Financial reporting", tier=3)
    ServiceDependency.objects.create(service=portal, depends_on=service)
    ServiceDependency.objects.create(service=invoicing, depends_on=service)
    ServiceDependency.objects.create(service=reports, depends_on=invoicing)
    return {
        "service": service,
        "team": team,
        "manager": manager,
        "ana": ana,
        "ben": ben,
        "rotation": rotation,
        "ledger": ledger,
    }


def _get(client, slug="payment-reconciliation"):
    return client.get(f"/services/{slug}/")


def _panel(page: str, panel_id: str) -> str:
    start = page.index(f'id="{panel_id}"')
    return page[start : page.index("</section>", start)]


def test_anonymous_visitor_is_sent_to_log_in(client, payments):
    response = _get(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/services/payment-reconciliation/"


def test_anonymous_visitor_of_an_unknown_service_is_sent_to_log_in_too(client, db):
    response = _get(client, "no-such-service")
    assert response.status_code == 302


@pytest.mark.parametrize(
    "username", ["leader", "commander", "responder", "comms", "roster_admin"]
)
def test_every_portal_role_may_read_a_service_page(client_as, payments, username):
    assert _get(client_as(username)).status_code == 200


def test_a_login_without_a_portal_role_is_refused_the_service_page(client_as, payments):
    response = _get(client_as("outsider"))
    assert response.status_code == 403
    assert "Mona Manager" not in response.content.decode()


def test_an_unknown_slug_is_not_found(client_as, db):
    assert _get(client_as("responder"), "no-such-service").status_code == 404


def test_an_odd_slug_is_not_found_rather_than_an_error(client_as, db):
    assert client_as("responder").get("/services/%E2%98%83%00/").status_code == 404


def test_the_page_states_tier_meaning_process_status_platform_and_owner(client_as, payments):
    page = _get(client_as("responder")).content.decode()
    assert "Tier 1 · critical" in page
    assert "Customers cannot sign up, pay or be paid" in page
    assert '<span class="status status-degraded">Degraded performance</span>' in page
    assert "Make" in page and "Payments team" in page


@time_machine.travel(NOW, tick=False)
def test_the_person_on_call_now_is_shown_with_their_contact_methods(client_as, payments):
    page = _get(client_as("responder")).content.decode()
    on_call = _panel(page, "on-call")
    assert "Ben Brook" in on_call and "Ana Alvarez" not in on_call
    assert '<a href="mailto:ben@example.org">ben@example.org</a>' in on_call
    assert '<a href="tel:+447700900123">+447700900123</a>' in on_call
    assert "until Mon 19 Jan, 09:00" in on_call
    assert "Cannot be paged" not in on_call


@time_machine.travel(NOW, tick=False)
def test_handoff_times_are_in_the_viewer_own_time_zone(client_as, payments, cast):
    make_person("Responder", user=cast["responder"], time_zone="Europe/Paris")
    on_call = _panel(_get(client_as("responder")).content.decode(), "on-call")
    assert "until Mon 19 Jan, 10:00 CET" in on_call


@time_machine.travel(NOW, tick=False)
def test_a_webhook_address_is_not_shown_because_it_is_a_secret(client_as, payments):
    page = _get(client_as("responder")).content.decode()
    assert "Slack webhook" in _panel(page, "on-call")
    assert "secret-part" not in page


@time_machine.travel(datetime(2026, 1, 7, 12, 0, tzinfo=UTC), tick=False)
def test_the_first_week_has_the_first_participant_on_call(client_as, payments):
    on_call = _panel(_get(client_as("responder")).content.decode(), "on-call")
    assert "Ana Alvarez" in on_call and "Ben Brook" not in on_call


@time_machine.travel(NOW, tick=False)
def test_an_override_puts_the_cover_on_call(client_as, payments):
    cleo = make_person("Cleo Cover")
    make_reachable(cleo, "cleo@example.org")
    Override.objects.create(
        rotation=payments["rotation"],
        person=cleo,
        starts_at=datetime(2026, 1, 13, 8, 0, tzinfo=UTC),
        ends_at=datetime(2026, 1, 14, 8, 0, tzinfo=UTC),
    )
    on_call = _panel(_get(client_as("responder")).content.decode(), "on-call")
    assert "Cleo Cover" in on_call and "cleo@example.org" in on_call
    assert "Ben Brook" not in on_call
    assert "covering by override" in on_call


@time_machine.travel(NOW, tick=False)
def test_someone_on_call_who_cannot_be_paged_is_flagged(client_as, payments):
    payments["ben"].notification_rules.all().delete()
    on_call = _panel(_get(client_as("responder")).content.decode(), "on-call")
    assert "Ben Brook" in on_call
    assert "Cannot be paged" in on_call


@time_machine.travel(NOW, tick=False)
def test_a_failed_contact_method_is_flagged_and_counts_as_unreachable(client_as, payments):
    ContactMethod.objects.filter(address="ben@example.org").update(failure_reason="mailbox full")
    on_call = _panel(_get(client_as("responder")).content.decode(), "on-call")
    assert "failed: mailbox full" in on_call
    assert "Cannot be paged" in on_call


@time_machine.travel(datetime(2025, 12, 20, 12, 0, tzinfo=UTC), tick=False)
def test_a_gap_shows_nobody_on_call_until_the_rotation_starts_and_the_manager(client_as, payments):
    on_call = _panel(_get(client_as("responder")).content.decode(), "on-call")
    assert '<p class="nobody" role="alert">Nobody on call</p>' in on_call
    assert "has a gap now, until Mon 5 Jan, 09:00" in on_call
    assert "Ana Alvarez" not in on_call and "Ben Brook" not in on_call
    assert "Call instead" in on_call
    assert '<a href="mailto:mona@example.org">mona@example.org</a>' in on_call


@time_machine.travel(NOW, tick=False)
def test_a_rotation_with_nobody_in_it_is_a_gap_with_no_end(client_as, payments):
    empty = make_rotation("Empty rotation", people=[], team=payments["team"])
    payments["service"].rotation = empty
    payments["service"].save()
    on_call = _panel(_get(client_as("responder")).content.decode(), "on-call")
    assert "Nobody on call" in on_call
    assert "with nobody scheduled after it" in on_call


def test_a_service_without_a_rotation_says_nobody_is_on_call(client_as, payments):
    payments["service"].rotation = None
    payments["service"].save()
    on_call = _panel(_get(client_as("responder")).content.decode(), "on-call")
    assert "Nobody on call" in on_call
    assert "No on-call rotation is set for this service." in on_call


def test_no_rotation_and_no_manager_says_there_is_nobody_to_fall_back_on(client_as, db):
    make_service("Lonely", slug="lonely")
    on_call = _panel(_get(client_as("responder"), "lonely").content.decode(), "on-call")
    assert "Nobody on call" in on_call
    assert "has no manager to fall back on" in on_call


@time_machine.travel(NOW, tick=False)
def test_the_owner_team_is_listed_with_its_manager_and_who_cannot_be_paged(client_as, payments):
    make_person("Dan Unreachable", team=payments["team"])
    owners = _panel(_get(client_as("responder")).content.decode(), "owners")
    assert "Mona Manager" in owners
    for member in ["Ana Alvarez", "Ben Brook", "Dan Unreachable"]:
        assert member in owners
    dan_line = owners[owners.index("Dan Unreachable") :].split("</li>")[0]
    assert "cannot be paged" in dan_line
    ana_line = owners[owners.index("Ana Alvarez") :].split("</li>")[0]
    assert "cannot be paged" not in ana_line
    ben_line = owners[owners.index("Ben Brook") :].split("</li>")[0]
    assert "on call" in ben_line


def test_upstream_services_with_status_and_connectors_are_listed(client_as, payments):
    needs = _panel(_get(client_as("responder")).content.decode(), "dependencies")
    assert '<a href="/services/ledger/">Ledger</a>' in needs
    assert '<span class="status status-major_outage">Major outage</span>' in needs
    assert "Stripe in Make" in needs and "Stripe on Make" in needs
    assert "no failure reported" in needs


@time_machine.travel(NOW, tick=False)
def test_a_failing_connector_is_flagged_with_its_note(client_as, payments):
    Connector.objects.filter(name="Stripe in Make").update(
        failing_since=datetime(2026, 1, 13, 14, 30, tzinfo=UTC), failure_note="401 from Stripe"
    )
    needs = _panel(_get(client_as("responder")).content.decode(), "dependencies")
    assert "failing since Tue 13 Jan, 14:30 UTC: 401 from Stripe" in needs


def test_the_impact_panel_names_business_processes_and_tier_one_dependents(client_as, payments):
    affected = _panel(_get(client_as("responder")).content.decode(), "impact")
    for process in ["Payments", "Partner payouts", "Billing", "Financial reporting"]:
        assert f"<li>{process}" in affected
    assert "Accounting" not in affected  # the ledger is upstream: it does not break with us
    tier_one = affected[affected.index("Tier-1 services") : affected.index("Everything")]
    assert "Partner portal" in tier_one and "Invoicing" not in tier_one
    assert "Month-end reports" in affected and "via Invoicing" in affected


def test_a_service_nothing_depends_on_says_so(client_as, payments):
    affected = _panel(_get(client_as("responder"), "month-end-reports").content.decode(), "impact")
    assert "No other service depends on it." in affected
    assert "<li>Financial reporting" in affected


def test_response_targets_are_the_defaults_replaced_by_the_service_own(client_as, payments):
    ResponseTarget.objects.create(
        severity="sev2",
        service=payments["service"],
        definition="Reconciliation late for the day's payouts.",
        acknowledge_minutes=3,
        triage_minutes=90,
        decision_minutes=None,
        update_minutes=45,
    )
    page = _get(client_as("responder")).content.decode()
    targets = _panel(page, "response-targets")
    rows = {row.split("</span>")[0].split(">")[-1]: row for row in targets.split("<tr>")[2:]}
    assert "<td>5 min</td><td>15 min</td><td>1 h</td><td>30 min</td>" in rows["SEV1"]
    assert "<td>3 min</td><td>1 h 30 min</td><td>—</td><td>45 min</td>" in rows["SEV2"]
    assert "set for this service" in rows["SEV2"] and "set for this service" not in rows["SEV1"]
    assert "<td>1 h</td><td>—</td><td>—</td><td>—</td>" in rows["SEV4"]


def test_another_service_override_does_not_leak_into_this_page(client_as, payments):
    ResponseTarget.objects.create(
        severity="sev1", service=payments["ledger"], acknowledge_minutes=1
    )
    targets = _panel(_get(client_as("responder")).content.decode(), "response-targets")
    assert "<td>5 min</td>" in targets and "<td>1 min</td>" not in targets


def test_a_missing_target_is_flagged(client_as, payments):
    ResponseTarget.objects.filter(severity="sev3").delete()
    targets = _panel(_get(client_as("responder")).content.decode(), "response-targets")
    assert "No response target is set for this severity." in targets


def test_decision_authority_shows_who_may_act_per_severity(client_as, payments):
    authority = _panel(_get(client_as("responder")).content.decode(), "decision-authority")
    rollback = authority[authority.index("Approve a rollback") :].split("</tr>")[0]
    assert rollback.count("the incident's commander or technical lead") == 4
    declare = authority[authority.index("Declare") :].split("</tr>")[0]
    assert declare.count("Incident commanders, Responders") == 4


def test_authority_matrix_marks_missing_and_empty_cells():
    class Row:
        def __init__(self, severity, action, groups, incident_roles):
            self.severity, self.action, self.incident_roles = severity, action, incident_roles
            self._groups = [Group(name=name) for name in groups]
            self.portal_roles = self

        def all(self):
            return self._groups

    rows = [
        Row("sev1", "close", ["Incident commanders"], ["commander"]),
        Row("sev2", "close", [], []),
        Row("sev3", "close", [], "technical_lead"),  # a lone string typed in admin
    ]
    matrix = dict(authority_matrix(rows))
    close = matrix["Close"]
    assert close[0].portal_roles == ("Incident commanders",)
    assert close[0].incident_roles == ("commander",)
    assert close[1].defined and close[1].nobody
    assert close[2].incident_roles == ("technical lead",)
    assert not close[3].defined
    assert next(action for action, _ in authority_matrix(rows)) == "Declare"


def _incident(service, title, *, status="investigating", day=1, **fields):
    incident = Incident.objects.create(
        title=title,
        severity=fields.pop("severity", "sev2"),
        status=status,
        declared_at=datetime(2026, 1, day, 9, 0, tzinfo=UTC),
        **fields,
    )
    incident.services.add(service)
    return incident


def test_an_open_incident_on_the_service_is_announced_at_the_top(client_as, payments):
    open_one = _incident(payments["service"], "Payouts stuck", severity="sev1")
    _incident(payments["service"], "Old hiccup", status="closed")
    _incident(payments["ledger"], "Ledger slow")
    page = _get(client_as("responder")).content.decode()
    start = page.index('class="service-head"')
    header = page[start : page.index("</header>", start)]
    assert f'<a href="/incidents/{open_one.pk}/">INC-{open_one.pk} Payouts stuck</a>' in header
    assert "Old hiccup" not in header and "Ledger slow" not in header


def test_recent_incidents_are_the_five_newest_of_this_service(client_as, payments):
    for day in range(1, 8):
        _incident(payments["service"], f"Incident of day {day}", status="closed", day=day)
    _incident(payments["ledger"], "Ledger slow", day=9)
    recent = _panel(_get(client_as("responder")).content.decode(), "recent-incidents")
    shown = [day for day in range(1, 8) if f"Incident of day {day}<" in recent]
    assert shown == [3, 4, 5, 6, 7]
    assert recent.index("day 7") < recent.index("day 3")
    assert "Ledger slow" not in recent


def test_a_service_without_incidents_says_so(client_as, payments):
    recent = _panel(_get(client_as("responder")).content.decode(), "recent-incidents")
    assert "No incident has involved this service yet." in recent


@pytest.mark.parametrize("size", [10, 200])
@time_machine.travel(NOW, tick=False)
def test_queries_do_not_grow_with_services_or_people(
    client_as, db, django_assert_max_num_queries, size
):
    team = make_team("Big team", slug="big")
    people = [make_person(team=team) for _ in range(size)]
    for person in people[::3]:
        make_reachable(person)
    team.manager = people[0]
    team.save()
    rotation = make_rotation("Big rotation", people=people, team=team)
    for person in people[:5]:
        Override.objects.create(
            rotation=rotation,
            person=person,
            starts_at=datetime(2026, 1, 13, 8, 0, tzinfo=UTC),
            ends_at=datetime(2026, 1, 20, 8, 0, tzinfo=UTC),
        )
    core = make_service("Core", slug="core", owner_team=team, rotation=rotation)
    upstream_side = [make_service(owner_team=team) for _ in range(size // 2)]
    downstream_side = [make_service(owner_team=team, tier=1 + n % 3) for n in range(size // 2)]
    connectors = []
    for number, service in enumerate(upstream_side):
        ServiceDependency.objects.create(service=core, depends_on=service)
        connector = Connector.objects.create(name=f"C{number}", vendor="V", platform="make")
        service.connectors.add(connector)
        connectors.append(connector)
    for day in range(1, 1 + size // 20):
        _incident(core, f"Incident {day}", status="resolved" if day % 2 else "monitoring", day=day)
    previous = core
    for service in downstream_side:
        ServiceDependency.objects.create(service=service, depends_on=previous)
        previous = service
    client = client_as("responder")
    # The same budget on SQLite and PostgreSQL: no query here differs between them.
    # One is the header's question: may this viewer declare (the decision authority).
    with django_assert_max_num_queries(23):
        response = client.get("/services/core/")
    assert response.status_code == 200
    assert len(response.context["graph"].impact.dependents) == size // 2
    assert len(response.context["members"]) == size
