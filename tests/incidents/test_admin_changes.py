"""Changes made through the admin's forms: validation from the models, and the history."""

from django.forms import MultiWidget

from incidents.models import (
    ContactMethod,
    DecisionAuthority,
    NotificationRule,
    ServiceDependency,
)

from .factories import make_person, make_reachable, make_service, make_team


def change_form_data(response) -> dict:
    """The POST a browser would send for the change form in ``response``, unchanged."""
    data = {}

    def add_form(form):
        for name, field in form.fields.items():
            key = form.add_prefix(name)
            value = form[name].value()
            widget = field.widget
            if isinstance(widget, MultiWidget):
                for index, part in enumerate(widget.decompress(value)):
                    data[f"{key}_{index}"] = "" if part is None else str(part)
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            elif value is None:
                data[key] = ""
            else:
                data[key] = str(value)

    add_form(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add_form(formset.management_form)
        for form in formset.forms:
            add_form(form)
    return data


def test_a_dependency_closing_a_cycle_is_refused_with_the_cycle_named(client_as, db):
    team = make_team()
    onboarding = make_service("Onboarding", owner_team=team)
    payments = make_service("Payments", owner_team=team)
    ledger = make_service("Ledger", owner_team=team)
    ServiceDependency.objects.create(service=onboarding, depends_on=payments)
    ServiceDependency.objects.create(service=payments, depends_on=ledger)
    client = client_as("roster_admin")
    url = f"/admin/incidents/service/{ledger.pk}/change/"
    data = change_form_data(client.get(url))
    data["dependency_edges-0-depends_on"] = str(onboarding.pk)

    response = client.post(url, data)

    assert response.status_code == 200
    assert (
        "This dependency would create a cycle: Ledger → Onboarding → Payments → Ledger."
        in response.content.decode()
    )
    assert not ServiceDependency.objects.filter(service=ledger).exists()


def test_a_dependency_without_a_cycle_is_saved(client_as, db):
    team = make_team()
    onboarding = make_service("Onboarding", owner_team=team)
    payments = make_service("Payments", owner_team=team)
    client = client_as("roster_admin")
    url = f"/admin/incidents/service/{onboarding.pk}/change/"
    data = change_form_data(client.get(url))
    data["dependency_edges-0-depends_on"] = str(payments.pk)

    response = client.post(url, data)

    assert response.status_code == 302
    assert list(onboarding.depends_on.all()) == [payments]


def test_the_tier_field_explains_what_each_tier_means(client_as, db):
    page = client_as("roster_admin").get("/admin/incidents/service/add/").content.decode()
    assert "Customers cannot sign up, pay or be paid" in page


def test_a_bad_contact_address_in_the_person_form_is_refused_and_nothing_saved(client_as, db):
    person = make_person("Ada Lovelace")
    client = client_as("roster_admin")
    url = f"/admin/incidents/person/{person.pk}/change/"
    data = change_form_data(client.get(url))
    data["contact_methods-0-kind"] = "sms"
    data["contact_methods-0-address"] = "07700 900123"
    data["job_title"] = "Ops lead"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Enter the number in E.164 form" in response.content.decode()
    person.refresh_from_db()
    assert person.job_title == ""
    assert not person.contact_methods.exists()


def test_a_rule_may_only_use_the_persons_own_contact_method(client_as, db):
    ada = make_person("Ada Lovelace")
    make_reachable(ada)
    other_method = make_reachable(make_person("Grace Hopper"))
    client = client_as("roster_admin")
    url = f"/admin/incidents/person/{ada.pk}/change/"
    data = change_form_data(client.get(url))
    data["notification_rules-1-urgency"] = "routine"
    data["notification_rules-1-contact_method"] = str(other_method.pk)
    data["notification_rules-1-delay_minutes"] = "5"

    response = client.post(url, data)

    assert response.status_code == 200
    assert ada.notification_rules.count() == 1


def test_history_shows_who_changed_a_person_and_their_contact_methods(client_as, db):
    person = make_person("Ada Lovelace", job_title="Engineer")
    client = client_as("roster_admin")
    url = f"/admin/incidents/person/{person.pk}/change/"
    data = change_form_data(client.get(url))
    data["job_title"] = "Ops lead"
    data["contact_methods-0-kind"] = "sms"
    data["contact_methods-0-address"] = "+447700900123"
    assert client.post(url, data).status_code == 302

    page = client.get(f"/admin/incidents/person/{person.pk}/history/").content.decode()

    assert "roster_admin" in page
    assert "Job title:</strong>" in page
    assert "Engineer" in page and "Ops lead" in page
    assert "Contact methods" in page
    assert "SMS: +447700900123" in page
    history = person.contact_methods.get().history.get()
    assert history.history_user.username == "roster_admin"


def test_history_of_a_contact_method_edited_later_shows_the_change(client_as, db):
    method = make_reachable(make_person("Ada Lovelace"), email="old@example.org")
    client = client_as("roster_admin")
    url = f"/admin/incidents/contactmethod/{method.pk}/change/"
    data = change_form_data(client.get(url))
    data["address"] = "new@example.org"
    assert client.post(url, data).status_code == 302

    page = client.get(f"/admin/incidents/contactmethod/{method.pk}/history/").content.decode()

    assert "old@example.org" in page and "new@example.org" in page
    assert "roster_admin" in page


def test_failing_filter_lists_only_methods_whose_delivery_failed(client_as, db):
    person = make_person("Ada Lovelace")
    ContactMethod.objects.create(person=person, kind="email", address="good@example.org")
    ContactMethod.objects.create(
        person=person, kind="email", address="gone@example.org", failure_reason="550 unknown"
    )
    page = (
        client_as("roster_admin")
        .get("/admin/incidents/contactmethod/?delivery=failing")
        .content.decode()
    )
    assert "gone@example.org" in page
    assert "good@example.org" not in page


def test_clear_failure_action_makes_methods_usable_and_records_it(client_as, db):
    person = make_person("Ada Lovelace")
    method = make_reachable(person)
    ContactMethod.objects.filter(pk=method.pk).update(failure_reason="550 unknown")
    assert person.cannot_be_paged

    response = client_as("roster_admin").post(
        "/admin/incidents/contactmethod/",
        {"action": "clear_failure", "_selected_action": [str(method.pk)]},
        follow=True,
    )

    assert "Cleared the failure of 1 contact method(s)." in response.content.decode()
    method.refresh_from_db()
    assert method.failure_reason == "" and method.failed_at is None
    assert not person.cannot_be_paged
    latest = method.history.first()
    assert latest.history_change_reason == "Failure cleared"
    assert latest.history_user.username == "roster_admin"


def test_decision_authority_takes_incident_roles_as_a_comma_separated_list(client_as, db):
    authority = DecisionAuthority.objects.get(severity="sev1", action="close")
    client = client_as("roster_admin")
    url = f"/admin/incidents/decisionauthority/{authority.pk}/change/"
    data = change_form_data(client.get(url))
    assert data["incident_roles"] == "commander"

    data["incident_roles"] = "commander, Technical Lead"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "“Technical Lead”" in response.content.decode()

    data["incident_roles"] = "commander, technical_lead"
    assert client.post(url, data).status_code == 302
    authority.refresh_from_db()
    assert authority.incident_roles == ["commander", "technical_lead"]


def test_rule_inline_offers_only_the_persons_own_methods(client_as, db):
    ada = make_person("Ada Lovelace")
    make_reachable(ada, email="ada@example.org")
    make_reachable(make_person("Grace Hopper"), email="grace@example.org")
    response = client_as("roster_admin").get(f"/admin/incidents/person/{ada.pk}/change/")
    formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is NotificationRule
    )
    offered = [str(choice[1]) for choice in formset.forms[0].fields["contact_method"].choices]
    assert "Email: ada@example.org" in offered
    assert "Email: grace@example.org" not in offered


def test_a_roster_admin_can_renew_a_leaked_calendar_key(client_as):
    from incidents.models import Person

    person = Person.objects.create(name="Leaky Lou")
    old = person.calendar_token
    response = client_as("roster_admin").post(
        "/admin/incidents/person/",
        {"action": "renew_calendar_keys", "_selected_action": [person.pk]},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.calendar_token != old
    assert person.history.first().calendar_token == person.calendar_token
