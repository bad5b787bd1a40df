"""People and their contact methods as CSV: export, check with a preview, and import.

The format
----------
UTF-8 text (a byte order mark is fine), comma-separated, quoted the way spreadsheets quote.
Line 1 is the header; every other line is one person::

    name,email,job_title,time_zone,teams,username,email_address,sms_number,slack_webhook,...
    Ada Lovelace,ada@example.org,Ops lead,Europe/London,ops;payments,ada,ada@example.org,...

``COLUMNS`` (in ``format``) says what each column holds; the import page shows the same table.

- **Matching.** A row updates the person with the same ``email`` (in any case) or creates a new
  person. A row without an email matches the one person of the same name who has no email
  either, so that people without one survive an export and import too. A stored address keeps
  its case: a file that differs from it only in case changes nothing.
- **An empty cell keeps, ``(none)`` clears.** Only ``name`` and ``email`` must be in the
  header; the other columns may come in any order or be left out. A cell with a value sets
  that detail (``teams`` and the address columns: exactly the ones listed); an empty cell, like
  a column left out, leaves what is stored as it is. To clear a detail write ``(none)`` in its
  cell (any case): no job title, UTC, no teams, no login, no methods of that kind. A spreadsheet
  empties a cell by accident far more often than on purpose, so a removal must be written out.
- **Contact methods.** Each address column lists the person's methods of that kind, several
  separated by ``;``. After the import the person has exactly those: an address already there
  is kept as it is (label, failure state and the notification rules using it), a new one is
  added, and one no longer listed is removed together with the rules that used it. Email
  addresses are compared with the domain in any case and the local part as written.
- **The preview** lists every change to each existing person, removals first (teams left,
  methods removed with their rules, details cleared, a login unlinked).
- **Notification rules are not in the file**: they are set on the profile page or in the admin.
  The preview warns about anyone the import would leave without a usable urgent rule.
- **Spreadsheet formulas.** A cell starting with ``=``, ``+``, ``-`` or ``@`` would run as a
  formula when the export is opened in a spreadsheet, so the export writes such cells with a
  leading apostrophe (phone numbers excepted), and the import takes one leading apostrophe off.
- **All or nothing.** A file with any bad line imports nothing. Each bad line is reported with
  its line number as an editor counts it (the header is line 1) and every reason found on it.
  The import re-checks the file inside its transaction, so a preview that went stale (a team
  renamed in between) is refused rather than half applied.
"""

from .check import LineError, PeopleImport, PersonRow, people_csv_check
from .export import people_csv_export
from .format import COLUMNS, MAX_BYTES
from .importer import people_csv_import

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "LineError",
    "PeopleImport",
    "PersonRow",
    "people_csv_check",
    "people_csv_export",
    "people_csv_import",
]
