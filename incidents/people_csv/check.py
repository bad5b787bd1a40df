"""Checking a people CSV against the database, line by line, and describing what it would do."""

import csv
import functools
import io
import zoneinfo
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count, Q
from django.db.models.functions import Lower

from ..models import ContactMethod, NotificationRule, Person, Team, Urgency
from ..models.rosters import contact_address_error
from .format import (
    ADDRESS_COLUMNS,
    HEADER,
    MAX_BYTES,
    MAX_PEOPLE,
    REQUIRED_COLUMNS,
    address_key,
    from_spreadsheet,
    is_none_marker,
    split_cell,
)


@dataclass
class LineError:
    line: int | None  # None: about the file as a whole
    reasons: list[str]


@dataclass
class PersonRow:
    """One good line of the file and what importing it would do."""

    line: int
    person: Person | None  # the person to update, or None to create one
    name: str
    email: str
    fields: dict[str, str]  # job_title, time_zone: only the columns in the file
    teams: list[Team] | None  # None: the column is not in the file
    set_user: bool
    user: object | None
    addresses: dict[str, list[str]]  # kind → addresses, for the address columns in the file
    existing_methods: dict[str, list[ContactMethod]] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        if self.person is None:
            return "create"
        return "update" if self.changes else "unchanged"


@dataclass
class PeopleImport:
    rows: list[PersonRow] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def count_create(self) -> int:
        return self.count("create")

    @property
    def count_update(self) -> int:
        return self.count("update")

    @property
    def count_unchanged(self) -> int:
        return self.count("unchanged")


def people_csv_check(raw: bytes) -> PeopleImport:
    """Read and check the whole file against the database; write nothing.

    1. Decode (UTF-8, size, emptiness) and split into records, keeping each one's first line.
    2. Check the header.
    3. Check each line on its own (values, duplicates within the file).
    4. Look up what the lines refer to (teams, logins, people to update) in a few queries.
    5. Check what needs the whole file (a login moving between two people).
    6. Describe what each good line would change, for the preview.
    """
    text, problem = _decode(raw)
    if problem:
        return PeopleImport(errors=[problem])
    records, problem = _records(text)
    if problem:
        return PeopleImport(errors=[problem])
    header_line, header_cells = records[0]
    header, problem = _header(header_line, header_cells)
    if problem:
        return PeopleImport(errors=[problem])
    data = [(line, cells) for line, cells in records[1:] if any(cell.strip() for cell in cells)]
    if not data:
        return PeopleImport(errors=[LineError(None, ["The file has a header but no people."])])
    if len(data) > MAX_PEOPLE:
        return PeopleImport(
            errors=[LineError(None, [f"The file has more than {MAX_PEOPLE} people; split it."])]
        )
    return _check_rows(header, data)


def _decode(raw: bytes) -> tuple[str, LineError | None]:
    if len(raw) > MAX_BYTES:
        return "", LineError(None, ["The file is larger than 2 MB; split it into smaller files."])
    if not raw.strip():
        return "", LineError(None, ["The file is empty."])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return "", LineError(
            line,
            ["This line is not UTF-8 text. Save the file as “CSV UTF-8” and upload it again."],
        )
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return "", LineError(line, ["This line holds binary data: is the file really a CSV?"])
    return text, None


def _records(text: str) -> tuple[list[tuple[int, list[str]]], LineError | None]:
    """Each record with the line it starts on; a quoted value may span several lines."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    lines_read = 0
    try:
        for cells in reader:
            records.append((lines_read + 1, cells))
            lines_read = reader.line_num
    except csv.Error as error:
        if "end of data" in str(error):
            reason = 'A quoted value starting on this line is never closed (a missing “"”).'
        else:
            reason = f"The quoting on this line is broken ({error})."
        return [], LineError(lines_read + 1, [reason])
    return records, None


def _header(line: int, cells: list[str]) -> tuple[list[str], LineError | None]:
    header = [cell.strip().lower() for cell in cells]
    reasons = []
    unknown = [name for name in header if name and name not in HEADER]
    if "" in header:
        reasons.append("A column has no name (a comma too many in the header?).")
    if unknown:
        reasons.append("Unknown column " + ", ".join(f"“{name}”" for name in unknown) + ".")
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        reasons.append("Column " + ", ".join(f"“{name}”" for name in repeated) + " appears twice.")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        reasons.append("The header needs the column " + " and ".join(missing) + ".")
    if reasons:
        reasons.append("Line 1 must be the header, with columns among: " + ", ".join(HEADER) + ".")
        return header, LineError(line, reasons)
    return header, None


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_rows(header: list[str], data: list[tuple[int, list[str]]]) -> PeopleImport:
    result = PeopleImport()
    parsed = []  # (line, values, reasons) of lines with the right number of values
    for line, cells in data:
        if len(cells) != len(header):
            result.errors.append(
                LineError(
                    line,
                    [
                        f"This line has {len(cells)} values but the header has {len(header)} "
                        "columns (a comma inside a value needs quotes)."
                    ],
                )
            )
            continue
        parsed.append((line, dict(zip(header, map(from_spreadsheet, cells), strict=True)), []))

    lookups = _Lookups.load([values for _, values, _ in parsed])
    seen_people: dict[tuple[str, str], int] = {}
    seen_logins: dict[str, int] = {}
    for line, values, reasons in parsed:
        row = _check_row(line, values, reasons, lookups, seen_people, seen_logins)
        if reasons:
            result.errors.append(LineError(line, reasons))
        else:
            result.rows.append(row)

    _check_login_moves(result, lookups)
    result.errors.sort(key=lambda error: error.line or 0)
    if result.ok:
        for row in result.rows:
            _describe(row, lookups)
    return result


class _Lookups:
    """Everything the lines refer to, loaded in a fixed number of queries."""

    @classmethod
    def load(cls, rows: list[dict[str, str]]) -> "_Lookups":
        lookups = cls()
        slugs = {slug for values in rows for slug in split_cell(values.get("teams", ""))}
        lookups.teams = {team.slug: team for team in Team.objects.filter(slug__in=slugs)}

        usernames = {values["username"] for values in rows if values.get("username")}
        user_model = get_user_model()
        lookups.users = {
            user.get_username(): user
            for user in user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__in": usernames})
        }
        holders = Person.objects.filter(user__in=lookups.users.values())
        lookups.holders = {person.user_id: person for person in holders}

        emails = {values["email"].lower() for values in rows if values["email"]}
        names = {values["name"] for values in rows if not values["email"] and values["name"]}
        candidates = (
            Person.objects.annotate(email_key=Lower("email"))
            .filter(Q(email_key__in=emails) | Q(email="", name__in=names))
            .select_related("user")
            .prefetch_related("teams")
        )
        lookups.people = {}
        for person in candidates:
            key = ("email", person.email_key) if person.email else ("name", person.name)
            lookups.people.setdefault(key, []).append(person)

        matched = [person for found in lookups.people.values() for person in found]
        lookups.methods = {}
        for method in (
            ContactMethod.objects.filter(person__in=matched)
            .annotate(rule_count=Count("notification_rules"))
            .order_by("id")
        ):
            lookups.methods.setdefault(method.person_id, []).append(method)
        lookups.urgent_rules = {}
        for person_id, kind, address in NotificationRule.objects.filter(
            person__in=matched, urgency=Urgency.URGENT, contact_method__failure_reason=""
        ).values_list("person_id", "contact_method__kind", "contact_method__address"):
            lookups.urgent_rules.setdefault(person_id, []).append((kind, address))
        return lookups


def _check_row(line, values, reasons, lookups, seen_people, seen_logins) -> PersonRow | None:
    name, email = values["name"], values["email"]
    if not name:
        reasons.append("The name is missing.")
    elif len(name) > Person._meta.get_field("name").max_length:
        reasons.append("The name is longer than 150 characters.")
    if email and not _is_email(email):
        reasons.append(f"The email “{email}” is not a valid email address.")

    # An empty cell keeps what is stored; only the (none) marker clears.
    fields = {}
    job_title = values.get("job_title", "")
    if job_title:
        fields["job_title"] = "" if is_none_marker(job_title) else job_title
        if len(fields["job_title"]) > Person._meta.get_field("job_title").max_length:
            reasons.append("The job title is longer than 100 characters.")
    time_zone = values.get("time_zone", "")
    if time_zone:
        fields["time_zone"] = "UTC" if is_none_marker(time_zone) else time_zone
        if fields["time_zone"] not in _time_zones():
            reasons.append(f"Unknown time zone “{time_zone}” (use a name like Europe/London).")

    teams = None
    if values.get("teams"):
        slugs = [] if is_none_marker(values["teams"]) else split_cell(values["teams"])
        unknown = [slug for slug in slugs if slug not in lookups.teams]
        if unknown:
            reasons.append("Unknown team " + ", ".join(f"“{slug}”" for slug in unknown) + ".")
        teams = [lookups.teams[slug] for slug in slugs if slug in lookups.teams]

    user = None
    username = values.get("username", "")
    set_user = bool(username)
    if is_none_marker(username):
        username = ""
    if username:
        user = lookups.users.get(username)
        if user is None:
            reasons.append(f"There is no login named “{username}”.")
        elif username in seen_logins:
            reasons.append(f"The login “{username}” is also given on line {seen_logins[username]}.")
        else:
            seen_logins[username] = line

    addresses = {}
    for column, kind in ADDRESS_COLUMNS.items():
        if not values.get(column):
            continue
        cell = values[column]
        addresses[kind] = [] if is_none_marker(cell) else split_cell(cell)
        for address in addresses[kind]:
            error = contact_address_error(kind, address)
            if error is None and len(address) > 500:
                error = "It is longer than 500 characters."
            if error:
                reasons.append(f"{column} “{address}”: {error}")

    person = None
    if name:
        key = ("email", email.lower()) if email else ("name", name)
        if key in seen_people:
            what = "email" if email else "name (and no email)"
            reasons.append(f"Duplicate person: line {seen_people[key]} has the same {what}.")
        else:
            seen_people[key] = line
        found = lookups.people.get(key, [])
        if len(found) > 1:
            if email:
                reasons.append(
                    f"{len(found)} people already have the email “{email}”; "
                    "merge them in the admin first."
                )
            else:
                reasons.append(
                    f"{len(found)} people named “{name}” have no email; give them one first."
                )
        person = found[0] if len(found) == 1 else None
        if person is not None and person.email:
            email = person.email  # matched in any case: the stored address keeps its own

    if reasons:
        return None
    return PersonRow(
        line=line,
        person=person,
        name=name,
        email=email,
        fields=fields,
        teams=teams,
        set_user=set_user,
        user=user,
        addresses=addresses,
        existing_methods=_methods_by_kind(lookups.methods.get(person.pk, []) if person else []),
    )


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return len(value) <= Person._meta.get_field("email").max_length


def _methods_by_kind(methods: list[ContactMethod]) -> dict[str, list[ContactMethod]]:
    by_kind: dict[str, list[ContactMethod]] = {}
    for method in methods:
        by_kind.setdefault(method.kind, []).append(method)
    return by_kind


def _check_login_moves(result: PeopleImport, lookups: _Lookups) -> None:
    """A login may only be linked to a new person if its holder gives it up in the same file."""
    rows_by_person = {row.person.pk: row for row in result.rows if row.person is not None}
    for row in list(result.rows):
        if row.user is None:
            continue
        holder = lookups.holders.get(row.user.pk)
        if holder is None or (row.person is not None and holder.pk == row.person.pk):
            continue
        holder_row = rows_by_person.get(holder.pk)
        if holder_row is not None and holder_row.set_user and holder_row.user != row.user:
            continue  # the holder's own line gives the login up
        result.rows.remove(row)
        result.errors.append(
            LineError(
                row.line,
                [f"The login “{row.user.get_username()}” already belongs to {holder.name}."],
            )
        )


def _describe(row: PersonRow, lookups: _Lookups) -> None:
    """Fill ``row.changes`` and ``row.warnings`` in words a roster admin reads in the preview:
    every change to an existing person, what it removes first."""
    person = row.person
    removals: list[str] = []
    changes: list[str] = []
    if person is None:
        changes.append("new person")
        row.warnings.append("No notification rules yet: cannot be paged until one is set.")
    else:
        for label, old, new in [
            ("name", person.name, row.name),
            ("email", person.email, row.email),
            *((name.replace("_", " "), getattr(person, name), v) for name, v in row.fields.items()),
        ]:
            if old != new and not new:
                removals.append(f"clears {label} (was “{old}”)")
            elif old != new:
                changes.append(f"{label}: “{old}” → “{new}”")
    _describe_teams(row, removals, changes)
    if row.set_user:
        old_user = person.user if person else None
        if old_user != row.user and row.user is None:
            removals.append(f"unlinks the login “{old_user.get_username()}”")
        elif old_user != row.user:
            changes.append(f"links the login “{row.user.get_username()}”")
    _describe_methods(row, removals, changes)
    row.changes = removals + changes
    if person is not None:
        surviving = [
            (kind, address)
            for kind, address in lookups.urgent_rules.get(person.pk, [])
            if kind not in row.addresses
            or address_key(kind, address) in {address_key(kind, a) for a in row.addresses[kind]}
        ]
        if not surviving:
            row.warnings.append("No usable urgent notification rule: cannot be paged.")


def _describe_teams(row: PersonRow, removals: list[str], changes: list[str]) -> None:
    if row.teams is None:
        return
    person = row.person
    current = {team.slug: team for team in person.teams.all()} if person else {}
    wanted = {team.slug for team in row.teams}
    for slug in sorted(set(current) - wanted):
        managed = person is not None and current[slug].manager_id == person.pk
        note = " (still its manager, outside the team)" if managed else ""
        removals.append(f"leaves {slug}{note}")
    if wanted - set(current):
        changes.append("joins " + ", ".join(sorted(wanted - set(current))))


def _describe_methods(row: PersonRow, removals: list[str], changes: list[str]) -> None:
    kind_labels = dict(ContactMethod.Kind.choices)
    for kind, addresses in row.addresses.items():
        existing = row.existing_methods.get(kind, [])
        have = {address_key(kind, method.address) for method in existing}
        wanted = {address_key(kind, address) for address in addresses}
        for address in addresses:
            if address_key(kind, address) not in have:
                changes.append(f"adds {kind_labels[kind]} {address}")
        for method in existing:
            if address_key(kind, method.address) not in wanted:
                rules = method.rule_count
                also = f" and the {rules} notification rule(s) using it" if rules else ""
                removals.append(f"removes {kind_labels[kind]} {method.address}{also}")
