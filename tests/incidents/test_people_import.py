"""The people CSV: a preview, then all or nothing; bad lines named with their line numbers."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import people_csv
from incidents.models import ContactMethod, NotificationRule, Person, Team
from tests.conftest import screenshot

from .factories import make_person, make_team

IMPORT_URL = "/admin/incidents/person/import-csv/"
EXPORT_URL = "/admin/incidents/person/export-csv/"
HEADER = (
    "name,email,job_title,time_zone,teams,username,"
    "email_address,sms_number,slack_webhook,teams_workflow,webhook_url\n"
)


def import_people(content: str):
    return people_csv.people_csv_import(raw=content.encode())


def people_csv_check(raw: bytes):
    return people_csv.people_csv_check(raw)



@pytest.fixture
def teams(db):
    return {"ops": make_team("Ops", slug="ops"), "payments": make_team("Payments", slug="payments")}


@pytest.fixture
def admin_client(client_as):
    return client_as("roster_admin")


def upload(client, content, name="people.csv"):
    raw = content.encode() if isinstance(content, str) else content
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, raw, "text/csv")})


def confirm(client, preview):
    return client.post(IMPORT_URL, {"confirm": "1", "digest": preview.context["digest"]})


def line_errors(response) -> dict[int | None, str]:
    return {error.line: " ".join(error.reasons) for error in response.context["result"].errors}


GOOD_FILE = HEADER + (
    "Ada Lovelace,ada@example.org,Ops lead,Europe/London,ops;payments,,"
    "ada@example.org,+447700900123,https://hooks.slack.com/services/T/B/X,,\n"
    "Grace Hopper,grace@example.org,,America/New_York,ops,,grace@example.org,,,,"
    "https://hooks.zapier.com/hooks/catch/1/abc/\n"
)


def test_a_good_file_shows_a_preview_and_saves_nothing_yet(admin_client, teams):
    response = upload(admin_client, GOOD_FILE)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Preview of people.csv" in page
    assert "Ada Lovelace" in page and "Grace Hopper" in page
    assert "adds SMS +447700900123" in page
    assert "cannot be paged" in page  # new people have no notification rules yet
    assert response.context["result"].count("create") == 2
    assert not Person.objects.exists()


def test_confirming_the_preview_imports_everyone_with_their_methods(admin_client, teams):
    preview = upload(admin_client, GOOD_FILE)

    response = confirm(admin_client, preview)

    assert response.status_code == 302
    assert response["Location"] == "/admin/incidents/person/"
    ada = Person.objects.get(email="ada@example.org")
    assert (ada.name, ada.job_title, ada.time_zone) == ("Ada Lovelace", "Ops lead", "Europe/London")
    assert {team.slug for team in ada.teams.all()} == {"ops", "payments"}
    assert sorted(ada.contact_methods.values_list("kind", "address")) == [
        ("email", "ada@example.org"),
        ("slack", "https://hooks.slack.com/services/T/B/X"),
        ("sms", "+447700900123"),
    ]
    grace = Person.objects.get(email="grace@example.org")
    assert grace.contact_methods.get(kind="webhook").address.startswith("https://hooks.zapier")
    record = ada.history.get()
    assert record.history_change_reason == "People CSV import"
    assert record.history_user.username == "roster_admin"
    message = admin_client.get("/admin/incidents/person/").content.decode()
    assert "2 created, 0 updated" in message


def test_a_person_found_by_email_is_updated_not_duplicated(admin_client, teams):
    ada = make_person("Ada L.", email="Ada@Example.org", job_title="Engineer")
    ada.teams.add(teams["payments"])
    content = HEADER + "Ada Lovelace,ada@example.org,Ops lead,UTC,ops,,,,,,\n"

    preview = upload(admin_client, content)
    page = preview.content.decode()
    assert "name: “Ada L.” → “Ada Lovelace”" in page
    assert "joins ops" in page and "leaves payments" in page
    confirm(admin_client, preview)

    ada.refresh_from_db()
    assert Person.objects.count() == 1
    assert (ada.name, ada.job_title) == ("Ada Lovelace", "Ops lead")
    assert [team.slug for team in ada.teams.all()] == ["ops"]


def test_a_file_with_one_bad_line_imports_nothing_and_names_the_line(admin_client, teams):
    content = GOOD_FILE + "Bad Person,bad@example.org,,UTC,opz,,,,,,\n"

    response = upload(admin_client, content)

    assert response.status_code == 200
    assert line_errors(response) == {4: "Unknown team “opz”."}
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Line 4:" in page
    assert "digest" not in response.context
    assert not Person.objects.exists()


EVERY_KIND_OF_BAD_LINE = [
    (",nobody@example.org,,,,,,,,,", "The name is missing."),
    ("No Email Valid,not-an-email,,,,,,,,,", "The email “not-an-email” is not a valid email"),
    ("Zone,zone@example.org,,Mars/Olympus,,,,,,,", "Unknown time zone “Mars/Olympus”"),
    ("Teamless,team@example.org,,,ops;nope,,,,,,", "Unknown team “nope”."),
    ("Loginless,login@example.org,,,,ghost,,,,,", "There is no login named “ghost”."),
    ("Mail,mail@example.org,,,,,mail@,,,,", "email_address “mail@”: Enter a valid email"),
    ("Phone,phone@example.org,,,,,,07700900123,,,", "sms_number “07700900123”: Enter the number"),
    (
        "Http,http@example.org,,,,,,,http://hooks.slack.com/x,,",
        "slack_webhook “http://hooks.slack.com/x”: Enter an https:// URL.",
    ),
    ("Teams,teams@example.org,,,,,,,,ftp://x.example/,", "teams_workflow “ftp://x.example/”"),
    ("Hook,hook@example.org,,,,,,,,,https://", "webhook_url “https://”: The URL has no host."),
    ("Short,short@example.org,,UTC", "This line has 4 values but the header has 11 columns"),
    ("Ada Again,ADA@example.org,,,,,,,,,", "Duplicate person: line 2 has the same email."),
]


def test_every_bad_line_is_reported_with_its_number_and_reason(admin_client, teams):
    lines = [line for line, _ in EVERY_KIND_OF_BAD_LINE]
    content = HEADER + "Ada Lovelace,ada@example.org,,,,,,,,,\n" + "\n".join(lines) + "\n"

    errors = line_errors(upload(admin_client, content))

    for offset, (_, reason) in enumerate(EVERY_KIND_OF_BAD_LINE):
        assert reason in errors[3 + offset], (3 + offset, errors.get(3 + offset))
    assert 2 not in errors
    assert not Person.objects.exists()


def test_line_numbers_count_lines_of_the_file_not_records(admin_client, teams):
    content = (
        HEADER
        + 'Ada Lovelace,ada@example.org,"Ops lead,\nand on call",UTC,ops,,,,,,\n'
        + "\n"
        + "Grace Hopper,grace@example.org,,Nowhere/City,,,,,,,\n"
    )
    assert line_errors(upload(admin_client, content)) == {
        5: "Unknown time zone “Nowhere/City” (use a name like Europe/London)."
    }


def test_a_wrong_header_is_refused_on_line_1(admin_client, teams):
    content = "full name,e-mail\nAda Lovelace,ada@example.org\n"
    errors = line_errors(upload(admin_client, content))
    assert list(errors) == [1]
    assert "Unknown column “full name”, “e-mail”." in errors[1]
    assert "The header needs the column name and email." in errors[1]


def test_a_header_with_a_stray_comma_is_refused_with_a_hint(admin_client, teams):
    errors = line_errors(upload(admin_client, "name,email,\nAda Lovelace,ada@example.org,\n"))
    assert errors[1].startswith("A column has no name (a comma too many in the header?).")


def test_a_file_without_a_header_line_is_refused(admin_client, teams):
    errors = line_errors(upload(admin_client, "Ada Lovelace,ada@example.org,,,,,,,,,\n"))
    assert "Line 1 must be the header" in errors[1]


def test_a_file_that_is_not_utf8_names_the_first_bad_line(admin_client, teams):
    content = (
        HEADER + "Ada Lovelace,ada@example.org,,,,,,,,,\nJosé Núñez,jose@example.org,,,,,,,,,\n"
    )
    errors = line_errors(upload(admin_client, content.encode("latin-1")))
    assert errors == {
        3: "This line is not UTF-8 text. Save the file as “CSV UTF-8” and upload it again."
    }


def test_a_spreadsheet_file_uploaded_by_mistake_is_refused(admin_client, teams):
    errors = line_errors(upload(admin_client, b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"))
    assert "binary data" in errors[1]


def test_a_byte_order_mark_from_a_spreadsheet_is_fine(admin_client, teams):
    response = upload(admin_client, ("\ufeff" + GOOD_FILE).encode())
    assert response.context["result"].ok


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "The submitted file is empty."),
        (b"\n \n", "The file is empty."),
        (HEADER.encode(), "The file has a header but no people."),
        (
            ('Ada,ada@example.org,"never closed\n').join(["name,email\n", ""]).encode(),
            "A quoted value starting on this line is never closed",
        ),
    ],
)
def test_empty_and_broken_files_are_refused_with_a_message(admin_client, teams, content, reason):
    response = upload(admin_client, content)
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not Person.objects.exists()


def test_posting_without_a_file_asks_for_one(admin_client, teams):
    response = admin_client.post(IMPORT_URL, {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_a_file_over_2_mb_is_refused_before_reading_it(admin_client, teams):
    row = "Someone,someone@example.org,,,,,,,,,\n"
    big = HEADER + row * (people_csv.MAX_BYTES // len(row) + 1)
    response = upload(admin_client, big)
    assert "larger than 2 MB" in response.content.decode()
    assert not Person.objects.exists()


def test_the_import_checks_the_file_again_when_confirmed(admin_client, teams):
    preview = upload(admin_client, GOOD_FILE)
    Team.objects.filter(slug="payments").update(slug="billing")

    response = confirm(admin_client, preview)

    assert response.status_code == 200
    assert line_errors(response) == {2: "Unknown team “payments”."}
    assert "the database changed since then" in response.content.decode()
    assert not Person.objects.exists()


def test_a_confirmation_without_a_matching_preview_imports_nothing(admin_client, teams):
    upload(admin_client, GOOD_FILE)
    response = admin_client.post(IMPORT_URL, {"confirm": "1", "digest": "forged"}, follow=True)
    assert "That preview has expired" in response.content.decode()
    assert not Person.objects.exists()


def test_a_login_can_be_linked_and_moved_between_people(admin_client, teams):
    user_model = get_user_model()
    login = user_model.objects.create_user("ada", password="x")
    grace = make_person("Grace Hopper", email="grace@example.org", user=login)

    refused = upload(admin_client, HEADER + "Ada Lovelace,ada@example.org,,,,ada,,,,,\n")
    assert line_errors(refused) == {2: "The login “ada” already belongs to Grace Hopper."}

    content = HEADER + (
        "Ada Lovelace,ada@example.org,,,,ada,,,,,\nGrace Hopper,grace@example.org,,,,(none),,,,,\n"
    )
    preview = upload(admin_client, content)
    assert "unlinks the login “ada”" in preview.content.decode()
    confirm(admin_client, preview)
    grace.refresh_from_db()
    assert grace.user is None
    assert Person.objects.get(email="ada@example.org").user == login


def test_columns_left_out_keep_what_people_have(admin_client, teams):
    ada = make_person("Ada Lovelace", email="ada@example.org", job_title="Engineer")
    ada.teams.add(teams["ops"])
    ContactMethod.objects.create(person=ada, kind="sms", address="+447700900123")

    preview = upload(admin_client, "name,email,sms_number\nAda Lovelace,ada@example.org,(none)\n")
    assert "removes SMS +447700900123" in preview.content.decode()
    confirm(admin_client, preview)

    ada.refresh_from_db()
    assert ada.job_title == "Engineer"
    assert [team.slug for team in ada.teams.all()] == ["ops"]
    assert not ada.contact_methods.exists()


def test_an_empty_cell_keeps_what_is_stored(admin_client, teams, django_user_model):
    login = django_user_model.objects.create_user("ada", password="x")
    ada = make_person("Ada Lovelace", email="ada@example.org", job_title="Engineer",
                      time_zone="Europe/London", user=login)
    ada.teams.add(teams["ops"])
    ContactMethod.objects.create(person=ada, kind="sms", address="+447700900123")

    preview = upload(admin_client, HEADER + "Ada Lovelace,ada@example.org,,,,,,,,,\n")
    assert "<td>unchanged</td>" in preview.content.decode()
    assert import_people(HEADER + "Ada Lovelace,ada@example.org,,,,,,,,,\n").ok

    ada.refresh_from_db()
    assert (ada.job_title, ada.time_zone, ada.user) == ("Engineer", "Europe/London", login)
    assert [team.slug for team in ada.teams.all()] == ["ops"]
    assert list(ada.contact_methods.values_list("address", flat=True)) == ["+447700900123"]


def test_the_none_marker_clears_and_the_preview_lists_removals_first(admin_client, teams):
    ada = make_person("Ada Lovelace", email="ada@example.org", job_title="Engineer")
    ada.teams.add(teams["ops"])
    teams["ops"].manager = ada
    teams["ops"].save()

    content = HEADER + "Ada Lovelace,ada@example.org,(none),Europe/Paris,payments,,,,,,\n"
    [row] = people_csv_check(content.encode()).rows
    assert row.changes == [
        "clears job title (was “Engineer”)",
        "leaves ops (still its manager, outside the team)",
        "time zone: “UTC” → “Europe/Paris”",
        "joins payments",
    ]
    assert import_people(content).ok
    ada.refresh_from_db()
    assert (ada.job_title, [t.slug for t in ada.teams.all()]) == ("", ["payments"])


def test_stored_addresses_keep_their_case(admin_client, teams):
    ada = make_person("Ada Lovelace", email="Ada.Lovelace@Example.org")
    method = ContactMethod.objects.create(person=ada, kind="email",
                                          address="Ada.Lovelace@Example.org")
    NotificationRule.objects.create(person=ada, urgency="urgent", contact_method=method)

    content = HEADER + "Ada Lovelace,ada.lovelace@example.org,,,,,Ada.Lovelace@example.ORG,,,,\n"
    [row] = people_csv_check(content.encode()).rows
    assert row.changes == []
    assert import_people(content).ok
    ada.refresh_from_db()
    assert ada.email == "Ada.Lovelace@Example.org"
    assert list(ada.contact_methods.values_list("pk", "address")) == [
        (method.pk, "Ada.Lovelace@Example.org")]


def _roster_snapshot():
    return sorted(
        (
            person.name,
            person.email,
            person.job_title,
            person.time_zone,
            tuple(sorted(team.slug for team in person.teams.all())),
            person.user.username if person.user else "",
            tuple(
                sorted(
                    (method.pk, method.kind, method.address, method.label)
                    for method in person.contact_methods.all()
                )
            ),
            tuple(sorted(person.notification_rules.values_list("pk", flat=True))),
        )
        for person in Person.objects.all()
    )


@pytest.fixture
def roster(teams, django_user_model):
    ada = make_person(
        "Ada Lovelace",
        email="ada@example.org",
        job_title="Ops lead",
        time_zone="Europe/London",
        user=django_user_model.objects.create_user("ada", password="x"),
    )
    ada.teams.add(teams["ops"], teams["payments"])
    for kind, address in [
        ("email", "ada@example.org"),
        ("sms", "+447700900123"),
        ("sms", "+447700900456"),
        ("slack", "https://hooks.slack.com/services/T/B/X"),
        ("teams", "https://prod.logic.azure.com/workflows/1"),
        ("webhook", "https://hooks.zapier.com/hooks/catch/1/abc/"),
    ]:
        method = ContactMethod.objects.create(person=ada, kind=kind, address=address, label="work")
        NotificationRule.objects.create(person=ada, urgency="urgent", contact_method=method)
    make_person("No Email Person", job_title='=HYPERLINK("https://evil.example")')
    make_person("Grace Hopper", email="grace@example.org", time_zone="America/New_York")
    return ada


def test_export_then_import_changes_nothing(admin_client, roster):
    before = _roster_snapshot()
    exported = admin_client.get(EXPORT_URL)
    assert exported["Content-Type"].startswith("text/csv")
    assert "attachment" in exported["Content-Disposition"]

    preview = upload(admin_client, exported.content)
    result = preview.context["result"]
    assert result.ok, result.errors
    assert [row.action for row in result.rows] == ["unchanged"] * 3
    assert "nothing to import" in preview.content.decode()
    confirm(admin_client, preview)

    assert _roster_snapshot() == before


def test_export_writes_the_documented_format(admin_client, roster):
    text = admin_client.get(EXPORT_URL).content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [column.name for column in people_csv.COLUMNS]
    ada = next(row for row in rows if row["email"] == "ada@example.org")
    assert ada["teams"] == "ops;payments"
    assert ada["username"] == "ada"
    assert ada["sms_number"] == "+447700900123;+447700900456"
    spoofed = next(row for row in rows if row["name"] == "No Email Person")
    # A formula would run when the file is opened in a spreadsheet: it is written as text.
    assert spoofed["job_title"] == '\'=HYPERLINK("https://evil.example")'


def test_an_edited_export_replaces_the_listed_methods_and_keeps_the_rest(admin_client, roster):
    text = admin_client.get(EXPORT_URL).content.decode()
    kept = roster.contact_methods.get(address="+447700900123")
    edited = text.replace("+447700900123;+447700900456", "+447700900123;+33612345678")

    preview = upload(admin_client, edited.encode())
    page = preview.content.decode()
    assert "adds SMS +33612345678" in page
    assert "removes SMS +447700900456 and the 1 notification rule(s) using it" in page
    confirm(admin_client, preview)

    numbers = set(roster.contact_methods.filter(kind="sms").values_list("address", flat=True))
    assert numbers == {"+447700900123", "+33612345678"}
    kept.refresh_from_db()
    assert kept.label == "work"
    assert kept.notification_rules.count() == 1


def test_export_of_selected_people_from_the_list(admin_client, roster):
    response = admin_client.post(
        "/admin/incidents/person/",
        {"action": "export_selected", "_selected_action": [str(roster.pk)]},
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["name"] for row in rows] == ["Ada Lovelace"]


def test_people_csv_check_writes_nothing_by_itself(teams):
    result = people_csv.people_csv_check(GOOD_FILE.encode())
    assert result.ok
    assert not Person.objects.exists()


def test_import_by_function_is_all_or_nothing(teams):
    content = GOOD_FILE + "Broken,broken@example.org,,,,,,+1,,,\n"
    result = people_csv.people_csv_import(raw=content.encode())
    assert not result.ok
    assert not Person.objects.exists()
    assert not ContactMethod.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_import_with_preview_in_a_browser(browser_login, live_server, cast):
    make_team("Ops", slug="ops")
    make_team("Payments", slug="payments")
    grace = make_person("Grace Hopper", email="grace@example.org")
    ContactMethod.objects.create(person=grace, kind="sms", address="+447700900999")
    content = HEADER + (
        "Ada Lovelace,ada@example.org,Ops lead,Europe/London,ops;payments,,"
        "ada@example.org,+447700900123,,,\n"
        "Grace Hopper,grace@example.org,Rear admiral,America/New_York,ops,,,(none),,,\n"
    )
    page = browser_login("roster_admin")
    page.goto(live_server.url + IMPORT_URL)
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": content.encode()}],
    )
    page.click("input[type=submit]")
    preview = page.locator("#import-preview").inner_text()
    assert "1 to create" in preview and "1 to update" in preview
    assert "removes SMS +447700900999" in preview
    screenshot(page, "people-import-preview")
    assert not Person.objects.filter(email="ada@example.org").exists()

    page.click("input[name=confirm]")
    assert "1 created, 1 updated" in page.locator(".messagelist").inner_text()
    assert Person.objects.get(email="ada@example.org").contact_methods.count() == 2
    assert not grace.contact_methods.exists()
