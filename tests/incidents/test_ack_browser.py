"""The ack link from a delivered email, opened in Chromium and confirmed, acknowledges the
incident: no login, one click after the page has shown what it is about."""


from incidents.escalation import engine
from incidents.models import Incident, Notification, TimelineEvent
from portal.celery import app as celery_app
from tests.conftest import screenshot
from tests.incidents.factories import make_person, make_reachable


def test_the_ack_link_in_an_email_acknowledges_in_the_browser(
    browser, live_server, smtp, settings, monkeypatch
):
    settings.PORTAL_BASE_URL = live_server.url
    # The page's delivery is enqueued on commit; run it here instead of on a worker.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    olu = make_person("Olu Oncall")
    make_reachable(olu, "olu@example.org")
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    engine.page_now(incident, [olu], by=None)
    [mail] = smtp.wait_for(1)
    assert Notification.objects.get(recipient=olu).state == "sent"
    link = next(word for word in mail.text.split() if "/ack/" in word)
    assert link.startswith(live_server.url + "/ack/")

    context = browser.new_context(viewport={"width": 900, "height": 700})
    try:
        page = context.new_page()
        page.goto(link)
        assert page.locator("h1").inner_text().endswith(f"{incident.reference}: Payments failing")
        incident.refresh_from_db()
        assert incident.acknowledged_at is None  # opening the link did nothing
        screenshot(page, "ack-confirm")
        page.click("#acknowledge")
        page.wait_for_selector("text=The paging has stopped")
        screenshot(page, "ack-done")
    finally:
        context.close()

    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    event = TimelineEvent.objects.get(incident=incident, kind="acknowledged")
    assert event.actor_name == "Olu Oncall (link)"
    assert Notification.objects.get(recipient=olu).acknowledged_at is not None
