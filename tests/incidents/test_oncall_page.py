"""/oncall/: who is on call now for every rotation, who is next, and the viewer's feeds."""

import re
from datetime import date, datetime, time

import pytest
import time_machine
from django.urls import reverse

from incidents.models import (
    ContactMethod,
    LayerParticipant,
    Override,
    Person,
    Rotation,
    RotationLayer,
)
from tests.conftest import screenshot
from tests.incidents.factories import make_person, make_reachable, make_rotation, make_team

URL = "/oncall/"
# Wednesday of the second week: Ben's (rotation weeks start Mon 5 Jan 2026, 09:00 London).
WEDNESDAY = datetime.fromisoformat("2026-01-14T12:00:00+00:00")


@pytest.fixture
def payments(db):
    team = make_team("Payments")
    ana = make_person("Ana Alvarez", team=team)
    ben = make_person("Ben Brook", team=team)
    make_reachable(ana, "ana@example.org")
    make_reachable(ben, "ben@example.org")
    ContactMethod.objects.create(person=ben, kind="sms", address="+447700900123")
    ContactMethod.objects.create(
        person=ben, kind="slack", address="https://hooks.slack.com/services/T0/B0/secret-part"
    )
    rotation = make_rotation(
        "Payments primary", people=[ana, ben], team=team, time_zone="Europe/London"
    )
    return {"team": team, "ana": ana, "ben": ben, "rotation": rotation}


def _page(client, at=WEDNESDAY) -> str:
    with time_machine.travel(at, tick=False):
        response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, slug: str) -> str:
    match = re.search(
        rf'<section class="panel rotation" id="rotation-{slug}".*?</section>', page, re.S
    )
    assert match, f"no section for {slug}"
    return match.group(0)


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/oncall/"


@pytest.mark.parametrize(
    "username", ["leader", "commander", "responder", "comms", "roster_admin"]
)
def test_every_portal_role_may_see_who_is_on_call(client_as, payments, username):
    assert "Ben Brook" in _page(client_as(username))


def test_a_login_without_a_portal_role_sees_no_one_on_call(client_as, payments):
    response = client_as("outsider").get(URL)
    assert response.status_code == 403
    assert "Ben Brook" not in response.content.decode()


def test_a_post_is_refused(client_as, payments):
    assert client_as("responder").post(URL).status_code == 405


def test_the_person_on_call_is_shown_with_contact_methods_until_the_handoff(client_as, payments):
    section = _section(_page(client_as("responder")), "payments-primary")
    now_part = section.split("<h3>Next</h3>")[0]
    assert "Ben Brook" in now_part and "Ana Alvarez" not in now_part
    assert '<a href="mailto:ben@example.org">ben@example.org</a>' in now_part
    assert '<a href="tel:+447700900123">+447700900123</a>' in now_part
    assert "until Mon 19 Jan, 09:00 UTC" in now_part
    assert "Cannot be paged" not in now_part


def test_webhook_addresses_are_never_shown(client_as, payments):
    page = _page(client_as("responder"))
    assert "Slack webhook" in page
    assert "hooks.slack.com" not in page


def test_who_is_next_and_when_is_shown(client_as, payments):
    section = _section(_page(client_as("responder")), "payments-primary")
    next_part = section.split("<h3>Next</h3>")[1]
    assert "Ana Alvarez" in next_part
    assert "from Mon 19 Jan, 09:00 UTC until Mon 26 Jan, 09:00 UTC" in next_part


def test_times_are_shown_in_the_viewers_own_time_zone_and_the_page_says_so(
    client_as, cast, payments
):
    make_person("Rita Responder", user=cast["responder"], time_zone="America/New_York")
    page = _page(client_as("responder"))
    assert "America/New_York</strong>" in page and "(your time zone)" in page
    assert "until Mon 19 Jan, 04:00 EST" in _section(page, "payments-primary")


def test_without_a_person_the_portal_time_zone_is_used_and_named(client_as, payments, settings):
    settings.TIME_ZONE = "Europe/Paris"
    page = _page(client_as("responder"))
    assert "Europe/Paris</strong>" in page and "the portal's time zone" in page
    assert "until Mon 19 Jan, 10:00 CET" in page


def test_handoffs_keep_their_wall_clock_time_after_the_clocks_change(client_as, payments):
    # 25 March: Ben's week; the handoff on 30 March is 09:00 BST, i.e. 08:00 UTC.
    page = _page(client_as("responder"), datetime.fromisoformat("2026-03-25T12:00:00+00:00"))
    assert "until Mon 30 Mar, 08:00 UTC" in _section(page, "payments-primary")


def test_each_rotation_has_the_anchor_its_url_points_to(client_as, payments):
    page = _page(client_as("responder"))
    url = payments["rotation"].get_absolute_url()
    assert url == "/oncall/#rotation-payments-primary"
    assert 'id="rotation-payments-primary"' in page
    assert "Payments</span>" in _section(page, "payments-primary")  # its team


def test_a_rotation_that_has_not_started_shows_a_gap_in_red_until_it_does(client_as, payments):
    make_rotation("Partner portal", people=[payments["ana"]], starts_on=date(2026, 2, 2))
    page = _page(client_as("responder"))
    section = _section(page, "partner-portal")
    assert '<p class="gap" role="alert">Nobody on call until Mon 2 Feb, 09:00 UTC</p>' in section
    assert "Nobody is on call now for 1 rotation" in page
    assert 'href="#rotation-partner-portal"' in page


def test_a_rotation_with_nobody_in_it_says_no_one_is_scheduled(client_as, payments):
    make_rotation("Empty rota", people=[])
    section = _section(_page(client_as("responder")), "empty-rota")
    assert "Nobody on call: no one scheduled" in section
    assert "<h3>Next</h3>" not in section


def test_a_rotation_of_one_person_says_there_is_no_handoff_coming(client_as, payments):
    make_rotation("Solo rota", people=[payments["ana"]])
    section = _section(_page(client_as("responder")), "solo-rota")
    assert "Ana Alvarez" in section
    assert "with no handoff in the next 92 days" in section
    assert "<h3>Next</h3>" not in section


def test_a_current_override_is_shown_and_puts_the_cover_on_call(client_as, payments):
    cleo = make_person("Cleo Cover")
    make_reachable(cleo, "cleo@example.org")
    Override.objects.create(
        rotation=payments["rotation"],
        person=cleo,
        replaces=payments["ben"],
        starts_at=datetime.fromisoformat("2026-01-14T08:00:00+00:00"),
        ends_at=datetime.fromisoformat("2026-01-15T08:00:00+00:00"),
        reason="Ben at the dentist",
    )
    section = _section(_page(client_as("responder")), "payments-primary")
    now_part, next_part = section.split("<h3>Next</h3>")
    assert "Cleo Cover" in now_part and "cleo@example.org" in now_part
    assert "until Thu 15 Jan, 08:00 UTC" in now_part
    assert "covering for Ben Brook by override" in now_part
    assert "Ben Brook" in next_part.split("<h3>Overrides in force</h3>")[0]
    assert "Cleo Cover covers Ben Brook until Thu 15 Jan, 08:00 UTC" in next_part
    assert "Ben at the dentist" in next_part


def test_an_override_that_is_over_is_not_shown(client_as, payments):
    Override.objects.create(
        rotation=payments["rotation"],
        person=payments["ana"],
        starts_at=datetime.fromisoformat("2026-01-13T08:00:00+00:00"),
        ends_at=datetime.fromisoformat("2026-01-13T20:00:00+00:00"),
    )
    section = _section(_page(client_as("responder")), "payments-primary")
    assert "Overrides in force" not in section


def test_someone_on_call_who_cannot_be_paged_urgently_is_flagged(client_as, payments):
    payments["ben"].notification_rules.all().delete()
    section = _section(_page(client_as("responder")), "payments-primary")
    assert "Cannot be paged urgently" in section.split("<h3>Next</h3>")[0]


def test_a_failed_contact_method_counts_as_unreachable(client_as, payments):
    ContactMethod.objects.filter(address="ben@example.org").update(failure_reason="mailbox full")
    section = _section(_page(client_as("responder")), "payments-primary")
    assert "failed: mailbox full" in section
    assert "Cannot be paged urgently" in section


def test_the_next_person_is_flagged_too_when_they_cannot_be_paged(client_as, payments):
    payments["ana"].notification_rules.all().delete()
    next_part = _section(_page(client_as("responder")), "payments-primary").split("<h3>Next</h3>")[
        1
    ]
    assert "cannot be paged urgently" in next_part


def test_a_viewer_on_the_roster_sees_their_own_feed_urls(client_as, cast, payments, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    me = make_person("Rita Responder", user=cast["responder"])
    page = _page(client_as("responder"))
    feeds = page.split('id="calendar-feeds"')[1]
    base = f"https://portal.example.org/oncall/payments-primary.ics?token={me.calendar_token}"
    assert f"<code>{base}</code>" in feeds
    assert f"<code>{base}&amp;mine=1</code>" in feeds
    assert (
        f'href="webcal://portal.example.org/oncall/payments-primary.ics?token={me.calendar_token}"'
        in feeds
    )
    for other in (payments["ana"], payments["ben"]):
        assert other.calendar_token not in page


def test_a_viewer_without_a_person_is_told_a_roster_admin_must_link_them(client_as, payments):
    feeds = _page(client_as("responder")).split('id="calendar-feeds"')[1]
    assert "A roster admin must link your login to your person record" in feeds
    assert ".ics" not in feeds


def test_the_viewer_is_marked_where_they_are_on_call(client_as, cast, payments):
    Person.objects.filter(pk=payments["ben"].pk).update(user=cast["responder"])
    section = _section(_page(client_as("responder")), "payments-primary")
    assert '<span class="tag">you</span>' in section.split("<h3>Next</h3>")[0]


def test_a_rotation_with_a_broken_time_zone_is_reported_not_a_server_error(client_as, payments):
    Rotation.objects.filter(pk=payments["rotation"].pk).update(time_zone="Mars/Olympus")
    make_rotation("Healthy", people=[payments["ana"]])
    page = _page(client_as("responder"))
    assert "This rotation cannot be worked out" in _section(page, "payments-primary")
    assert "Ana Alvarez" in _section(page, "healthy")


def _roster(size: int) -> None:
    """``size`` rotations of two layers, ``size`` people with methods, one override each."""
    team = make_team(f"Team of {size}")
    people = [make_person(f"Member {i}", team=team) for i in range(size)]
    for person in people:
        make_reachable(person)
    for i in range(size):
        rotation = Rotation.objects.create(name=f"Rota {i}", slug=f"rota-{i}", team=team)
        for level, clock in ((1, time(9)), (2, time(18))):
            layer = RotationLayer.objects.create(
                rotation=rotation,
                level=level,
                starts_on=date(2026, 1, 5),
                handoff_time=clock,
                shift_unit="days",
                active_from=time(9) if level == 2 else None,
                active_until=time(17) if level == 2 else None,
            )
            for position in range(2):
                LayerParticipant.objects.create(
                    layer=layer, person=people[(i + level + position) % size], position=position
                )
        Override.objects.create(
            rotation=rotation,
            person=people[(i + 5) % size],
            starts_at=datetime.fromisoformat("2026-01-14T00:00:00+00:00"),
            ends_at=datetime.fromisoformat("2026-01-14T13:00:00+00:00"),
        )


@pytest.mark.parametrize("size", [10, 200])
def test_queries_do_not_grow_with_rotations_or_people(
    client_as, cast, size, django_assert_max_num_queries
):
    make_person("Rita Responder", user=cast["responder"], time_zone="Europe/London")
    _roster(size)
    client = client_as("responder")
    # The same budget on SQLite and PostgreSQL: no query here differs between them.
    # One is the header's question: may this viewer declare (the decision authority).
    with django_assert_max_num_queries(12):
        page = _page(client)
    assert page.count('class="panel rotation"') == size
    assert page.count(".ics?token=") == 3 * size  # whole, mine, subscribe


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_gap_stands_out_in_red_in_a_browser(browser_login, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="viewer", password="portal-test-pass")
    user.groups.add(Group.objects.get_or_create(name="Responders")[0])
    make_rotation("Future rota", people=[make_person("Fay Future")], starts_on=date(2099, 1, 5))
    ana, ben = make_person("Ana Alvarez"), make_person("Ben Brook")
    make_reachable(ana, "ana@example.org")
    make_rotation("Payments primary", people=[ana, ben], team=make_team("Payments"))
    page = browser_login("viewer")
    page.goto(page.url.rstrip("/") + reverse("incidents:oncall"))
    gap = page.locator("#rotation-future-rota .gap")
    assert gap.inner_text().startswith("Nobody on call")
    background = gap.evaluate("element => getComputedStyle(element).backgroundColor")
    assert background == "rgb(179, 38, 30)"  # the portal's danger red
    assert "roster admin must link" in page.locator("#calendar-feeds").inner_text()
    screenshot(page, "oncall-gap")
