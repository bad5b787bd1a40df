"""In a browser: a SEV1 declared by a commander reaches a responder's board by itself, the
responder acknowledges it from the board, and the commander's incident page shows it."""

import time

import pytest

from incidents.models import Incident, Tier
from tests.conftest import screenshot
from tests.incidents.factories import make_service

# serialized_rollback: the default response targets and decision authority are rows written
# by a migration, which a transactional test would otherwise start without.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

POLL_SECONDS = 5
# One poll interval, plus the time a poll and its swap take on a loaded machine.
WITHIN_ONE_POLL_MS = (POLL_SECONDS + 2) * 1000


def test_a_declared_sev1_reaches_the_board_live_and_is_acknowledged_from_it(
    cast, browser_login, live_server
):
    make_service("Checkout flow", slug="checkout", tier=Tier.CRITICAL, business_process="Payments")
    board = browser_login("responder")
    board.goto(f"{live_server.url}/board/")
    assert "No open incidents." in board.locator("#board").inner_text()
    # Set on this document only: it is gone if the board reloads instead of swapping.
    board.evaluate("window.boardNeverReloaded = true")

    commander = browser_login("commander")
    commander.goto(f"{live_server.url}/incidents/new/")
    commander.fill("#id_title", "Card payments failing at checkout")
    commander.locator("input[name=severity][value=sev1]").check()
    commander.get_by_label("Checkout flow", exact=False).check()
    commander.get_by_role("button", name="Declare").click()
    commander.wait_for_url("**/incidents/*/")
    declared_at = time.monotonic()
    incident = Incident.objects.get(title="Card payments failing at checkout")

    card = board.locator(f"#incident-{incident.pk}")
    card.wait_for(timeout=WITHIN_ONE_POLL_MS)
    assert time.monotonic() - declared_at < WITHIN_ONE_POLL_MS / 1000
    assert board.evaluate("window.boardNeverReloaded") is True
    assert card.locator(".sev").inner_text() == "SEV1"
    assert "Checkout flow" in card.inner_text()
    assert "No commander" in card.inner_text()
    assert "Not acknowledged" in card.inner_text()

    card.get_by_role("button", name="Acknowledge").click()
    card.get_by_text(f"INC-{incident.pk} acknowledged.").wait_for()
    assert card.get_by_role("button", name="Acknowledge").count() == 0
    assert board.evaluate("window.boardNeverReloaded") is True
    screenshot(board, "board")

    timeline = commander.locator("#timeline")
    acknowledgement = timeline.locator(".tl-acknowledged")
    acknowledgement.wait_for(timeout=WITHIN_ONE_POLL_MS)
    assert "Responder" in acknowledgement.inner_text()
    screenshot(commander, "incident-page")
    assert Incident.objects.get(pk=incident.pk).acknowledged_at is not None
