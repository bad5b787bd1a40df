"""Roster admins choose time zones from a list in the admin, for people and rotations."""

from incidents.models import Person

from .factories import make_person, make_rotation, make_team


def test_the_person_form_offers_the_time_zones_as_a_list(client_as, db):
    person = make_person("Ada Lovelace")
    page = client_as("roster_admin").get(f"/admin/incidents/person/{person.pk}/change/")
    html = page.content.decode()
    assert '<select name="time_zone"' in html
    assert '<option value="Europe/London">Europe/London</option>' in html


def test_the_rotation_form_offers_the_time_zones_as_a_list(client_as, db):
    rotation = make_rotation("Payments rota", people=[make_person("Olu")], team=make_team())
    page = client_as("roster_admin").get(f"/admin/incidents/rotation/{rotation.pk}/change/")
    assert '<select name="time_zone"' in page.content.decode()


def test_a_time_zone_not_in_the_list_is_refused_with_a_message(client_as, db):
    client = client_as("roster_admin")
    answer = client.post("/admin/incidents/person/add/", {
        "name": "Grace Hopper", "email": "", "job_title": "", "time_zone": "Europe/Lodnon",
        "contact_methods-TOTAL_FORMS": "0", "contact_methods-INITIAL_FORMS": "0",
        "notification_rules-TOTAL_FORMS": "0", "notification_rules-INITIAL_FORMS": "0",
    })
    assert answer.status_code == 200
    assert "Select a valid choice. Europe/Lodnon is not one of the available choices." in \
        answer.content.decode()
    assert not Person.objects.filter(name="Grace Hopper").exists()
