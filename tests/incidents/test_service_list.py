"""/services/: the catalog as a filterable, sortable table with a CSV export."""

import csv
import io

import pytest

from incidents.models import Tier
from tests.incidents.factories import make_service, make_team

URL = "/services/"


@pytest.fixture
def catalog(db):
    payments_team = make_team("Payments team", slug="payments")
    growth_team = make_team("Growth", slug="growth")
    return {
        "onboarding": make_service(
            "Onboarding flow",
            tier=Tier.CRITICAL,
            business_process="Customer onboarding",
            owner_team=growth_team,
            platform="zapier",
            public=True,
        ),
        "reconciliation": make_service(
            "Payment reconciliation",
            tier=Tier.CRITICAL,
            business_process="Payments",
            owner_team=payments_team,
            platform="make",
            status="major_outage",
        ),
        "partner_portal": make_service(
            "Partner portal",
            tier=Tier.IMPORTANT,
            business_process="Partner management",
            owner_team=growth_team,
            platform="bubble",
            status="degraded",
        ),
        "wiki": make_service(
            "Team wiki",
            tier=Tier.LOW,
            business_process="Internal knowledge",
            owner_team=payments_team,
            platform="airtable",
        ),
    }


def _names(response) -> list[str]:
    return [row.record.name for row in response.context["table"].paginated_rows]


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


@pytest.mark.parametrize(
    "username", ["leader", "commander", "responder", "comms", "roster_admin"]
)
def test_every_portal_role_may_read_the_catalog(client_as, catalog, username):
    response = client_as(username).get(URL)
    assert response.status_code == 200
    assert "Onboarding flow" in response.content.decode()


def test_a_login_without_a_portal_role_is_refused_the_catalog(client_as, catalog):
    response = client_as("outsider").get(URL)
    assert response.status_code == 403
    assert "Onboarding flow" not in response.content.decode()


def test_rows_show_every_column_with_links_tier_meaning_and_status_colour(client_as, catalog):
    page = client_as("responder").get(URL).content.decode()
    assert '<a href="/services/payment-reconciliation/">Payment reconciliation</a>' in page
    assert 'title="Customers cannot sign up, pay or be paid' in page
    assert '<span class="status status-major_outage">Major outage</span>' in page
    assert '<span class="status status-degraded">Degraded performance</span>' in page
    for shown in ["Payments team", "Make", "Bubble", "Customer onboarding", "Tier 3 · low"]:
        assert shown in page


def test_catalog_is_ordered_by_tier_then_name_by_default(client_as, catalog):
    response = client_as("responder").get(URL)
    assert _names(response) == [
        "Onboarding flow",
        "Payment reconciliation",
        "Partner portal",
        "Team wiki",
    ]


def test_columns_sort_both_ways(client_as, catalog):
    client = client_as("responder")
    assert _names(client.get(URL, {"sort": "name"}))[0] == "Onboarding flow"
    assert _names(client.get(URL, {"sort": "-name"}))[0] == "Team wiki"
    by_team = _names(client.get(URL, {"sort": "owner_team"}))
    assert by_team[:2] == ["Onboarding flow", "Partner portal"]  # Growth before Payments team
    assert _names(client.get(URL, {"sort": "-tier"}))[0] == "Team wiki"


def test_status_sorts_by_how_bad_it_is_worst_first_when_descending(client_as, catalog):
    catalog["wiki"].status = "maintenance"
    catalog["wiki"].save()
    response = client_as("responder").get(URL, {"sort": "-status"})
    assert _names(response) == [
        "Payment reconciliation",  # major outage
        "Partner portal",  # degraded
        "Team wiki",  # maintenance
        "Onboarding flow",  # operational
    ]
    assert _names(client_as("responder").get(URL, {"sort": "status"}))[0] == "Onboarding flow"


def test_an_unknown_sort_column_is_ignored(client_as, catalog):
    response = client_as("responder").get(URL, {"sort": "password"})
    assert response.status_code == 200
    assert len(_names(response)) == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"tier": "1"}, ["Onboarding flow", "Payment reconciliation"]),
        ({"owner_team": "growth"}, ["Onboarding flow", "Partner portal"]),
        ({"platform": "bubble"}, ["Partner portal"]),
        ({"status": "major_outage"}, ["Payment reconciliation"]),
        ({"q": "portal"}, ["Partner portal"]),
        ({"q": "PAYMENTS"}, ["Payment reconciliation"]),  # the business process matches too
        ({"tier": "1", "owner_team": "payments"}, ["Payment reconciliation"]),
        ({"tier": "3", "platform": "zapier"}, []),
    ],
)
def test_filters_narrow_the_catalog(client_as, catalog, query, expected):
    response = client_as("responder").get(URL, query)
    assert response.status_code == 200
    assert _names(response) == expected


def test_an_empty_result_says_so(client_as, catalog):
    page = client_as("responder").get(URL, {"q": "nothing like this"}).content.decode()
    assert "No service matches these filters." in page


@pytest.mark.parametrize(
    "query",
    [
        {"tier": "9"},
        {"tier": "one"},
        {"owner_team": "no-such-team"},
        {"platform": "excel"},
        {"status": "on-fire"},
        {"q": "x" * 101},
        {"q": "null\x00byte"},
    ],
)
def test_an_invalid_filter_shows_the_whole_catalog_with_the_error(client_as, catalog, query):
    response = client_as("responder").get(URL, {**query, "platform_extra": "ignored"})
    assert response.status_code == 200
    assert len(_names(response)) == 4  # nothing half-filtered
    page = response.content.decode()
    assert "Some filters are not valid" in page
    assert 'class="errorlist"' in page


def test_an_invalid_filter_with_a_valid_one_does_not_apply_the_valid_one(client_as, catalog):
    response = client_as("responder").get(URL, {"tier": "1", "status": "on-fire"})
    assert len(_names(response)) == 4
    assert response.context["filter"].form.errors.keys() == {"status"}


@pytest.mark.parametrize("page", ["0", "-3", "abc", "99999999999999999999", "1.5"])
def test_a_bad_page_number_shows_a_page_not_an_error(client_as, catalog, page):
    response = client_as("responder").get(URL, {"page": page})
    assert response.status_code == 200
    assert len(_names(response)) == 4


def test_long_catalogs_are_paged(client_as, db):
    team = make_team()
    for number in range(60):
        make_service(f"Flow {number:02d}", owner_team=team)
    client = client_as("responder")
    first = client.get(URL, {"sort": "name"})
    assert len(_names(first)) == 50
    second = client.get(URL, {"sort": "name", "page": "2"})
    assert _names(second) == [f"Flow {n}" for n in range(50, 60)]
    assert client.get(URL, {"sort": "name", "page": "7"}).status_code == 200


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_export_holds_the_filtered_rows_in_readable_words(client_as, catalog):
    response = client_as("responder").get(URL, {"tier": "1", "sort": "-name", "_export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="services-')
    rows = _csv_rows(response)
    assert rows[0] == [
        "Service",
        "Tier",
        "Business process",
        "Owner team",
        "Platform",
        "Status",
        "Public",
    ]
    assert rows[1:] == [
        [
            "Payment reconciliation",
            "Tier 1 · critical",
            "Payments",
            "Payments team",
            "Make",
            "Major outage",
            "no",
        ],
        [
            "Onboarding flow",
            "Tier 1 · critical",
            "Customer onboarding",
            "Growth",
            "Zapier",
            "Operational",
            "yes",
        ],
    ]


def test_csv_export_holds_every_filtered_row_not_only_the_first_page(client_as, db):
    team = make_team()
    for number in range(60):
        make_service(f"Flow {number:02d}", owner_team=team)
    response = client_as("responder").get(URL, {"_export": "csv", "page": "2"})
    assert len(_csv_rows(response)) == 61


def test_csv_export_defuses_cells_a_spreadsheet_would_run(client_as, db):
    make_service('=HYPERLINK("http://evil.example")', business_process="+1+1")
    rows = _csv_rows(client_as("responder").get(URL, {"_export": "csv"}))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1][2] == "'+1+1"


def test_csv_export_with_an_invalid_filter_is_refused_with_the_error(client_as, catalog):
    response = client_as("responder").get(URL, {"tier": "7", "_export": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "No CSV was made" in response.content.decode()


def test_posting_to_the_catalog_is_not_allowed(client_as, catalog):
    assert client_as("responder").post(URL).status_code == 405


def test_an_unknown_export_format_shows_the_page(client_as, catalog):
    response = client_as("responder").get(URL, {"_export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_the_export_link_keeps_filters_and_sort(client_as, catalog):
    response = client_as("responder").get(URL, {"tier": "2", "sort": "name", "page": "1"})
    export_url = response.context["export_url"]
    assert "tier=2" in export_url and "sort=name" in export_url and "_export=csv" in export_url
    assert "page=" not in export_url


@pytest.mark.parametrize("count", [10, 200])
def test_queries_do_not_grow_with_the_catalog(client_as, db, django_assert_max_num_queries, count):
    teams = [make_team() for _ in range(4)]
    for number in range(count):
        make_service(owner_team=teams[number % 4], tier=1 + number % 3)
    client = client_as("responder")
    # The same budget on SQLite and PostgreSQL: no query here differs between them.
    with django_assert_max_num_queries(9):
        assert client.get(URL, {"sort": "owner_team"}).status_code == 200
    with django_assert_max_num_queries(9):
        response = client.get(URL, {"_export": "csv"})
        assert len(_csv_rows(response)) == count + 1


def test_the_filter_form_keeps_the_sort_and_clears_to_the_whole_catalog(client_as, catalog):
    page = client_as("commander").get(URL, {"sort": "-name", "tier": "1"}).content.decode()

    assert 'aria-label="Filter services"' in page
    assert '<input type="hidden" name="sort" value="-name">' in page
    assert f'<a href="{URL}">Clear</a>' in page
