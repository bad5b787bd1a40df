"""The profile page: each person keeps their own contact methods, rules and time zone."""

import pytest
from django.urls import reverse

from incidents.models import ContactMethod, NotificationRule, Person
from tests.conftest import PASSWORD, screenshot

from .factories import make_person, make_reachable

PROFILE = "/profile/"



@pytest.fixture
def me(cast):
    """The responder's own roster entry."""
    return make_person("Rita Responder", user=cast["responder"], email="rita@example.org")


@pytest.fixture
def own_client(client_as, me):
    return client_as("responder")


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    for url in [PROFILE, "/people/1/profile/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_a_login_without_a_roster_entry_is_asked_to_see_a_roster_admin(client_as):
    response = client_as("commander").get(PROFILE)
    assert response.status_code == 200
    assert "Ask a roster admin to link your login" in response.content.decode()


def test_a_login_without_a_roster_entry_cannot_post_anything(client_as):
    response = client_as("commander").post(
        PROFILE, {"action": "method_add", "method-new-kind": "email"}
    )
    assert response.status_code == 200
    assert not ContactMethod.objects.exists()


def test_the_own_profile_shows_methods_rules_and_the_unreachable_flag(own_client, me):
    page = own_client.get(PROFILE).content.decode()
    assert "Your profile" in page
    assert "Cannot be paged" in page

    make_reachable(me, email="rita.pager@example.org")
    page = own_client.get(PROFILE).content.decode()
    assert "rita.pager@example.org" in page
    assert "Cannot be paged" not in page


def test_each_method_offers_a_real_test_notification(own_client, me):
    method = make_reachable(me)
    page = own_client.get(PROFILE).content.decode()
    test_url = reverse("incidents:notification_test", args=[method.pk])
    assert f'formaction="{test_url}">Send me a test notification</button>' in page


def test_adding_a_good_contact_method_redirects_with_a_message(own_client, me):
    response = own_client.post(
        PROFILE,
        {
            "action": "method_add",
            "method-new-kind": "sms",
            "method-new-address": " +447700900123 ",
            "method-new-label": "mobile",
        },
        follow=True,
    )
    assert response.redirect_chain == [(PROFILE, 302)]
    assert "Added SMS: +447700900123." in messages_of(response)[0]
    method = me.contact_methods.get()
    assert (method.kind, method.address, method.label) == ("sms", "+447700900123", "mobile")
    assert method.history.get().history_user.username == "responder"


@pytest.mark.parametrize(
    ("kind", "address", "reason"),
    [
        ("email", "rita@", "Enter a valid email address"),
        ("sms", "07700 900123", "E.164"),
        ("slack", "http://hooks.slack.com/services/x", "Enter an https:// URL."),
        ("teams", "prod.logic.azure.com/workflows/1", "Enter an https:// URL."),
        ("webhook", "https://", "The URL has no host."),
        ("carrier-pigeon", "https://example.org", "Select a valid choice"),
    ],
)
def test_a_bad_contact_method_is_refused_with_its_reason(own_client, me, kind, address, reason):
    response = own_client.post(
        PROFILE,
        {"action": "method_add", "method-new-kind": kind, "method-new-address": address},
    )
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not me.contact_methods.exists()


def test_the_same_contact_method_twice_is_refused(own_client, me):
    make_reachable(me, email="rita@example.org")
    response = own_client.post(
        PROFILE,
        {
            "action": "method_add",
            "method-new-kind": "email",
            "method-new-address": "rita@example.org",
        },
    )
    assert response.status_code == 200
    assert "already on the list" in response.content.decode()
    assert me.contact_methods.count() == 1


def test_fixing_a_failed_address_makes_the_method_usable_again(own_client, me):
    method = make_reachable(me, email="old@example.org")
    ContactMethod.objects.filter(pk=method.pk).update(failure_reason="550 no such user")
    prefix = f"method-{method.pk}"

    response = own_client.post(
        PROFILE,
        {
            "action": "method_save",
            "method": method.pk,
            f"{prefix}-kind": "email",
            f"{prefix}-address": "new@example.org",
            f"{prefix}-label": "",
        },
    )

    assert response.status_code == 302
    method.refresh_from_db()
    assert (method.address, method.failure_reason) == ("new@example.org", "")
    assert not Person.objects.get(pk=me.pk).cannot_be_paged


def test_a_bad_edit_keeps_the_old_address(own_client, me):
    method = make_reachable(me, email="old@example.org")
    prefix = f"method-{method.pk}"
    response = own_client.post(
        PROFILE,
        {
            "action": "method_save",
            "method": method.pk,
            f"{prefix}-kind": "sms",
            f"{prefix}-address": "old@example.org",
        },
    )
    assert response.status_code == 200
    assert "E.164" in response.content.decode()
    method.refresh_from_db()
    assert (method.kind, method.address) == ("email", "old@example.org")


def test_deleting_the_only_urgent_method_warns_that_pages_cannot_reach(own_client, me):
    method = make_reachable(me)
    response = own_client.post(
        PROFILE, {"action": "method_delete", "method": method.pk}, follow=True
    )
    shown = messages_of(response)
    assert "and the 1 notification rule(s) that used it" in shown[0]
    assert "urgent pages cannot reach Rita Responder" in shown[1]
    assert not me.contact_methods.exists()
    assert not NotificationRule.objects.exists()


def test_adding_urgent_and_routine_rules(own_client, me):
    sms = ContactMethod.objects.create(person=me, kind="sms", address="+447700900123")
    email = ContactMethod.objects.create(person=me, kind="email", address="rita@example.org")

    for section, method, delay in [("urgent", sms, 0), ("urgent", email, 5), ("routine", email, 0)]:
        prefix = f"rule-new-{section}"
        response = own_client.post(
            PROFILE,
            {
                "action": "rule_add",
                "section": section,
                f"{prefix}-urgency": section,
                f"{prefix}-contact_method": method.pk,
                f"{prefix}-delay_minutes": delay,
            },
        )
        assert response.status_code == 302

    rules = sorted(me.notification_rules.values_list("urgency", "contact_method", "delay_minutes"))
    assert rules == [("routine", email.pk, 0), ("urgent", sms.pk, 0), ("urgent", email.pk, 5)]
    assert not Person.objects.get(pk=me.pk).cannot_be_paged


def _rule_post(method_pk, delay=0, section="urgent"):
    prefix = f"rule-new-{section}"
    return {
        "action": "rule_add",
        "section": section,
        f"{prefix}-urgency": section,
        f"{prefix}-contact_method": method_pk,
        f"{prefix}-delay_minutes": delay,
    }


def test_a_rule_cannot_use_someone_elses_contact_method(own_client, me):
    make_reachable(me)
    someone_else = make_reachable(make_person("Grace Hopper"))
    response = own_client.post(PROFILE, _rule_post(someone_else.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert me.notification_rules.count() == 1


@pytest.mark.parametrize(("delay", "reason"), [(-1, "greater than or equal to 0"), (5000, "1440")])
def test_a_rule_delay_out_of_range_is_refused(own_client, me, delay, reason):
    method = ContactMethod.objects.create(person=me, kind="sms", address="+447700900123")
    response = own_client.post(PROFILE, _rule_post(method.pk, delay))
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not me.notification_rules.exists()


def test_the_same_rule_twice_is_refused(own_client, me):
    method = make_reachable(me)
    response = own_client.post(PROFILE, _rule_post(method.pk, delay=3))
    assert response.status_code == 200
    assert "already a rule for this method" in response.content.decode()


def test_editing_and_deleting_a_rule(own_client, me):
    method = make_reachable(me)
    rule = me.notification_rules.get()
    prefix = f"rule-{rule.pk}"
    response = own_client.post(
        PROFILE,
        {
            "action": "rule_save",
            "rule": rule.pk,
            f"{prefix}-urgency": "urgent",
            f"{prefix}-contact_method": method.pk,
            f"{prefix}-delay_minutes": 10,
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.delay_minutes == 10

    response = own_client.post(PROFILE, {"action": "rule_delete", "rule": rule.pk}, follow=True)
    assert "Removed the notification rule." in messages_of(response)
    assert not me.notification_rules.exists()


def test_setting_the_time_zone(own_client, me):
    response = own_client.post(PROFILE, {"action": "time_zone", "tz-time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.time_zone == "Asia/Tokyo"

    response = own_client.post(PROFILE, {"action": "time_zone", "tz-time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    me.refresh_from_db()
    assert me.time_zone == "Asia/Tokyo"


def test_someone_elses_method_cannot_be_changed_through_the_own_page(own_client, me):
    other = make_reachable(make_person("Grace Hopper"), email="grace@example.org")
    for action in ["method_delete", "method_save"]:
        response = own_client.post(PROFILE, {"action": action, "method": other.pk}, follow=True)
        assert "no longer there; nothing was changed" in messages_of(response)[0]
    other.refresh_from_db()
    assert other.address == "grace@example.org"


@pytest.mark.parametrize(
    "post",
    [
        {"action": "method_delete", "method": "abc"},
        {"action": "method_delete", "method": "99999999999999999999999999"},
        {"action": "rule_delete"},
        {"action": "rule_add", "section": "whenever"},
        {"action": "launch_rockets"},
        {},
    ],
)
def test_malformed_posts_get_a_message_not_an_error_page(own_client, me, post):
    response = own_client.post(PROFILE, post, follow=True)
    assert response.status_code == 200
    assert "nothing was changed" in messages_of(response)[0]


def test_a_roster_admin_edits_anyone_s_profile(client_as, me):
    client = client_as("roster_admin")
    url = f"/people/{me.pk}/profile/"
    page = client.get(url).content.decode()
    assert "Profile of Rita Responder" in page
    assert f'href="/admin/incidents/person/{me.pk}/change/"' in page

    response = client.post(
        url,
        {"action": "method_add", "method-new-kind": "email", "method-new-address": "r@example.org"},
    )
    assert response.status_code == 302
    assert response["Location"] == url
    method = me.contact_methods.get()
    assert method.history.get().history_user.username == "roster_admin"


@pytest.mark.parametrize("username", ["leader", "commander", "responder", "comms", "outsider"])
def test_other_roles_cannot_open_a_profile_by_id(client_as, me, username):
    client = client_as(username)
    url = f"/people/{me.pk}/profile/"
    assert client.get(url).status_code == 403
    response = client.post(
        url,
        {"action": "method_add", "method-new-kind": "email", "method-new-address": "x@example.org"},
    )
    assert response.status_code == 403
    assert not me.contact_methods.exists()


def test_a_profile_id_that_does_not_exist_is_a_404(client_as, db):
    client = client_as("roster_admin")
    assert client.get("/people/424242/profile/").status_code == 404
    assert client.get("/people/99999999999999999999999/profile/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_profile_works_in_a_browser_without_javascript(browser, live_server, cast):
    make_person("Rita Responder", user=cast["responder"], email="rita@example.org")
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next={PROFILE}")
    page.fill("#id_username", "responder")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    assert page.locator("#unreachable").is_visible()

    page.select_option("#id_method-new-kind", "sms")
    page.fill("#id_method-new-address", "+44 7700 900123")
    page.click("#method-new button[value=method_add]")
    assert "E.164" in page.locator("#method-new").inner_text()

    page.fill("#id_method-new-address", "+447700900123")
    page.click("#method-new button[value=method_add]")
    assert "Added SMS: +447700900123." in page.locator(".messages").inner_text()

    page.select_option("#id_rule-new-urgent-contact_method", label="SMS: +447700900123")
    page.click("#rule-new-urgent button[value=rule_add]")
    assert "Urgent pages now reach SMS: +447700900123" in page.locator(".messages").inner_text()
    assert page.locator("#unreachable").count() == 0
    screenshot(page, "profile-self-service")
    context.close()
