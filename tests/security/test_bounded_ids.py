"""Finding 9: an id out of every database's range is a 404 or a 400 with a message, never a
500 (SQLite raised OverflowError past 2**63, and "²" passed ``str.isdigit`` but not ``int``)."""

import re

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.models import Notification, Service
from incidents.services import incident_declare
from reviews.services import review_draft
from tests.incidents.factories import make_person, make_reachable, make_rotation, make_service

TOO_BIG = "9" * 20  # past 2**63 - 1, the largest id any of our databases stores
THIRTY_DIGITS = "9" * 30


@pytest.fixture
def incident(cast):
    return incident_declare(
        title="Checkout failing", severity="sev2", declared_by=cast["commander"],
        services=[make_service("Checkout")],
    )


def page(client, incident, kind, target):
    return client.post(
        f"/incidents/{incident.pk}/escalation/",
        {"action": "page", "target_kind": kind, "target": target, "confirmed": "yes"},
    )


@pytest.mark.parametrize("kind", ["rotation", "person", "team"])
@pytest.mark.parametrize("target", [TOO_BIG, THIRTY_DIGITS, "²", "١٢", "-1", " 1", "1e3", ""])
def test_a_manual_page_naming_an_impossible_id_is_a_400_with_a_message(
    client_as, incident, kind, target
):
    response = page(client_as("commander"), incident, kind, target)
    assert response.status_code == 400
    assert "Choose a person, a team or a rotation to page." in response.content.decode()
    assert not Notification.objects.filter(reason="manual_page").exists()


def test_the_reported_request_is_refused_and_a_real_rotation_still_pages(client_as, incident):
    """The issue's request, and the same form with a rotation that exists."""
    client = client_as("commander")
    assert page(client, incident, "rotation", "99999999999999999999").status_code == 400
    person = make_person("Olu Oncall")
    make_reachable(person)
    rotation = make_rotation("Checkout on-call", people=[person])
    assert page(client, incident, "rotation", str(rotation.pk)).status_code == 302
    assert Notification.objects.filter(reason="manual_page", recipient=person).exists()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=st.one_of(st.integers(min_value=-(10**40), max_value=10**40).map(str), st.text()))
def test_no_posted_target_is_a_server_error(client_as, incident, target):
    if "\x00" in target:  # the test client cannot encode it; a browser never sends it
        return
    response = page(client_as("commander"), incident, "rotation", target)
    assert response.status_code in (302, 400)


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=40))
def test_parse_id_takes_ascii_digits_below_the_bigint_range_only(value):
    from portal.ids import parse_id

    parsed = parse_id(value)
    if parsed is None:
        assert not re.fullmatch(r"[0-9]{1,18}", value)
    else:
        assert 0 <= parsed < 2**63 and str(parsed) == value.lstrip("0").rjust(1, "0")


def _patterns(resolvers, prefix=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            if "admin" not in str(entry.pattern):
                yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def test_every_url_with_an_id_answers_404_for_thirty_digits(client, db):
    """Every id in a URL goes through the bounded ``id`` converter: a 30-digit number names
    no page, whatever the view does with it."""
    user = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(user)
    routes = [route for route in _patterns(get_resolver().url_patterns) if "<" in route]
    assert not [route for route in routes if "<int:" in route], "use <id:…> for ids"
    with_ids = [route for route in routes if "<id:" in route]
    assert len(with_ids) >= 20
    for route in with_ids:
        url = "/" + re.sub(r"<slug:\w+>", "x", re.sub(r"<id:\w+>", THIRTY_DIGITS, route))
        for method in (client.get, client.post):
            assert method(url).status_code in (404, 405), url


def test_an_id_list_past_the_range_is_a_form_error_not_a_crash(db):
    """``ModelMultipleChoiceField`` looks ids up with ``IN``, which Django leaves unbounded."""

    class Choose(forms.Form):
        services = forms.ModelMultipleChoiceField(queryset=Service.objects.all())

    service = make_service("Sign-up flow")
    form = Choose({"services": [str(service.pk), TOO_BIG]})
    assert not form.is_valid()
    assert "is not one of the available choices" in str(form.errors["services"])
    assert list(Service.objects.filter(pk__in=[service.pk, int(TOO_BIG)])) == [service]
    assert list(Service.objects.filter(pk__in=[int(TOO_BIG)])) == []


@pytest.mark.parametrize("item", [TOO_BIG, "abc", "²"])
def test_an_action_item_that_cannot_exist_is_a_404(client_as, cast, incident, item):
    review = review_draft(incident=incident)
    response = client_as("commander").post(
        f"/reviews/{review.pk}/", {"action": "item_status", "item": item, "status": "done"}
    )
    assert response.status_code == 404
