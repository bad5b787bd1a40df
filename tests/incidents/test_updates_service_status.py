"""Public service status follows incidents (and the communications lead's hand), and
maintenance windows: their status, their page, and the paging they hold."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from incidents.comms.maintenance import in_maintenance, maintenance_cancel, maintenance_schedule
from incidents.models import (
    MaintenanceWindow,
    Notification,
    Service,
    ServiceStatusRule,
    TimelineEvent,
    Timer,
)
from incidents.services import (
    NotAllowed,
    incident_acknowledge,
    incident_assign_role,
    incident_declare,
    incident_set_status,
)
from incidents.timers import sweep_due
from portal import roles
from tests.incidents.factories import make_person, make_reachable, make_rotation, make_service

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)



@pytest.fixture
def services(db):
    oncall = make_person("Olu Oncall")
    make_reachable(oncall)
    rotation = make_rotation("Sign-up on-call", people=[oncall])
    return {
        "public": make_service("Sign-up flow", tier=1, public=True, rotation=rotation),
        "internal": make_service("Records base", tier=2, public=False, rotation=rotation),
        "oncall": oncall,
    }


def status(service) -> str:
    return Service.objects.get(pk=service.pk).status


def declare(services, severity="sev2", at=T0, **fields):
    """Declared by a person: the status follows at once (a change nobody made is held for
    a person to publish, see tests/security/test_automatic_service_status.py)."""
    with time_machine.travel(at, tick=False):
        return incident_declare(
            title="Sign-ups failing", severity=severity, services=services,
            declared_by=declarer(), **fields,
        )


def declarer():
    user, _ = get_user_model().objects.get_or_create(username="declarer")
    user.groups.add(Group.objects.get_or_create(name=roles.RESPONDERS)[0])
    return user


def resolve(incident, user, at=T0 + timedelta(hours=1)):
    with time_machine.travel(at, tick=False):
        incident_set_status(incident=incident, status="resolved", by=user)


def test_declaring_sets_public_services_from_the_severity_and_resolving_returns_them(
    services, cast
):
    incident = declare([services["public"], services["internal"]], severity="sev2")
    assert status(services["public"]) == "partial_outage"
    assert status(services["internal"]) == "operational"
    event = TimelineEvent.objects.get(kind="services_change")
    assert event.text == (
        "Status of Sign-up flow: Operational → Partial outage (SEV2 declared)."
    )
    resolve(incident, cast["commander"])
    assert status(services["public"]) == "operational"
    assert TimelineEvent.objects.filter(
        kind="services_change", text__contains="Partial outage → Operational"
    ).exists()


def test_the_mapping_is_configurable(services):
    ServiceStatusRule.objects.filter(severity="sev3").update(status="major_outage")
    declare([services["public"]], severity="sev3")
    assert status(services["public"]) == "major_outage"


def test_a_second_incident_keeps_the_worse_status_until_it_too_is_resolved(services, cast):
    first = declare([services["public"]], severity="sev1")
    second = declare([services["public"]], severity="sev3")
    assert status(services["public"]) == "major_outage"
    resolve(first, cast["commander"])
    assert status(services["public"]) == "degraded"
    resolve(second, cast["commander"])
    assert status(services["public"]) == "operational"


def test_drills_never_change_what_customers_see(services, cast):
    drill = declare([services["public"]], severity="sev1", is_drill=True)
    assert status(services["public"]) == "operational"
    resolve(drill, cast["commander"])
    assert not TimelineEvent.objects.filter(kind="services_change").exists()


def test_the_communications_lead_overrides_the_status_from_the_updates_page(
    services, cast, client_as
):
    incident = declare([services["public"]], severity="sev2")
    url = reverse("incidents:incident_updates", args=[incident.pk])
    data = {"action": "service_status", "status-service": services["public"].pk,
            "status-status": "degraded"}
    assert client_as("responder").post(url, data).status_code == 403
    assert status(services["public"]) == "partial_outage"
    comms = make_person("Cara Comms", user=cast["comms"])
    incident_assign_role(
        incident=incident, kind="communications_lead", person=comms, by=cast["commander"]
    )
    assert client_as("comms").post(url, data).status_code == 302
    assert status(services["public"]) == "degraded"
    assert TimelineEvent.objects.filter(
        kind="services_change", actor=cast["comms"],
        text__endswith="Partial outage → Degraded performance (set by hand).",
    ).exists()


def test_only_affected_services_can_be_overridden(services, client_as):
    incident = declare([services["public"]])
    url = reverse("incidents:incident_updates", args=[incident.pk])
    response = client_as("commander").post(url, {
        "action": "service_status", "status-service": services["internal"].pk,
        "status-status": "degraded",
    })
    assert response.status_code == 400
    assert status(services["internal"]) == "operational"


# --- maintenance windows --------------------------------------------------------------------


def schedule_window(services, user, start=T0 + timedelta(hours=1), hours=2, **fields):
    with time_machine.travel(T0, tick=False):
        return maintenance_schedule(
            title="Provider upgrade", services=services, starts_at=start,
            ends_at=start + timedelta(hours=hours), by=user, now=T0, **fields,
        )


def run(at):
    with time_machine.travel(at, tick=False):
        sweep_due(at)


def test_a_window_shows_maintenance_while_it_runs(services, cast):
    schedule_window([services["public"]], cast["responder"])
    assert status(services["public"]) == "operational"
    run(T0 + timedelta(hours=1))
    assert status(services["public"]) == "maintenance"
    run(T0 + timedelta(hours=3))
    assert status(services["public"]) == "operational"


def test_an_outage_outranks_maintenance_and_outlives_it(services, cast):
    schedule_window([services["public"]], cast["responder"])
    run(T0 + timedelta(hours=1))
    declare([services["public"]], severity="sev1", at=T0 + timedelta(hours=1, minutes=5))
    assert status(services["public"]) == "major_outage"
    run(T0 + timedelta(hours=3))
    assert status(services["public"]) == "major_outage"


def test_in_maintenance_needs_every_service_covered(services, cast):
    window = schedule_window([services["public"]], cast["responder"])
    during = T0 + timedelta(hours=1, minutes=30)
    assert in_maintenance([services["public"]], during) == [window]
    assert not in_maintenance([services["public"], services["internal"]], during)
    assert not in_maintenance([services["public"]], T0)
    assert not in_maintenance([], during)


def test_paging_is_held_during_the_window_and_resumes_when_it_ends(services, cast):
    schedule_window([services["public"]], cast["responder"])
    start = T0 + timedelta(hours=1, minutes=10)
    incident = declare([services["public"]], severity="sev1", at=start)
    run(start)
    assert not Notification.objects.filter(reason="escalation").exists()
    held = TimelineEvent.objects.get(kind="escalation", text__startswith="Paging held")
    assert "“Provider upgrade”" in held.text and "13:00 UTC" in held.text
    step = Timer.objects.get(kind="escalation_step", state="pending")
    assert step.due_at == T0 + timedelta(hours=3)
    assert step.reference == {"round": 0, "step": 0}
    run(T0 + timedelta(hours=3))
    assert Notification.objects.filter(
        reason="escalation", recipient=services["oncall"], incident=incident
    ).exists()


def test_an_acknowledged_incident_is_not_paged_after_the_window(services, cast):
    schedule_window([services["public"]], cast["responder"])
    start = T0 + timedelta(hours=1, minutes=10)
    incident = declare([services["public"]], severity="sev1", at=start)
    run(start)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        incident_acknowledge(incident=incident, by=cast["responder"])
    run(T0 + timedelta(hours=3))
    assert not Notification.objects.filter(reason="escalation").exists()


def test_drills_and_windows_that_do_not_hold_paging_page_as_usual(services, cast):
    schedule_window([services["public"]], cast["responder"], suppress_paging=False)
    start = T0 + timedelta(hours=1, minutes=10)
    declare([services["public"]], severity="sev1", at=start)
    run(start)
    assert Notification.objects.filter(reason="escalation").exists()


def test_calling_off_a_running_window_returns_the_services(services, cast):
    window = schedule_window([services["public"]], cast["responder"], start=T0)
    assert status(services["public"]) == "maintenance"
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        maintenance_cancel(window=window, by=cast["responder"])
    assert status(services["public"]) == "operational"
    assert not Timer.objects.filter(kind="comms_maintenance_end", state="pending").exists()


def test_only_operators_schedule_windows(services, cast):
    with pytest.raises(NotAllowed):
        schedule_window([services["public"]], cast["leader"])


def test_the_maintenance_page_lists_and_schedules_windows(services, client_as):
    url = reverse("incidents:maintenance")
    data = {
        "window-title": "Database upgrade", "window-services": [services["public"].pk],
        "window-starts_at": "2026-03-02T11:00", "window-ends_at": "2026-03-02T12:00",
        "window-public": "on", "window-suppress_paging": "on", "action": "schedule",
    }
    with time_machine.travel(T0, tick=False):
        assert client_as("leader").get(url).status_code == 200
        assert client_as("leader").post(url, data).status_code == 403
        assert client_as("outsider").get(url).status_code == 403
        response = client_as("responder").post(url, data)
        assert response.status_code == 302
        page = client_as("responder").get(url).content.decode()
    window = MaintenanceWindow.objects.get()
    assert window.title == "Database upgrade" and window.public and window.suppress_paging
    assert window.starts_at == T0 + timedelta(hours=1)
    assert "Database upgrade" in page


def test_the_maintenance_page_refuses_a_window_ending_before_it_starts(services, client_as):
    with time_machine.travel(T0, tick=False):
        response = client_as("responder").post(reverse("incidents:maintenance"), {
            "window-title": "Backwards", "window-services": [services["public"].pk],
            "window-starts_at": "2026-03-02T12:00", "window-ends_at": "2026-03-02T11:00",
            "action": "schedule",
        })
    assert response.status_code == 400
    assert "The window must end after it starts." in response.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_a_raised_severity_raises_the_status_when_the_lifecycle_reports_it(services):
    from incidents.comms.follow import incident_changed
    from incidents.models import Incident

    incident = declare([services["public"]], severity="sev3")
    assert status(services["public"]) == "degraded"
    Incident.objects.filter(pk=incident.pk).update(severity="sev1")
    incident.refresh_from_db()
    incident_changed(incident, by=declarer(), at=T0 + timedelta(minutes=5))
    assert status(services["public"]) == "major_outage"
    assert TimelineEvent.objects.filter(
        kind="services_change", text__endswith=f"(SEV1 {incident.reference})."
    ).exists()
