"""A playbook goes stale after its review interval; a durable timer then reminds the
owner team's manager through the notification outbox, and again while it stays stale."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import Notification, Timer
from incidents.timers import sweep_due
from playbooks.services import REVIEW_DUE, playbook_mark_reviewed, playbook_update
from tests.incidents.factories import make_person, make_team
from tests.playbooks.builders import make_playbook, reach_by

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def team(db):
    manager = make_person("Priya Manager")
    reach_by(manager, "email", "priya@example.org", urgency="routine")
    return make_team("Finance Operations", manager=manager)


@pytest.fixture
def playbook(team, cast):
    with time_machine.travel(T0, tick=False):
        return make_playbook(owner_team=team, by=cast["responder"], review_interval_days=30)


def reminders():
    return Notification.objects.filter(reason="reminder").order_by("queued_at", "pk")


def test_a_playbook_is_stale_once_its_interval_has_passed(playbook):
    assert playbook.review_interval_days == 30
    assert not playbook.is_stale(T0 + timedelta(days=29, hours=23))
    assert playbook.is_stale(T0 + timedelta(days=30))


def test_the_default_interval_is_ninety_days(team):
    assert make_playbook(owner_team=team, title="Other").review_interval_days == 90


def test_the_list_flags_stale_playbooks(client_as, playbook):
    client = client_as("leader")
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        row = client.get("/playbooks/").content.decode()
    assert "Stale" not in row.split(f'id="playbook-{playbook.slug}"')[1].split("</tr>")[0]
    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        html = client.get("/playbooks/").content.decode()
        page = client.get(playbook.get_absolute_url()).content.decode()
    row = html.split(f'id="playbook-{playbook.slug}"')[1].split("</tr>")[0]
    assert "Stale" in row and "4 Feb 2026" in row
    assert "1 stale" in html
    assert 'id="stale"' in page


def test_a_review_timer_is_due_when_the_playbook_goes_stale(playbook):
    [timer] = Timer.objects.filter(kind=REVIEW_DUE, state="pending")
    assert timer.due_at == T0 + timedelta(days=30)
    assert timer.reference == {"playbook": playbook.pk}


def test_the_manager_is_reminded_through_the_outbox_when_due(playbook):
    assert sweep_due(T0 + timedelta(days=29)) == 0
    assert not reminders().exists()
    due = T0 + timedelta(days=30, seconds=1)
    assert sweep_due(due) == 1
    [row] = reminders()
    assert row.recipient.name == "Priya Manager"
    assert (row.urgency, row.channel, row.incident) == ("routine", "email", None)
    assert row.subject == f"[Update] Playbook review due: {playbook.title}"
    assert f"http://127.0.0.1:8000/playbooks/{playbook.slug}/" in row.body
    assert "last reviewed on 5 January 2026 by Responder" in row.body
    playbook.refresh_from_db()
    assert playbook.reminded_at == due
    assert playbook.reminder_note == "Review reminder sent to Priya Manager."


def test_the_reminder_repeats_weekly_while_the_playbook_stays_stale(playbook):
    sweep_due(T0 + timedelta(days=30))
    assert sweep_due(T0 + timedelta(days=36)) == 0
    assert sweep_due(T0 + timedelta(days=37)) == 1
    assert reminders().count() == 2


def test_a_review_before_the_due_date_moves_the_reminder(playbook, cast):
    reviewed = T0 + timedelta(days=20)
    with time_machine.travel(reviewed, tick=False):
        playbook_mark_reviewed(playbook=playbook, by=cast["roster_admin"])
    assert sweep_due(T0 + timedelta(days=31)) == 0
    assert not reminders().exists()
    [timer] = Timer.objects.filter(kind=REVIEW_DUE, state="pending")
    assert timer.due_at == reviewed + timedelta(days=30)


def test_an_edit_counts_as_a_review(playbook, cast):
    with time_machine.travel(T0 + timedelta(days=25), tick=False):
        playbook_update(playbook=playbook, by=cast["responder"], title=playbook.title,
                        body="New text.", checklist="")
    assert sweep_due(T0 + timedelta(days=40)) == 0
    assert not reminders().exists()


def test_without_a_manager_the_page_says_nobody_was_reminded(client_as, cast):
    with time_machine.travel(T0, tick=False):
        playbook = make_playbook(owner_team=make_team("Orphans"), review_interval_days=7)
    sweep_due(T0 + timedelta(days=8))
    assert not reminders().exists()
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        page = client_as("responder").get(playbook.get_absolute_url()).content.decode()
    assert "Orphans has no manager to remind" in page


def test_marking_reviewed_on_the_page_is_for_editors(client_as, playbook):
    url = playbook.get_absolute_url()
    assert client_as("leader").post(url, {"action": "reviewed"}).status_code == 403
    with time_machine.travel(T0 + timedelta(days=40), tick=False):
        response = client_as("responder").post(url, {"action": "reviewed"})
    assert response.status_code == 302
    playbook.refresh_from_db()
    assert playbook.reviewed_at == T0 + timedelta(days=40)
    assert not playbook.is_stale(T0 + timedelta(days=41))


def test_the_reminder_email_carries_the_playbooks_own_text(playbook, settings):
    from incidents.notifications.delivery import deliver
    from tests.incidents.sinks import SmtpSink

    with SmtpSink() as sink:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        sweep_due(T0 + timedelta(days=30))
        [row] = reminders()
        assert deliver(row.pk) == "sent"
        [mail] = sink.wait_for(1)
    assert mail.subject == f"[Update] Playbook review due: {playbook.title}"
    assert f"http://127.0.0.1:8000/playbooks/{playbook.slug}/" in mail.text
    assert "waiting for you" not in mail.text
