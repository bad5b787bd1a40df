"""Every edit of a playbook is a new version with its author and time, and any two
versions can be compared as a readable, escaped line diff."""

from datetime import UTC, datetime, timedelta

import time_machine

from playbooks.diff import line_diff
from playbooks.models import PlaybookVersion
from playbooks.services import playbook_update
from tests.incidents.factories import make_service, make_team
from tests.playbooks.builders import make_playbook

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_line_diff_marks_added_removed_and_unchanged_lines_with_numbers():
    old = "one\ntwo\nthree\nfour"
    new = "one\n2\nthree\nfour\nfive"
    rows = [(line.kind, line.old_number, line.new_number, line.text)
            for line in line_diff(old, new).lines]
    assert rows == [
        ("same", 1, 1, "one"),
        ("removed", 2, None, "two"),
        ("added", None, 2, "2"),
        ("same", 3, 3, "three"),
        ("same", 4, 4, "four"),
        ("added", None, 5, "five"),
    ]
    diff = line_diff(old, new)
    assert (diff.added, diff.removed, diff.changed) == (2, 1, True)


def test_distant_changes_are_separated_by_a_gap_and_identical_texts_have_no_rows():
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 2\n", "line two\n").replace("line 19", "line nineteen")
    kinds = [line.kind for line in line_diff(old, new, context=1).lines]
    assert kinds.count("gap") == 1
    assert kinds.count("same") == 4  # one line of context each side of each change
    assert line_diff(old, old).lines == ()


def test_each_edit_is_a_new_version_with_author_time_and_note(cast, db):
    team = make_team()
    with time_machine.travel(T0, tick=False):
        playbook = make_playbook(owner_team=team, by=cast["responder"], body="Step one.")
    later = T0 + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        version = playbook_update(
            playbook=playbook, by=cast["commander"], title=playbook.title,
            body="Step one.\nStep two.", checklist="Check the secret", note="Added step two",
        )
    assert version.number == 2
    assert (version.author, version.author_name, version.created_at) == (
        cast["commander"], "Commander", later
    )
    assert version.note == "Added step two"
    first = PlaybookVersion.objects.get(playbook=playbook, number=1)
    assert (first.body, first.author_name, first.created_at) == ("Step one.", "Responder", T0)
    playbook.refresh_from_db()
    assert playbook.reviewed_at == later  # an edit is a review


def test_saving_without_any_change_makes_no_version(cast, db):
    playbook = make_playbook(owner_team=make_team())
    current = playbook.current
    unchanged = playbook_update(
        playbook=playbook, by=cast["responder"], title=current.title, body=current.body,
        checklist=current.checklist,
    )
    assert unchanged is None
    assert playbook.versions.count() == 1


def test_a_settings_change_alone_is_a_version_that_says_what_changed(cast, db):
    playbook = make_playbook(owner_team=make_team("Finance"), review_interval_days=90)
    payments = make_service("Payments")
    current = playbook.current
    version = playbook_update(
        playbook=playbook, by=cast["roster_admin"], title=current.title, body=current.body,
        checklist=current.checklist, owner_team=make_team("Growth"), services=[payments],
        review_interval_days=30,
    )
    assert version.number == 2
    assert "Owner team: Finance → Growth" in version.note
    assert "Services: none → Payments" in version.note
    assert "Review every (days): 90 → 30" in version.note
    playbook.refresh_from_db()
    assert playbook.review_interval_days == 30 and list(playbook.services.all()) == [payments]


def test_the_history_page_shows_the_diff_escaped(client_as, cast, db):
    playbook = make_playbook(owner_team=make_team(), body="Pause the scenario.\nCall Stripe.")
    playbook_update(
        playbook=playbook, by=cast["responder"], title=playbook.title,
        body="Pause the scenario.\n<script>alert(1)</script>\nCall Stripe support.",
        checklist="Check the secret", note="Clearer",
    )
    response = client_as("leader").get(f"/playbooks/{playbook.slug}/history/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Changes from version 1 to version 2" in html
    assert "<del>Call Stripe.</del>" in html
    assert "<ins>Call Stripe support.</ins>" in html
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in html
    assert "<script>alert(1)</script>" not in html
    assert "(+2 −1 lines)" in html
    assert "Responder" in html and "Clearer" in html


def test_any_two_versions_can_be_compared_and_unknown_ones_are_404(client_as, cast, db):
    playbook = make_playbook(owner_team=make_team(), body="v1")
    for text in ("v2", "v3"):
        playbook_update(playbook=playbook, by=cast["responder"], title=playbook.title,
                        body=text, checklist=playbook.current.checklist)
    client = client_as("responder")
    html = client.get(f"/playbooks/{playbook.slug}/history/?from=1&to=3").content.decode()
    assert "<del>v1</del>" in html and "<ins>v3</ins>" in html
    assert client.get(f"/playbooks/{playbook.slug}/history/?from=1&to=9").status_code == 404
    assert client.get(f"/playbooks/{playbook.slug}/history/?from=x").status_code == 404


def test_a_browsers_crlf_line_ends_are_not_a_change(cast, db):
    playbook = make_playbook(owner_team=make_team(), body="One.\nTwo.", checklist="A\nB")
    unchanged = playbook_update(
        playbook=playbook, by=cast["responder"], title=playbook.title, body="One.\r\nTwo.",
        checklist="A\r\nB\r\n",
    )
    assert unchanged is None
