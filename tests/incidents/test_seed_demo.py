import pytest
from django.core.management import CommandError, call_command

from incidents.models import ContactMethod, Person, Rotation, Service, ServiceDependency, Team
from incidents.oncall.schedule import on_call, plan_for


def _counts():
    models = (Team, Person, ContactMethod, Rotation, Service, ServiceDependency)
    return [model.objects.count() for model in models]


def test_seed_demo_builds_the_organisation_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    teams, people, _methods, rotations, services, _deps = first
    assert teams == 4 and people >= 20 and rotations == 4 and services >= 12
    assert set(Service.objects.values_list("tier", flat=True)) == {1, 2, 3}
    assert "commander" in capsys.readouterr().out


def test_seed_demo_logins_hold_their_roles(db, client):
    call_command("seed_demo")
    for username, role in [("leader", "Leadership"), ("admin", "Roster admins")]:
        response = client.post(
            "/accounts/login/", {"username": username, "password": "portal-demo"}
        )
        assert response.status_code == 302
        assert role in client.get("/").content.decode()


def test_every_demo_rotation_has_someone_on_call_now(db):
    from django.utils import timezone

    call_command("seed_demo")
    for rotation in Rotation.objects.all():
        assert not on_call(plan_for(rotation), timezone.now()).is_gap, rotation.name


def test_seed_demo_refuses_to_run_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo")
