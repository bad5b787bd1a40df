"""The admin shows playbooks and drills but edits neither: edits belong to their pages,
where they become versions (playbooks) or are refused once started (drills)."""

from playbooks.models import Drill
from tests.incidents.factories import make_team
from tests.playbooks.builders import make_playbook


def test_the_admin_shows_playbooks_and_drills_read_only(client, db, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    playbook = make_playbook(owner_team=make_team())
    drill = Drill.objects.create(title="Later", severity="sev2")
    for url in ("/admin/playbooks/playbook/", f"/admin/playbooks/playbook/{playbook.pk}/change/",
                "/admin/playbooks/drill/", f"/admin/playbooks/drill/{drill.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'name="_save"' not in response.content.decode()
    assert client.get("/admin/playbooks/playbook/add/").status_code == 403
    response = client.post(f"/admin/playbooks/playbook/{playbook.pk}/change/",
                           {"title": "Changed in admin"})
    assert response.status_code == 403
    playbook.refresh_from_db()
    assert playbook.title != "Changed in admin"
