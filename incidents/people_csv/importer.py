"""Applying a checked people CSV: everything in one transaction, or nothing."""

from django.db import transaction

from ..models import ContactMethod, Person
from .check import PeopleImport, people_csv_check
from .format import address_key

CHANGE_REASON = "People CSV import"


def people_csv_import(*, raw: bytes) -> PeopleImport:
    """Check ``raw`` again and, only if every line is good, apply it all in one transaction."""
    with transaction.atomic():
        result = people_csv_check(raw)
        if result.ok:
            _apply(result)
    return result


def _apply(result: PeopleImport) -> None:
    # Unlink moving logins first: the one-to-one link must never hold one login twice.
    for row in result.rows:
        person = row.person
        moving = row.user is None or person is None or person.user_id != row.user.pk
        if person is not None and row.set_user and person.user_id and moving:
            person.user = None
            person._change_reason = CHANGE_REASON
            person.save(update_fields=["user"])

    for row in result.rows:
        if row.action == "unchanged":
            continue
        person = row.person or Person()
        person.name = row.name
        person.email = row.email
        for name, value in row.fields.items():
            setattr(person, name, value)
        if row.set_user:
            person.user = row.user
        person._change_reason = CHANGE_REASON
        person.save()
        if row.teams is not None:
            person.teams.set(row.teams)
        for kind, addresses in row.addresses.items():
            existing = row.existing_methods.get(kind, [])
            wanted = {address_key(kind, address) for address in addresses}
            for method in existing:
                if address_key(kind, method.address) not in wanted:
                    method._change_reason = CHANGE_REASON
                    method.delete()
            have = {address_key(kind, method.address) for method in existing}
            for address in addresses:
                if address_key(kind, address) not in have:
                    method = ContactMethod(person=person, kind=kind, address=address)
                    method._change_reason = CHANGE_REASON
                    method.save()
