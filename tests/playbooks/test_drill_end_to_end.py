"""A whole drill through the real path and real local receivers: five stakeholders, one
whose webhook is gone, one who acknowledges late. Pages go out by email to a local SMTP
server and by webhook to a local HTTP server; people acknowledge through the link in the
message they received (the ack page's POST). The report shows exactly 3 reached in window,
the latencies, and the failures for follow-up."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from incidents.models import AudienceGroup, Notification
from incidents.notifications.delivery import deliver
from incidents.notifications.render import ack_link_in
from incidents.timers import sweep_due
from playbooks.follow_ups import drill_follow_ups
from playbooks.measurement import measure_drill
from playbooks.services import drill_create, drill_start
from tests.incidents.factories import make_person, make_rotation, make_service, make_team
from tests.incidents.sinks import HttpSink, SmtpSink
from tests.playbooks.builders import reach_by

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:8000"


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield sink


@pytest.fixture
def http(outbound_to_loopback):
    with HttpSink() as sink:
        yield sink


def at(minutes, seconds=0):
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def deliver_all(person, when):
    """Deliver ``person``'s queued pages at ``when``; returns their rows afterwards."""
    rows = Notification.objects.filter(recipient=person, state="queued")
    with time_machine.travel(when, tick=False):
        for row in rows:
            deliver(row.pk)
    return list(Notification.objects.filter(recipient=person).order_by("pk"))


def acknowledge(person, when, received_text):
    """``person`` opens the ack link in what they received and presses the button."""
    link = ack_link_in(received_text)
    assert link.startswith(f"{BASE}/ack/"), received_text
    path = link.removeprefix(BASE)
    browser = Client()
    with time_machine.travel(when, tick=False):
        assert browser.get(path).status_code == 200
        return browser.post(path)


def test_five_stakeholders_one_broken_one_late_three_reached(db, cast, smtp, http):
    team = make_team("Finance Operations")
    olu, kim, priya = make_person("Olu Oncall"), make_person("Kim Backup"), make_person("Priya")
    lena, hannah, ines = make_person("Lena"), make_person("Hannah"), make_person("Ines")
    team.manager = priya
    team.save()
    rotation = make_rotation("Payments rota", people=[olu, kim], team=team)
    service = make_service("Payments", owner_team=team, rotation=rotation, tier=1)
    AudienceGroup.objects.get(slug="leadership").members.set([lena, hannah, ines])
    reach_by(olu, "email", "olu@example.org")
    reach_by(priya, "webhook", f"{http.url}/hooks/priya")
    reach_by(lena, "email", "lena@example.org")
    reach_by(hannah, "webhook", f"{http.url}/hooks/hannah-gone")
    reach_by(ines, "email", "ines@example.org")

    drill = drill_create(title="Payments drill", severity="sev1", services=[service],
                         scenario="Stripe webhooks rejected (pretend).", by=cast["commander"],
                         now=T0)
    assert drill.stakeholders.count() == 5
    with time_machine.travel(T0, tick=False):
        drill_start(drill=drill, by=cast["commander"])

    # Minute 0: the escalation pages the on-call; the mail arrives 2 s later.
    sweep_due(at(0))
    deliver_all(olu, at(0, 2))
    [mail] = smtp.wait_for(1)
    assert mail.subject.startswith("[DRILL] [URGENT] SEV1")
    assert acknowledge(olu, at(2), mail.text).status_code == 200

    # Minute 5: the escalation stopped at Olu's acknowledgement; the drill pages Priya.
    sweep_due(at(5))
    deliver_all(priya, at(5, 4))
    [hook] = http.wait_for(1)
    assert hook.json["drill"] == "yes"
    assert acknowledge(priya, at(7), hook.json["ack_url"]).status_code == 200

    # Minute 10: leadership. Hannah's webhook is gone (404); Ines acknowledges late.
    sweep_due(at(10))
    deliver_all(lena, at(10, 1))
    http.fail_next(1, status=404)
    [failed] = deliver_all(hannah, at(10, 3))
    assert failed.state == "failed"
    deliver_all(ines, at(10, 6))
    mails = {m.recipients[0]: m for m in smtp.wait_for(3)}
    assert acknowledge(lena, at(12), mails["lena@example.org"].text).status_code == 200
    assert acknowledge(ines, at(17), mails["ines@example.org"].text).status_code == 200

    drill.refresh_from_db()
    report = measure_drill(drill, now=at(30))
    reached = {r.name: r.reached_in_window for r in report.results}
    assert reached == {"Olu Oncall": True, "Priya": True, "Lena": True, "Hannah": False,
                       "Ines": False}
    assert (report.reached_in_window, report.expected, report.passed) == (3, 5, False)
    assert sorted(report.latencies) == [1, 2, 4, 6]
    assert (report.latency_p50, report.latency_p95) == (2, 6)
    by_name = {r.name: r for r in report.results}
    assert by_name["Priya"].delivered_after == timedelta(minutes=5, seconds=4)
    assert by_name["Priya"].acknowledged_after == timedelta(minutes=7)
    assert by_name["Ines"].acknowledged_after == timedelta(minutes=17)
    follow_ups = [(f.kind, f.summary) for f in drill_follow_ups(drill, report)]
    assert ("unreached", "Hannah was not reached within 15 min (delivery failed).") in follow_ups
    assert ("unreached", "Ines was reached after 17 min 00 s, outside the 15 min window.") \
        in follow_ups
    assert any(kind == "contact_failed" and summary.startswith("Hannah: Webhook failed")
               for kind, summary in follow_ups)
    assert all("hannah-gone" not in summary for _, summary in follow_ups)
