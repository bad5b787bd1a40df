"""Each kind of contact method accepts only addresses a channel can use."""

import pytest
from django.core.exceptions import ValidationError

from incidents.models import ContactMethod
from incidents.models.rosters import contact_address_error

from .factories import make_person

Kind = ContactMethod.Kind

GOOD = [
    (Kind.EMAIL, "ada@example.org"),
    (Kind.EMAIL, "first.last+pager@sub.example.co.uk"),
    (Kind.SMS, "+447700900123"),
    (Kind.SMS, "+14155550123"),
    (Kind.SLACK, "https://hooks.slack.com/services/T000/B000/XXXX"),
    (Kind.TEAMS, "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual"),
    (Kind.WEBHOOK, "https://hooks.zapier.com/hooks/catch/123/abc/"),
]

BAD = [
    (Kind.EMAIL, "ada@", "valid email"),
    (Kind.EMAIL, "ada example.org", "valid email"),
    (Kind.EMAIL, "", "valid email"),
    (Kind.SMS, "07700900123", "E.164"),
    (Kind.SMS, "+44 7700 900123", "E.164"),
    (Kind.SMS, "+0447700900123", "E.164"),
    (Kind.SMS, "+123456", "E.164"),
    (Kind.SMS, "+1234567890123456", "E.164"),
    (Kind.SLACK, "http://hooks.slack.com/services/T000/B000/XXXX", "https://"),
    (Kind.SLACK, "hooks.slack.com/services/T000", "https://"),
    (Kind.TEAMS, "ftp://example.org/flow", "https://"),
    (Kind.WEBHOOK, "javascript:alert(1)", "https://"),
    (Kind.WEBHOOK, "https://", "no host"),
    ("pigeon", "https://example.org", "Unknown contact method kind"),
]


@pytest.mark.parametrize(("kind", "address"), GOOD)
def test_a_usable_address_is_accepted(kind, address):
    assert contact_address_error(kind, address) is None


@pytest.mark.parametrize(("kind", "address", "reason"), BAD)
def test_an_unusable_address_is_refused_with_its_reason(kind, address, reason):
    assert reason in contact_address_error(kind, address)


@pytest.mark.parametrize("kind", [Kind.SLACK, Kind.TEAMS, Kind.WEBHOOK])
@pytest.mark.parametrize(
    "address", ["http://127.0.0.1:8025/hook", "http://localhost/hook", "http://[::1]:9000/x"]
)
def test_plain_http_to_a_loopback_sink_is_allowed_outside_production(settings, kind, address):
    settings.CONTACT_ALLOW_LOOPBACK_HTTP = True
    # Loopback is refused by the egress policy unless allowed outright.
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1", "localhost", "::1"]
    assert contact_address_error(kind, address) is None


@pytest.mark.parametrize("kind", [Kind.SLACK, Kind.TEAMS, Kind.WEBHOOK])
def test_plain_http_to_a_loopback_sink_is_refused_in_production(settings, kind):
    settings.CONTACT_ALLOW_LOOPBACK_HTTP = False
    assert "https://" in contact_address_error(kind, "http://127.0.0.1:8025/hook")


def test_plain_http_to_another_host_is_refused_even_with_loopback_allowed(settings):
    settings.CONTACT_ALLOW_LOOPBACK_HTTP = True
    assert "https://" in contact_address_error(Kind.WEBHOOK, "http://example.org/hook")
    assert "https://" in contact_address_error(Kind.WEBHOOK, "http://127.0.0.1.example.org/")


def test_model_validation_strips_the_address_and_names_the_field(db):
    person = make_person()
    method = ContactMethod(person=person, kind=Kind.SMS, address="  +447700900123 ")
    method.full_clean()
    assert method.address == "+447700900123"

    method = ContactMethod(person=person, kind=Kind.SMS, address="+44 7700 900123")
    with pytest.raises(ValidationError) as refused:
        method.full_clean()
    assert "E.164" in refused.value.message_dict["address"][0]
