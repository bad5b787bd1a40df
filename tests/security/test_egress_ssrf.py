"""Finding 1: server-side request forgery through contact methods.

Webhook, Slack and Teams deliveries go through the egress policy: every address a host
resolves to is checked when connecting, whatever its spelling, and the connection goes to
the checked address itself; redirects are not followed. The matrix below pages a webhook at
each address. Loopback spellings point at a real local receiver, which must record no
connection at all; anything else would leave the machine, which the network guard of this
folder refuses (and fails the test), so nothing leaves even without the policy.
"""

import ipaddress

import pytest

from incidents.escalation import engine
from incidents.models import ContactMethod, Incident, Notification, NotificationRule
from incidents.models.rosters import contact_address_error
from incidents.notifications.channels import addresses
from incidents.notifications.delivery import deliver
from portal import egress
from tests.incidents.factories import make_person
from tests.incidents.sinks import HttpSink

LOOPBACK, PRIVATE, LINK_LOCAL = egress.LOOPBACK, egress.PRIVATE, egress.LINK_LOCAL
METADATA, SHARED, MULTICAST = egress.METADATA, egress.SHARED, egress.MULTICAST
UNSPECIFIED, RESERVED = egress.UNSPECIFIED, egress.RESERVED
PUBLIC = "93.184.215.14"  # never reached: the guard would fail the test

# (host as typed in the URL, the reason it is refused, what the name resolves to)
MATRIX = [
    ("127.0.0.1", LOOPBACK, None),
    ("127.0.0.2", LOOPBACK, None),
    ("127.0.0.1.", LOOPBACK, None),
    ("0x7f000001", LOOPBACK, None),
    ("2130706433", LOOPBACK, None),
    ("0177.0.0.1", LOOPBACK, None),
    ("0x7f.0.0.1", LOOPBACK, None),
    ("127.1", LOOPBACK, None),
    ("[::1]", LOOPBACK, None),
    ("[::ffff:127.0.0.1]", LOOPBACK, None),
    ("[::ffff:7f00:1]", LOOPBACK, None),
    ("[::127.0.0.1]", LOOPBACK, None),
    ("localhost", LOOPBACK, None),
    ("LOCALHOST.", LOOPBACK, None),
    ("rebind.test", LOOPBACK, ["127.0.0.1"]),
    ("[2002:7f00:1::1]", LOOPBACK, None),
    ("10.0.0.5", PRIVATE, None),
    ("172.16.0.1", PRIVATE, None),
    ("192.168.1.1", PRIVATE, None),
    ("0x0a000005", PRIVATE, None),
    ("167772165", PRIVATE, None),
    ("012.0.0.5", PRIVATE, None),
    ("[fc00::1]", PRIVATE, None),
    ("[fd12:3456::1]", PRIVATE, None),
    ("[::ffff:10.0.0.5]", PRIVATE, None),
    ("[::ffff:a00:5]", PRIVATE, None),
    ("[64:ff9b::a00:5]", PRIVATE, None),
    ("internal.test", PRIVATE, ["10.0.0.5"]),
    ("mixed.test", PRIVATE, [PUBLIC, "10.0.0.5"]),
    ("six.test", PRIVATE, ["fd00::1"]),
    ("169.254.169.254", METADATA, None),
    ("169.254.170.2", METADATA, None),
    ("100.100.100.200", METADATA, None),
    ("[fd00:ec2::254]", METADATA, None),
    ("[::ffff:169.254.169.254]", METADATA, None),
    ("[64:ff9b::a9fe:a9fe]", METADATA, None),
    ("[2002:a9fe:a9fe::1]", METADATA, None),
    ("metadata.google.internal", METADATA, ["169.254.169.254"]),
    ("169.254.1.1", LINK_LOCAL, None),
    ("[fe80::1]", LINK_LOCAL, None),
    ("100.64.0.1", SHARED, None),
    ("0.0.0.0", UNSPECIFIED, None),  # noqa: S104 (an address to refuse, not to bind)
    ("[::]", UNSPECIFIED, None),
    ("224.0.0.1", MULTICAST, None),
    ("255.255.255.255", MULTICAST, None),
    ("[ff02::1]", MULTICAST, None),
    ("198.18.0.1", RESERVED, None),
    ("192.0.2.10", RESERVED, None),
    ("240.0.0.1", RESERVED, None),
    ("0.1.2.3", RESERVED, None),
]
IDS = [host for host, _, _ in MATRIX]
# Spellings Apprise itself refuses to read in a URL (nothing is sent, policy or not): they
# are in the resolver and form matrices below, not in the delivery one.
APPRISE_REFUSES = {
    "0177.0.0.1", "0x7f.0.0.1", "127.1", "[::ffff:127.0.0.1]", "[::127.0.0.1]",
    "[::ffff:10.0.0.5]", "[::ffff:169.254.169.254]",
}
DELIVERED = [case for case in MATRIX if case[0] not in APPRISE_REFUSES]


@pytest.fixture
def receiver():
    """Where every loopback spelling leads: it must see no connection at all."""
    with HttpSink() as sink:
        yield sink


@pytest.fixture
def incident(db):
    return Incident.objects.create(title="Payments failing", severity="sev1")


@pytest.fixture
def form_check_skipped(monkeypatch):
    """Only the check at connect time stands, as for an address saved before the form's
    check existed, or a name that pointed elsewhere when it was saved."""
    monkeypatch.setattr(addresses, "contact_address_error", lambda kind, address: None)


def paged(incident, kind, address) -> tuple[Notification, ContactMethod]:
    person = make_person()
    method = ContactMethod.objects.create(person=person, kind=kind, address=address)
    NotificationRule.objects.create(person=person, urgency="urgent", contact_method=method)
    engine.page_now(incident, [person], by=None)
    row = Notification.objects.get(recipient=person)
    deliver(row.pk)
    row.refresh_from_db()
    method.refresh_from_db()
    return row, method


@pytest.mark.parametrize(
    ("host", "reason", "answers"), DELIVERED, ids=[host for host, _, _ in DELIVERED]
)
def test_a_webhook_to_an_internal_address_reaches_nothing(
    host, reason, answers, receiver, incident, network_guard, form_check_skipped
):
    if answers:
        network_guard.resolve(host, *answers)
    row, method = paged(incident, "webhook", f"http://{host}:{receiver.port}/hook")
    assert (row.state, row.error) == ("failed", reason)
    assert method.failure_reason == reason  # flagged for the roster admins
    assert receiver.connections == 0 and receiver.requests == []


@pytest.mark.parametrize(("host", "reason", "answers"), MATRIX, ids=IDS)
def test_each_address_is_refused_when_connecting_whatever_its_spelling(
    host, reason, answers, network_guard
):
    if answers:
        network_guard.resolve(host, *answers)
    with pytest.raises(egress.EgressRefused) as refused:
        egress.checked_addresses(host, 443)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("host", "reason", "answers"), [case for case in MATRIX if case[2] is None], ids=[
        host for host, _, answers in MATRIX if answers is None
    ],
)
def test_the_form_refuses_an_internal_address_it_can_read(host, reason, answers):
    for kind in ("webhook", "teams"):
        error = contact_address_error(kind, f"https://{host}/hook")
        assert error and reason.removeprefix("refused: ") in error, (kind, error)


def test_teams_and_slack_are_checked_too(receiver, incident, network_guard):
    # Slack's host name answering with an internal address (DNS is not ours to trust).
    network_guard.resolve("hooks.slack.com", "10.0.0.5")
    row, _ = paged(incident, "slack", "https://hooks.slack.com/services/T000/B000/XXXX")
    assert (row.state, row.error) == ("failed", PRIVATE)
    network_guard.resolve("flows.test", "127.0.0.1")
    workflow = (
        f"https://flows.test:{receiver.port}/workflows/a1/triggers/manual/paths/invoke?sig=S1"
    )
    row, _ = paged(incident, "teams", workflow)
    assert (row.state, row.error) == ("failed", LOOPBACK)
    assert receiver.connections == 0


def test_the_connection_goes_to_the_address_that_was_checked(
    settings, incident, network_guard, form_check_skipped
):
    """DNS rebinding: a name that answers an allowed address to the check and an internal
    one to a second lookup. There is no second lookup: the checked address is connected to.
    (A check that resolved the name and then let the connection resolve it again fails.)"""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with HttpSink() as allowed, HttpSink(host="127.0.0.2", port=allowed.port) as internal:
        network_guard.resolve_in_turn("flip.test", ["127.0.0.1"], ["127.0.0.2"])
        row, _ = paged(incident, "webhook", f"http://flip.test:{allowed.port}/hook")
        assert row.state == "sent"
        assert len(allowed.requests) == 1 and allowed.requests[0].headers["Host"].startswith(
            "flip.test"
        )
        assert internal.connections == 0
    assert network_guard.lookups["flip.test"] == 1


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed(settings, incident, status):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with HttpSink() as allowed, HttpSink(host="127.0.0.2", port=allowed.port) as internal:
        allowed.answer_next(status, headers={"Location": f"{internal.url}/stolen"})
        row, method = paged(incident, "webhook", f"{allowed.url}/hook")
        assert internal.connections == 0 and internal.requests == []
    assert len(allowed.requests) == 1
    assert (row.state, row.error) == ("failed", f"Redirect not followed (HTTP {status})")
    assert method.failure_reason == row.error


def test_a_redirect_to_the_metadata_service_is_not_followed(settings, incident):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with HttpSink() as allowed:
        allowed.answer_next(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        row, _ = paged(incident, "webhook", f"{allowed.url}/hook")
    assert (row.state, row.error) == ("failed", "Redirect not followed (HTTP 302)")


def test_an_allowed_host_is_reached_and_private_addresses_open_only_by_setting(settings):
    ten = ipaddress.ip_address("10.0.0.5")
    assert egress.refusal("10.0.0.5", ten) == PRIVATE
    settings.OUTBOUND_ALLOW_PRIVATE = True
    assert egress.refusal("10.0.0.5", ten) is None
    assert egress.refusal("100.64.0.1", ipaddress.ip_address("100.64.0.1")) is None
    # Never opened by that setting: loopback, link-local, metadata.
    for text in ("127.0.0.1", "169.254.1.1", "169.254.169.254", "100.100.100.200"):
        assert egress.refusal(text, ipaddress.ip_address(text)) is not None, text
    settings.OUTBOUND_ALLOW_PRIVATE = False
    settings.OUTBOUND_ALLOWED_HOSTS = ["chat.internal.example", "10.1.0.0/16"]
    assert egress.refusal("chat.internal.example", ten) is None
    assert egress.refusal("other.example", ipaddress.ip_address("10.1.2.3")) is None
    assert egress.refusal("other.example", ten) == PRIVATE
