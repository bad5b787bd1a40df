"""A drill measures reach, not suppression: the on-call acknowledging within seconds must
not stop the drill from reaching everyone else it expects, and the pages say what to do."""

from datetime import timedelta

import pytest
import time_machine

from incidents.models import Notification
from incidents.timers import sweep_due
from playbooks.measurement import measure_drill
from playbooks.services import drill_add_stakeholder, drill_create, drill_start
from tests.incidents.factories import make_person
from tests.incidents.sinks import SmtpSink
from tests.playbooks.builders import reach_by
from tests.playbooks.drill_setup import build_org
from tests.playbooks.test_drill_end_to_end import T0, acknowledge, at, deliver_all


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield sink


def mail_to(smtp, address, count):
    return [m for m in smtp.wait_for(count) if m.recipients[0] == address][-1]


def test_a_fast_acknowledgement_still_gives_full_reach(db, cast, smtp):
    org = build_org()
    cam = make_person("Cam Comms")
    reach_by(cam, "email", "cam@example.org")
    drill = drill_create(title="Payments drill", severity="sev1", services=[org.service],
                         scenario="Stripe webhooks rejected (pretend).", by=cast["commander"],
                         now=T0)
    drill_add_stakeholder(drill=drill, person=cam, reach_window_minutes=10, by=cast["commander"])
    with time_machine.travel(T0, tick=False):
        drill_start(drill=drill, by=cast["commander"])
    # Minute 0: Olu (the escalation) and Cam (the drill) are paged; Olu acknowledges within
    # 20 s, before Cam's mail has even left.
    sweep_due(at(0))
    deliver_all(org.olu, at(0, 2))
    assert acknowledge(org.olu, at(0, 20), mail_to(smtp, "olu@example.org", 1).text).status_code \
        == 200
    [cam_page] = deliver_all(cam, at(0, 30))
    assert cam_page.state == Notification.State.SENT
    cam_mail = mail_to(smtp, "cam@example.org", 2)
    assert "even if someone already has" in cam_mail.text
    assert "records that the drill reached you" in cam_mail.text
    assert acknowledge(cam, at(2), cam_mail.text).status_code == 200

    # Minutes 5 and 10: the drill pages the manager, then leadership, who all acknowledge.
    sweep_due(at(5))
    deliver_all(org.priya, at(5, 3))
    assert acknowledge(org.priya, at(7), mail_to(smtp, "priya@example.org", 3).text) \
        .status_code == 200
    sweep_due(at(10))
    deliver_all(org.lena, at(10, 1))
    deliver_all(org.hannah, at(10, 1))
    for person, address in ((org.lena, "lena@example.org"), (org.hannah, "hannah@example.org")):
        assert acknowledge(person, at(12), mail_to(smtp, address, 5).text).status_code == 200

    drill.refresh_from_db()
    report = measure_drill(drill, now=at(30))
    assert {r.name: r.outcome for r in report.results} == dict.fromkeys(
        ["Olu Oncall", "Cam Comms", "Priya Manager", "Lena Leader", "Hannah Head"],
        "reached in time")
    assert (report.share_percent, report.passed) == (100, True)


def test_a_drill_page_cancelled_before_it_left_does_not_count_as_paged(db, cast):
    org = build_org()
    drill = drill_create(title="Payments drill", severity="sev1", services=[org.service],
                         scenario="Pretend.", by=cast["commander"], now=T0)
    with time_machine.travel(T0, tick=False):
        drill_start(drill=drill, by=cast["commander"])
    sweep_due(at(0))
    Notification.objects.filter(recipient=org.olu).update(state=Notification.State.CANCELLED)
    report = measure_drill(drill, now=at(0) + timedelta(minutes=1))
    [olu] = [r for r in report.results if r.name == "Olu Oncall"]
    assert (olu.paged, olu.outcome) == (False, "never paged")
