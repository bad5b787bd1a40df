"""One update worded per audience: what each may see, the template sandbox, a broken template
falling back instead of failing, and the preview page."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.comms.glossary import NameBook
from incidents.comms.render import Draft, render_all
from incidents.comms.sandbox import TemplateProblem, render_text
from incidents.models import Connector, GlossaryTerm, MessageTemplate, StatusUpdate
from incidents.services import incident_assign_role, incident_declare
from tests.incidents.factories import make_person, make_service

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SECRET_DETAIL = "HTTP 504 from verify-eu-west after 30 s"
ANSWERS = {
    "what_happened": "Sign-ups stall at the verification step.",
    "current_impact": "A third of new customers cannot finish signing up.",
    "being_done": "Switching to the standby provider.",
    "responsible": "Cara Comms",
    "expected_timeline": "Fixed within the hour.",
    "technical_detail": SECRET_DETAIL,
}



@pytest.fixture
def incident(cast):
    comms = make_person("Cara Comms", user=cast["comms"])
    signup = make_service("Sign-up flow", tier=1, public=True, business_process="Onboarding")
    records = make_service("Records base", tier=2, public=False, business_process="Data")
    signup.connectors.add(
        Connector.objects.create(name="Verify API (n8n)", vendor="Verify", platform="n8n")
    )
    with time_machine.travel(T0, tick=False):
        incident = incident_declare(
            title="Verification timeouts in n8n", severity="sev2",
            services=[signup, records], declared_by=None,
        )
        incident_assign_role(
            incident=incident, kind="communications_lead", person=comms, by=cast["commander"]
        )
    return incident


def versions(incident, **changes) -> dict:
    draft = Draft(**{**ANSWERS, "visibility": "public", **changes})
    return {
        (v.audience, v.channel): v
        for rendering in render_all(incident, draft)
        for v in rendering.versions
    }


def external_text(rendered: dict) -> str:
    return "\n".join(
        f"{v.subject}\n{v.body}"
        for (audience, _), v in rendered.items()
        if audience in ("customer", "partner")
    )


def test_customer_and_partner_wording_never_carries_technical_or_internal_facts(incident):
    text = external_text(versions(incident))
    for internal in (SECRET_DETAIL, "Cara Comms", "Records base", "Verify API", "n8n",
                     incident.reference, "SEV2", "/incidents/"):
        assert internal not in text
    assert "Sign-up flow" in text  # the public service is named
    assert "A third of new customers cannot finish signing up." in text


def test_technical_wording_has_the_detail_and_the_components(incident):
    technical = versions(incident)[("technical", "bridge")].body
    assert SECRET_DETAIL in technical
    assert "Verify API (n8n)" in technical
    assert "Records base" in technical
    assert "Cara Comms" in technical


def test_executive_wording_speaks_of_business_impact_and_customer_exposure(incident):
    executive = versions(incident)[("executive", "internal_email")].body
    assert "Business processes: Data, Onboarding" in executive
    assert "customers of Sign-up flow see this on the status page" in executive
    assert SECRET_DETAIL not in executive


def test_a_template_that_asks_for_internal_fields_gets_nothing_for_customers(incident):
    MessageTemplate.objects.filter(audience="customer", channel="status_page").update(
        subject_template="{{ reference }}{{ severity }}",
        body_template="[{{ technical_detail }}|{{ responsible }}|{{ connectors }}|"
        "{{ incident_url }}|{{ title }}]",
    )
    version = versions(incident)[("customer", "status_page")]
    assert version.body == "[||||]"
    assert version.subject == ""


def test_internal_names_written_into_customer_wording_are_replaced(incident):
    text = versions(
        incident,
        customer_wording="Cara Comms restarted the Records base and Verify API. "
        "The Records base is back.",
    )[("customer", "status_page")].body
    assert text.startswith(
        "Our team restarted an internal system and a third-party integration. "
        "An internal system is back."
    )


def test_known_terms_get_a_definition_for_non_technical_readers_only(incident):
    GlossaryTerm.objects.create(term="failover", definition="switching to a standby system")
    rendered = versions(incident, being_done="A failover is running. The failover ends soon.")
    customer = rendered[("customer", "status_page")].body
    assert "A failover (switching to a standby system) is running. The failover ends" in customer
    executive = rendered[("executive", "internal_email")].body
    assert "failover (switching to a standby system)" in executive
    assert "(switching" not in rendered[("technical", "bridge")].body


def test_a_broken_template_falls_back_to_the_built_in_wording_and_says_so(incident):
    MessageTemplate.objects.filter(audience="customer", channel="status_page").update(
        body_template="{% if %}broken"
    )
    version = versions(incident, customer_wording="Sign-ups are slow.")[
        ("customer", "status_page")
    ]
    assert "syntax error" in version.problem and "fix the template in admin" in version.problem
    assert version.body.startswith("Sign-ups are slow.")


@pytest.mark.parametrize("source", [
    "{% include 'base.html' %}", "{% load static %}", "{% url 'home' %}", "{% debug %}",
    "{% csrf_token %}", "{% extends 'base.html' %}",
])
def test_the_sandbox_refuses_tags_that_reach_outside_the_template(source):
    with pytest.raises(TemplateProblem, match="syntax error"):
        render_text(source, {})


def test_the_sandbox_renders_plain_text_without_escaping():
    assert render_text("{{ a|upper }} & {{ b|join:', ' }}", {"a": "<x>", "b": ["1", "2"]}) == (
        "<X> & 1, 2"
    )


def test_name_book_keeps_public_names_whole(incident):
    make_service("Sign-up", public=False)
    book = NameBook.load()
    assert book.names["sign-up flow"] == "public"
    assert book.names["sign-up"] == "internal service"


# --- the preview page -----------------------------------------------------------------------


def draft_fields(**changes) -> dict:
    fields = {**ANSWERS, "visibility": "public", **changes}
    return {f"draft-{key}": value for key, value in fields.items()}


def section(page: str, audience: str) -> str:
    start = page.index(f'id="preview-{audience}"')
    end = page.find('<section class="panel up-audience"', start + 1)
    return page[start: end if end != -1 else len(page)]


def test_the_preview_shows_each_audience_before_anything_is_sent(incident, client_as):
    url = reverse("incidents:incident_updates", args=[incident.pk])
    response = client_as("comms").post(
        url, {"action": "preview", **draft_fields(customer_wording="Sign-ups are slow.")}
    )
    assert response.status_code == 200
    page = response.content.decode()
    executive, customer = section(page, "executive"), section(page, "customer")
    assert "Business impact: A third of new customers" in executive
    assert "Sign-ups are slow." in customer
    assert SECRET_DETAIL not in customer and "Cara Comms" not in customer
    assert not StatusUpdate.objects.exists()
    # The draft travels on in hidden fields, ready to publish.
    assert 'name="draft-customer_wording" value="Sign-ups are slow."' in page
    assert 'value="publish"' in page


def test_an_internal_preview_leaves_customers_and_partners_out(incident, client_as):
    url = reverse("incidents:incident_updates", args=[incident.pk])
    page = client_as("comms").post(
        url, {"action": "preview", **draft_fields(visibility="internal")}
    ).content.decode()
    assert 'id="preview-executive"' in page
    assert 'id="preview-customer"' not in page
    assert "customers and partners get nothing" in page


def test_a_broken_template_shows_in_the_preview_instead_of_failing(incident, client_as):
    MessageTemplate.objects.filter(audience="executive", channel="internal_email").update(
        subject_template="{{ title|no_such_filter }}", body_template="{% for %}"
    )
    url = reverse("incidents:incident_updates", args=[incident.pk])
    response = client_as("comms").post(url, {"action": "preview", **draft_fields()})
    assert response.status_code == 200
    assert "The executive internal email template (subject) has a syntax error" in (
        response.content.decode()
    )


def test_a_prepared_statement_is_inserted_into_the_customer_wording(incident, client_as):
    from incidents.models import PreparedStatement

    statement = PreparedStatement.objects.create(
        title="Ack", kind="acknowledge",
        text="We are aware that {{ services|join:', ' }} is not working as expected.",
    )
    url = reverse("incidents:incident_updates", args=[incident.pk])
    response = client_as("comms").post(url, {
        "action": "use_statement", **draft_fields(customer_wording=""),
        "draft-statement": statement.pk,
    })
    page = response.content.decode()
    assert response.status_code == 200
    assert "We are aware that Sign-up flow is not working as expected.</textarea>" in page
    assert "Sign-ups stall at the verification step.</textarea>" in page  # kept


# --- admin ----------------------------------------------------------------------------------


def test_admin_refuses_a_template_that_does_not_render(client_as):
    template = MessageTemplate.objects.get(audience="customer", channel="status_page")
    url = reverse("admin:incidents_messagetemplate_change", args=[template.pk])
    response = client_as("roster_admin").post(url, {
        "audience": "customer", "channel": "status_page", "urgency": "routine",
        "subject_template": "{{ headline }}", "body_template": "{% include 'x.html' %}",
    })
    assert response.status_code == 200
    assert "The body has a syntax error" in response.content.decode()
    template.refresh_from_db()
    assert "include" not in template.body_template


def test_a_fresh_install_has_a_template_for_each_audience_channel(db):
    cells = set(MessageTemplate.objects.values_list("audience", "channel"))
    assert {("technical", "bridge"), ("executive", "internal_email"),
            ("customer", "status_page"), ("customer", "customer_email"),
            ("partner", "customer_email")} <= cells
