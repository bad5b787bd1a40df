"""The cross-review action item list: filters by status, quadrant, team and overdue, and
sorts by quadrant in priority order; the review page draws the matrix with a table."""

from datetime import date

import pytest
import time_machine

from incidents.models import Incident
from reviews.services import action_item_add, action_item_set_status, review_draft
from tests.incidents.factories import make_team

TODAY = date(2026, 4, 15)


@pytest.fixture
def items(cast):
    growth, finance = make_team("Growth", slug="growth"), make_team("Finance", slug="finance")
    review = review_draft(
        incident=Incident.objects.create(title="Sign-ups lost", severity="sev2",
                                         status="resolved")
    )
    other = review_draft(
        incident=Incident.objects.create(title="Invoices late", severity="sev3",
                                         status="resolved")
    )
    add = action_item_add
    by = cast["commander"]
    made = {
        "win": add(review=review, by=by, title="Alert on failed Zap runs", impact=5, effort=1,
                   due_on=date(2026, 4, 10), owner_team=growth),
        "project": add(review=review, by=by, title="Move onboarding off Zapier", impact=4,
                       effort=5, due_on=date(2026, 6, 1), owner_team=growth),
        "fill": add(review=other, by=by, title="Rename the Make scenario", impact=1, effort=1,
                    due_on=date(2026, 4, 30), owner_team=finance),
        "thankless": add(review=other, by=by, title="Rebuild invoices in code", impact=2,
                         effort=4, due_on=date(2026, 4, 1), owner_team=finance),
    }
    action_item_set_status(item=made["thankless"], status="dropped", by=by, note="Not worth it.")
    return made


def rows(client, query=""):
    with time_machine.travel(TODAY, tick=False):
        html = client.get(f"/reviews/actions/{query}").content.decode()
    body = html.split("<tbody")[1].split("</tbody>")[0]
    return [part.split('"')[0] for part in body.split('id="action-item-')[1:]], html


def ids(items, *names):
    return [str(items[name].pk) for name in names]


def test_every_item_of_every_review_is_listed(client_as, items):
    found, html = rows(client_as("leader"))
    assert sorted(found) == sorted(ids(items, "win", "project", "fill", "thankless"))
    assert "1 overdue" in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?quadrant=quick_win", ["win"]),
        ("?quadrant=major_project", ["project"]),
        ("?quadrant=fill_in", ["fill"]),
        ("?quadrant=thankless", ["thankless"]),
        ("?status=dropped", ["thankless"]),
        ("?owner_team=finance", ["fill", "thankless"]),
        ("?overdue=on", ["win"]),
        ("?q=zapier", ["project"]),
        ("?q=invoices", ["fill", "thankless"]),
    ],
)
def test_the_filters_narrow_the_list(client_as, items, query, expected):
    found, _ = rows(client_as("leader"), query)
    assert sorted(found) == sorted(ids(items, *expected))


def test_sorting_by_quadrant_follows_the_priority_order(client_as, items):
    found, _ = rows(client_as("leader"), "?sort=quadrant")
    assert found == ids(items, "win", "project", "fill", "thankless")


def test_an_invalid_filter_shows_everything_and_says_so(client_as, items):
    with time_machine.travel(TODAY, tick=False):
        response = client_as("leader").get("/reviews/actions/?status=bogus")
    assert response.status_code == 400
    assert "Some filters are not valid" in response.content.decode()


def test_the_review_page_draws_the_matrix_and_the_table(client_as, items):
    review = items["win"].review
    html = client_as("leader").get(review.get_absolute_url()).content.decode()
    svg = html.split("<svg")[1].split("</svg>")[0]
    assert 'role="img"' in svg and 'aria-labelledby="matrix-title matrix-desc"' in svg
    assert "Quick win: 1. Major project: 1. Fill-in: 0. Thankless task: 0." in svg
    assert svg.count('class="matrix-dot"') == 2
    table = html.split('id="matrix-table"')[1].split("</table>")[0]
    assert "1. Alert on failed Zap runs (5 / 1)" in table
    assert "2. Move onboarding off Zapier (4 / 5)" in table
    priorities = html.split('class="priorities"')[1].split("</ol>")[0]
    assert priorities.index("Alert on failed Zap runs") < priorities.index("Move onboarding")
