"""The admin pages roster admins use show dates that cannot be misread: spelled months in
columns and read-only fields, ISO dates and 24-hour times in the forms."""

from datetime import UTC, datetime

import pytest

from incidents.models import Override

from .factories import make_person, make_reachable, make_rotation, make_team


@pytest.fixture
def override(db):
    ada = make_person("Ada Lovelace")
    rotation = make_rotation("Payments rota", people=[ada], team=make_team())
    return Override.objects.create(
        rotation=rotation,
        person=ada,
        starts_at=datetime(2026, 12, 8, 14, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 9, 9, 0, tzinfo=UTC),
    )


def test_the_overrides_list_spells_the_month_and_uses_the_24_hour_clock(client_as, override):
    html = client_as("roster_admin").get("/admin/incidents/override/").content.decode()
    assert "8 Dec 2026, 14:00" in html
    assert "p.m." not in html


def test_the_override_form_shows_iso_dates(client_as, override):
    url = f"/admin/incidents/override/{override.pk}/change/"
    html = client_as("roster_admin").get(url).content.decode()
    assert 'value="2026-12-08"' in html
    assert 'value="14:00"' in html
    assert "08/12/2026" not in html


def test_an_iso_date_typed_in_a_form_is_accepted(client_as, override):
    url = f"/admin/incidents/override/{override.pk}/change/"
    answer = client_as("roster_admin").post(url, {
        "rotation": override.rotation_id, "person": override.person_id, "replaces": "",
        "starts_at_0": "2026-12-10", "starts_at_1": "08:00",
        "ends_at_0": "2026-12-10", "ends_at_1": "18:00", "reason": "",
    })
    assert answer.status_code == 302
    override.refresh_from_db()
    assert override.starts_at == datetime(2026, 12, 10, 8, 0, tzinfo=UTC)


def test_a_failed_contact_method_shows_when_it_failed_unambiguously(client_as, db):
    method = make_reachable(make_person("Olu Adeyemi"))
    method.failure_reason = "bounced"
    method.failed_at = datetime(2026, 3, 4, 17, 6, tzinfo=UTC)
    method.save()
    url = f"/admin/incidents/person/{method.person_id}/change/"
    assert "4 Mar 2026, 17:06" in client_as("roster_admin").get(url).content.decode()
