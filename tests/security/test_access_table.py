"""The access table: who gets what from every URL of the portal.

The table below is the spec (DESIGN.md, "Users and roles"). Every URL pattern of the project
is visited as an anonymous visitor, as a logged-in user with no portal role (whose login is
linked to a person on the roster, so that the pages about oneself open for them), and as each
portal role; the class of each answer is compared with the table. A URL pattern that is not
in the table fails the test, so a new URL cannot arrive without saying who may open it, and
a row whose URL is gone fails it too.

Answers: ``ok`` 2xx · ``login`` a redirect to the login page · ``moved`` any other redirect
(a form's POST-redirect-GET) · ``400`` ``403`` ``404`` ``405`` ``410`` as such.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from incidents.models import ContactMethod, Integration, Notification
from incidents.services import incident_declare
from playbooks.services import drill_create
from portal.health import SWEEP
from portal.models import Heartbeat
from reviews.models import DistributionList
from reviews.services import (
    action_item_add,
    feedback_give,
    near_miss_record,
    review_draft,
    review_publish,
    review_submit,
    review_update_sections,
)
from tests.incidents.factories import make_person
from tests.playbooks.builders import make_playbook
from tests.playbooks.drill_setup import build_org

VISITORS = ("anonymous", "outsider", "leader", "commander", "responder", "comms", "roster_admin")


@dataclass(frozen=True)
class Row:
    """One URL: how to build it from the sample objects, how to visit it, what each visitor
    gets (in the order of ``VISITORS``)."""

    answers: str
    # URL argument → "sample.attribute" (a dotted path in the samples) or a literal value
    kwargs: dict = field(default_factory=dict)
    method: str = "GET"
    query: str = ""

    @property
    def expected(self) -> dict[str, str]:
        values = self.answers.split()
        assert len(values) == len(VISITORS), f"{self.answers!r}: one answer per visitor"
        return dict(zip(VISITORS, values, strict=True))


def get(answers: str, query: str = "", **kwargs) -> Row:
    return Row(answers, kwargs, "GET", query)


def post(answers: str, query: str = "", **kwargs) -> Row:
    """A POST without data: for the endpoints that take nothing else, it shows the refusal
    (or the 400 of an empty form) without changing anything."""
    return Row(answers, kwargs, "POST", query)


# fmt: off
# Columns:                    anon  none  lead  cmdr  resp  comm  roster
TABLE: dict[str, Row] = {
    # --- portal: home, health, accounts, admin ---------------------------------------------
    "home":                     get("login ok    ok    ok    ok    ok    ok"),
    "healthz":                  get("ok    ok    ok    ok    ok    ok    ok"),
    "live":                     get("ok    ok    ok    ok    ok    ok    ok"),
    "login":                    get("ok    ok    ok    ok    ok    ok    ok"),
    "logout":                   post("login login login login login login login"),
    "password_change":          get("login ok    ok    ok    ok    ok    ok"),
    "password_change_done":     get("login ok    ok    ok    ok    ok    ok"),
    "password_reset":           get("ok    ok    ok    ok    ok    ok    ok"),
    "password_reset_done":      get("ok    ok    ok    ok    ok    ok    ok"),
    "password_reset_confirm":   get("ok    ok    ok    ok    ok    ok    ok",
                                    uidb64="bogus_uid", token="bogus_token"),
    "password_reset_complete":  get("ok    ok    ok    ok    ok    ok    ok"),
    "admin:index":              get("login 403   403   403   403   403   ok"),
    "ack":                      get("400   400   400   400   400   400   400",
                                    token="not-a-signed-token"),
    # --- alert intake: the key is the credential; an empty body is malformed ---------------
    "incidents:intake_pagerduty":    post("400   400   400   400   400   400   400"),
    "incidents:intake_alertmanager": post("400   400   400   400   400   400   400",
                                          key="alertmanager.key"),
    "incidents:intake_grafana":      post("400   400   400   400   400   400   400",
                                          key="grafana.key"),
    "incidents:intake_webhook":      post("400   400   400   400   400   400   400",
                                          key="webhook.key"),
    # --- integrations, catalog, profile ----------------------------------------------------
    "incidents:integration_list":   get("login 403   403   ok    ok    ok    ok"),
    "incidents:integration_detail": get("login 403   403   ok    ok    ok    ok",
                                        pk="webhook.pk"),
    "incidents:integration_test":   post("login 403   403   moved moved moved 403",
                                         pk="webhook.pk"),
    "incidents:service_list":       get("login 403   ok    ok    ok    ok    ok"),
    "incidents:service_detail":     get("login 403   ok    ok    ok    ok    ok",
                                        slug="service.slug"),
    "incidents:profile":            get("login ok    ok    ok    ok    ok    ok"),
    "incidents:person_profile":     get("login 403   403   403   403   403   ok",
                                        pk="oncall.pk"),
    # --- board, on call, incidents ---------------------------------------------------------
    "incidents:board":              get("login 403   ok    ok    ok    ok    403"),
    "incidents:board_action":       post("login 403   403   moved moved moved 403",
                                         number="incident.pk", action="note"),
    "incidents:oncall_calendar":    get("ok    ok    ok    ok    ok    ok    ok",
                                        query="token={calendar_token}", slug="rotation.slug"),
    "incidents:oncall":             get("login 403   ok    ok    ok    ok    ok"),
    "incidents:incident_list":      get("login 403   ok    ok    ok    ok    403"),
    "incidents:incident_new":       get("login 403   403   ok    ok    ok    403"),
    "incidents:incident_detail":    get("login 403   ok    ok    ok    ok    403",
                                        number="incident.pk"),
    "incidents:escalation_matrix":  get("login 403   ok    ok    ok    ok    ok"),
    "incidents:escalation_plan":    get("login 403   ok    ok    ok    ok    403",
                                        number="incident.pk"),
    # --- notifications ---------------------------------------------------------------------
    "incidents:incident_notifications": get("login 403   ok    ok    ok    ok    ok",
                                            number="incident.pk"),
    "incidents:notification_health":    get("login 403   403   403   403   403   ok"),
    "incidents:notification_detail":    get("login 403   ok    ok    ok    ok    ok",
                                            pk="notification.pk"),
    "incidents:notification_test":      post("login moved 403   403   403   403   moved",
                                             pk="outsider_method.pk"),
    # --- communications and the public status page -----------------------------------------
    "incidents:incident_updates":   get("login 403   ok    ok    ok    ok    403",
                                        number="incident.pk"),
    "incidents:update_following":   get("login 403   ok    ok    ok    ok    ok"),
    "incidents:maintenance":        get("login 403   ok    ok    ok    ok    ok"),
    "incidents:status_page":        get("ok    ok    ok    ok    ok    ok    ok"),
    "incidents:status_feed":        get("ok    ok    ok    ok    ok    ok    ok"),
    "incidents:status_history":     get("ok    ok    ok    ok    ok    ok    ok"),
    "incidents:status_subscribe":   post("400   400   400   400   400   400   400"),
    "incidents:status_confirm":     get("400   400   400   400   400   400   400",
                                        token="not-a-token"),
    "incidents:status_unsubscribe": get("400   400   400   400   400   400   400",
                                        token="not-a-token"),
    "incidents:dashboard":          get("login 403   ok    ok    403   403   403"),
    # --- playbooks and drills --------------------------------------------------------------
    "playbooks:playbook_list":      get("login 403   ok    ok    ok    ok    ok"),
    "playbooks:playbook_new":       get("login 403   403   ok    ok    ok    ok"),
    "playbooks:playbook_detail":    get("login 403   ok    ok    ok    ok    ok",
                                        slug="playbook.slug"),
    "playbooks:playbook_edit":      get("login 403   403   ok    ok    ok    ok",
                                        slug="playbook.slug"),
    "playbooks:playbook_history":   get("login 403   ok    ok    ok    ok    ok",
                                        slug="playbook.slug"),
    "playbooks:playbook_version":   get("login 403   ok    ok    ok    ok    ok",
                                        slug="playbook.slug", number=1),
    "playbooks:drill_list":         get("login 403   ok    ok    ok    ok    403"),
    "playbooks:drill_new":          get("login 403   403   ok    403   403   403"),
    "playbooks:drill_detail":       get("login 403   ok    ok    ok    ok    403",
                                        pk="drill.pk"),
    # --- reviews, action items, feedback, near misses --------------------------------------
    "reviews:review_list":          get("login 403   ok    ok    ok    ok    ok"),
    "reviews:review_detail":        get("login 403   ok    ok    ok    ok    ok",
                                        pk="review.pk"),
    "reviews:review_edit":          get("login 403   403   ok    403   403   403",
                                        pk="draft.pk"),
    "reviews:review_markdown":      get("login 403   ok    ok    ok    ok    ok",
                                        pk="review.pk"),
    "reviews:review_print":         get("login 403   ok    ok    ok    ok    ok",
                                        pk="review.pk"),
    "reviews:review_version":       get("login 403   ok    ok    ok    ok    ok",
                                        pk="review.pk", number=1),
    "reviews:review_version_markdown": get("login 403   ok    ok    ok    ok    ok",
                                           pk="review.pk", number=1),
    "reviews:action_item_list":     get("login 403   ok    ok    ok    ok    ok"),
    "reviews:action_item_detail":   get("login 403   ok    ok    ok    ok    ok",
                                        pk="action_item.pk"),
    "reviews:feedback_list":        get("login 403   ok    ok    ok    ok    ok"),
    "reviews:feedback_give":        get("login 403   403   ok    ok    ok    403",
                                        number="incident.pk"),
    "reviews:distribution_lists":   get("login 403   403   ok    403   403   ok"),
    "reviews:distribution_list_edit": get("login 403   403   ok    403   403   ok",
                                          pk="distribution_list.pk"),
    "reviews:near_miss_list":       get("login 403   ok    ok    ok    ok    ok"),
    "reviews:near_miss_detail":     get("login 403   ok    ok    ok    ok    ok",
                                        pk="near_miss.pk"),
}
# fmt: on


def url_names() -> set[str]:
    """Every named URL pattern of the project; the admin site counts as one (its index)."""
    names = set()

    def walk(patterns, namespace: str | None) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.app_name == "admin":
                    names.add("admin:index")
                    continue
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern):
                assert entry.name, f"the URL pattern {entry.pattern} needs a name"
                names.add(f"{namespace}:{entry.name}" if namespace else entry.name)

    walk(get_resolver().url_patterns, None)
    return names


def test_every_url_pattern_has_a_row_and_every_row_a_url_pattern():
    names = url_names()
    assert sorted(names - TABLE.keys()) == [], "URLs missing from the access table"
    assert sorted(TABLE.keys() - names) == [], "rows of the access table with no URL"


WRITTEN = {
    "cause_class": "systemic",
    "cause_analysis": "A Zap filter dropped every order with a discount code.",
    "lessons_learned": "Test filters against real orders.",
}


@pytest.fixture
def samples(cast):
    return build_samples(cast)


def build_samples(cast) -> SimpleNamespace:
    """One of everything a URL can name, and a roster person for every visitor with a login."""
    people = {
        name: make_person(f"{user.first_name} Person", user=user) for name, user in cast.items()
    }
    Heartbeat.record(SWEEP)  # a healthy portal: /healthz answers 200
    org = build_org()
    commander = cast["commander"]
    incident = incident_declare(
        title="Checkout failing", severity="sev2", declared_by=commander, services=[org.service]
    )
    method = org.olu.contact_methods.first()
    notification = Notification.objects.create(
        incident=incident, reason=Notification.Reason.ESCALATION, cause="access-table",
        recipient=org.olu, contact_method=method, channel="email", urgency="urgent",
        subject="s", body="b", idempotency_key="access-table",
    )
    outsider_method = ContactMethod.objects.create(
        person=people["outsider"], kind="email", address="otto@example.org"
    )
    integrations = {
        kind: Integration.objects.create(name=f"{kind} alerts", service=org.service, kind=kind)
        for kind in ("alertmanager", "grafana", "webhook")
    }
    playbook = make_playbook(owner_team=org.service.owner_team, services=[org.service])
    drill = drill_create(title="Payments drill", severity="sev1", services=[org.service],
                         scenario="Stripe webhooks rejected.", by=commander)
    resolved = incident_declare(
        title="Orders dropped", severity="sev3", declared_by=commander, services=[org.service]
    )
    review = review_draft(incident=resolved)
    action_item = action_item_add(
        review=review, by=commander, title="Test the filter", owner_team=org.service.owner_team,
        due_on=date.today() + timedelta(days=14), impact=4, effort=2,
    )
    review.reviewers.add(org.priya)
    review_update_sections(review=review, by=commander, **WRITTEN)
    review_submit(review=review, by=commander)
    review_publish(review=review, by=commander)
    draft = review_draft(incident=incident)
    feedback_give(
        incident=incident, by=cast["responder"], about="tooling", playbook=None, service=None,
        connector=None, tool_name="Zapier", rating=2, text="The task history was slow.",
    )
    near_miss = near_miss_record(
        service=org.service, by=cast["responder"], what_happened="A secret nearly expired.",
        potential_impact="Payments unrecorded.", potential_severity="sev2",
    )
    return SimpleNamespace(
        incident=incident, service=org.service, oncall=org.olu,
        rotation=org.service.rotation, notification=notification,
        outsider_method=outsider_method, playbook=playbook, drill=drill, review=review,
        draft=draft, action_item=action_item, near_miss=near_miss,
        distribution_list=DistributionList.objects.create(name="Tier 1 reviews", tier=1),
        calendar_token=people["commander"].calendar_token, **integrations,
    )


def _resolve(samples, path: str):
    value = samples
    for part in path.split("."):
        value = getattr(value, part)
    return value


def url_of(name: str, row: Row, samples) -> str:
    kwargs = {
        argument: _resolve(samples, source) if isinstance(source, str) and "." in source
        else source
        for argument, source in row.kwargs.items()
    }
    url = reverse(name, kwargs=kwargs)
    if row.query:
        url += "?" + row.query.format(calendar_token=samples.calendar_token)
    return url


LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def answer_class(response) -> str:
    code = response.status_code
    if 200 <= code < 300:
        return "ok"
    if 300 <= code < 400:
        return "login" if urlsplit(response["Location"]).path in LOGIN_PATHS else "moved"
    return str(code)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_each_visitor_gets_what_the_access_table_says(name, samples, cast):
    row = TABLE[name]
    url = url_of(name, row, samples)
    wrong = []
    for visitor in VISITORS:
        client = Client()
        if visitor != "anonymous":
            client.force_login(cast[visitor])
        response = client.generic(row.method, url)
        got = answer_class(response)
        if got != row.expected[visitor]:
            wrong.append(f"{visitor}: {got} (table: {row.expected[visitor]})")
    assert not wrong, f"{row.method} {url}\n" + "\n".join(wrong)
