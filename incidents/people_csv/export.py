"""Writing people and their contact methods as CSV."""

import csv
import io

from django.db.models import Prefetch, QuerySet

from ..models import ContactMethod
from .format import ADDRESS_COLUMNS, HEADER, SEPARATOR, spreadsheet_safe


def people_csv_export(people: QuerySet) -> str:
    """The CSV text for ``people``, in the format the import reads back unchanged."""
    people = (
        people.select_related("user")
        .prefetch_related(
            "teams", Prefetch("contact_methods", queryset=ContactMethod.objects.order_by("id"))
        )
        .order_by("name", "pk")
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for person in people:
        methods = list(person.contact_methods.all())
        cells = [
            person.name,
            person.email,
            person.job_title,
            person.time_zone,
            SEPARATOR.join(sorted(team.slug for team in person.teams.all())),
            person.user.get_username() if person.user_id else "",
            *(
                SEPARATOR.join(method.address for method in methods if method.kind == kind)
                for kind in ADDRESS_COLUMNS.values()
            ),
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue()
