"""The home page is "my work": what pages me, my seats, my on-call, my tasks, my action items
and review drafts, and leadership's critical services; sections registered by each app."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from incidents.models import IncidentRole, Notification, Task, Tier
from incidents.services import incident_acknowledge, incident_declare
from portal.home import SECTIONS
from reviews.models import ActionItem, Review
from tests.incidents.factories import make_person, make_reachable, make_rotation, make_service

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday; weekly shifts hand off Mondays 9:00


def linked(user, name=None):
    person = make_person(name or user.get_full_name())
    person.user = user
    person.save()
    return person


def page(person, incident):
    method = make_reachable(person) if not person.contact_methods.exists() else (
        person.contact_methods.first()
    )
    return Notification.objects.create(
        incident=incident, reason=Notification.Reason.ESCALATION, cause=f"timer:{incident.pk}",
        recipient=person, contact_method=method, channel="email", urgency="urgent",
        subject="Paged", body="Paged", idempotency_key=f"k{incident.pk}-{person.pk}",
    )


def declare(title, severity="sev2", services=()):
    return incident_declare(title=title, severity=severity, declared_by=None, services=services)


def make_review(person, title="Checkout review", state=Review.State.DRAFT):
    review = Review.objects.create(title=title, severity="sev2", due_on=date(2026, 3, 1),
                                   state=state)
    review.reviewers.add(person)
    return review


def test_each_app_fills_its_sections_in_ready():
    assert {"waiting_for_me", "my_seats", "my_on_call", "my_tasks", "critical_services"} <= set(
        SECTIONS
    )
    assert {"my_action_items", "my_review_drafts"} <= set(SECTIONS)


@time_machine.travel(NOW, tick=False)
def test_a_responder_sees_what_pages_them_their_seats_on_call_and_tasks(client_as, cast):
    rita = linked(cast["responder"], "Rita Responder")
    olu = make_person("Olu Oncall")
    make_rotation("Checkout on-call", people=[rita, olu])
    paging = declare("Checkout Zap failing")
    page(rita, paging)
    acknowledged = declare("Already handled")
    page(rita, acknowledged)
    incident_acknowledge(incident=acknowledged, by=cast["commander"])
    seat = declare("Invoices late", severity="sev1")
    IncidentRole.objects.create(incident=seat, kind="technical_lead", holder=rita)
    Task.objects.create(incident=seat, title="Pause the Make scenario", assignee=rita)
    Task.objects.create(incident=seat, title="Done already", assignee=rita, done_at=NOW)

    text = client_as("responder").get("/").text
    waiting = text.split('id="home-waiting"')[1].split("</section>")[0]
    assert f"{paging.reference} Checkout Zap failing" in waiting
    assert "Already handled" not in waiting
    seats = text.split('id="home-seats"')[1].split("</section>")[0]
    assert "Technical lead (no-code)</strong> on" in seats and seat.reference in seats
    oncall = text.split('id="home-oncall"')[1].split("</section>")[0]
    assert "You are on call</strong> for" in oncall
    assert "Mon 9 Mar 09:00" in oncall and "then Olu Oncall" in oncall
    tasks = text.split('id="home-tasks"')[1].split("</section>")[0]
    assert "Pause the Make scenario" in tasks and "Done already" not in tasks


@time_machine.travel(NOW, tick=False)
def test_off_call_says_when_the_next_shift_starts(client_as, cast):
    rita = linked(cast["responder"])
    make_rotation("Checkout on-call", people=[make_person("Olu Oncall"), rita])
    text = client_as("responder").get("/").text
    oncall = text.split('id="home-oncall"')[1].split("</section>")[0]
    assert "your next shift starts" in oncall and "Mon 9 Mar 09:00" in oncall
    assert "You are on call" not in oncall


def test_a_login_without_a_person_is_told_so(client_as):
    text = client_as("commander").get("/").text
    assert "Your login is not linked to a person on the roster" in text


def test_leadership_sees_the_critical_services(client_as, cast):
    checkout = make_service("Checkout", tier=Tier.CRITICAL, status="major_outage")
    make_service("Reports", tier=Tier.LOW)
    declare("Checkout down", services=[checkout])
    text = client_as("leader").get("/").text
    critical = text.split('id="home-critical"')[1].split("</section>")[0]
    assert "Checkout" in critical and "Major outage" in critical and "1 open incident" in critical
    assert "Reports" not in critical
    assert 'id="home-critical"' not in client_as("responder").get("/").text


def test_action_items_and_review_drafts_are_listed_for_their_owner(client_as, cast):
    rita = linked(cast["responder"])
    draft = make_review(rita)
    make_review(rita, title="Old published one", state=Review.State.PUBLISHED)
    ActionItem.objects.create(review=draft, title="Add a retry to the Zap", owner_person=rita,
                              due_on=date(2026, 3, 10), impact=4, effort=2)
    ActionItem.objects.create(review=draft, title="Closed one", owner_person=rita,
                              due_on=date(2026, 3, 10), impact=4, effort=2, status="done")
    text = client_as("responder").get("/").text
    items = text.split('id="home-action-items"')[1].split("</section>")[0]
    assert "Add a retry to the Zap" in items and "Closed one" not in items
    drafts = text.split('id="home-review-drafts"')[1].split("</section>")[0]
    assert "Checkout review" in drafts and "Old published one" not in drafts


def test_a_roster_admin_gets_no_incident_section_it_could_not_open(client_as, cast):
    admin = linked(cast["roster_admin"])
    incident = declare("Checkout down")
    page(admin, incident)
    IncidentRole.objects.create(incident=incident, kind="business_liaison", holder=admin)
    text = client_as("roster_admin").get("/").text
    assert incident.get_absolute_url() not in text
    assert 'id="home-oncall"' in text


def test_an_outsider_gets_no_section(client_as):
    text = client_as("outsider").get("/").text
    assert 'class="home-sections"' not in text
    assert "You have no portal role yet" in text


@pytest.mark.parametrize("size", [2, 30])
@time_machine.travel(NOW, tick=False)
def test_home_queries_do_not_grow_with_the_work(client_as, cast, size, django_assert_num_queries):
    rita = linked(cast["responder"])
    leader = linked(cast["leader"], "Lee Leader")
    for n in range(size):
        incident = declare(f"Incident {n}", services=[make_service(tier=Tier.CRITICAL)])
        page(rita, incident)
        IncidentRole.objects.create(incident=incident, kind="technical_lead", holder=rita)
        Task.objects.create(incident=incident, title=f"Task {n}", assignee=rita)
        make_rotation(f"Rotation {n}", people=[rita, make_person(), leader])
        review = make_review(rita, title=f"Review {n}")
        ActionItem.objects.create(review=review, title=f"Item {n}", owner_person=rita,
                                  due_on=date(2026, 3, 10), impact=3, effort=3)
    client = client_as("responder")
    client.get("/")
    with django_assert_num_queries(15):
        client.get("/")
    client = client_as("leader")
    client.get("/")
    with django_assert_num_queries(15):
        client.get("/")
