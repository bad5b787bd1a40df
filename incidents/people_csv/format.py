"""The people CSV format: its columns, and how cells survive a spreadsheet."""

import re
from dataclasses import dataclass

from ..models import ContactMethod

MAX_BYTES = 2 * 1024 * 1024
MAX_PEOPLE = 5000
SEPARATOR = ";"
# An empty cell keeps what is stored; this marker (any case) clears it. A spreadsheet leaves
# a cell empty by accident far more often than on purpose, so clearing must be written out.
NONE_MARKER = "(none)"


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    kind: str | None = None  # the contact method kind of an address column


COLUMNS = (
    Column("name", "Full name. Required on every line."),
    Column(
        "email",
        "The person's own email, used to find them again (any case). Must be in the header; "
        "a row without one matches the one person of that name who has no email either.",
    ),
    Column("job_title", "Job title."),
    Column(
        "time_zone",
        "Time zone name such as Europe/London or America/New_York (new people: UTC if empty; "
        "(none) sets UTC).",
    ),
    Column(
        "teams",
        "Team slugs separated by “;”, e.g. ops;payments: exactly these teams, which must exist.",
    ),
    Column("username", "The login to link to this person. The login must exist."),
    Column(
        "email_address",
        "Email addresses to page, separated by “;”.",
        ContactMethod.Kind.EMAIL,
    ),
    Column(
        "sms_number",
        "Phone numbers for SMS in E.164 form (+ country code and number, no spaces).",
        ContactMethod.Kind.SMS,
    ),
    Column("slack_webhook", "Slack incoming webhook URLs (https).", ContactMethod.Kind.SLACK),
    Column("teams_workflow", "Microsoft Teams workflow URLs (https).", ContactMethod.Kind.TEAMS),
    Column("webhook_url", "Generic webhook URLs (https).", ContactMethod.Kind.WEBHOOK),
)
HEADER = [column.name for column in COLUMNS]
REQUIRED_COLUMNS = ("name", "email")
ADDRESS_COLUMNS = {column.name: column.kind for column in COLUMNS if column.kind}

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PHONE_NUMBERS = re.compile(r"^\+\d+(;\+\d+)*$")


def spreadsheet_safe(cell: str) -> str:
    # A spreadsheet runs such a cell as a formula (CSV injection); an apostrophe makes it text.
    # Phone numbers are digits only and harmless, and people read them in the sheet.
    if cell.startswith((*FORMULA_STARTS, "'")) and not PHONE_NUMBERS.match(cell):
        return "'" + cell
    return cell


def from_spreadsheet(cell: str) -> str:
    """A cell as read from the file: trimmed, with the export's formula guard taken off."""
    cell = cell.strip()
    if cell.startswith("'") and cell[1:2] and cell[1] in "=+-@\t\r'":
        return cell[1:].strip()
    return cell


def is_none_marker(cell: str) -> bool:
    return cell.strip().lower() == NONE_MARKER


def address_key(kind: str, address: str) -> str:
    """How two addresses of ``kind`` are compared: an email's domain in any case (domains
    are case-insensitive), its local part as written (it may not be), anything else as is."""
    if kind == ContactMethod.Kind.EMAIL and "@" in address:
        local, _, domain = address.rpartition("@")
        return f"{local}@{domain.lower()}"
    return address


def split_cell(cell: str) -> list[str]:
    """The distinct non-empty parts of a ``;``-separated cell, in order."""
    return list(dict.fromkeys(part.strip() for part in cell.split(SEPARATOR) if part.strip()))
