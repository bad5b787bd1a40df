"""Builders for the playbooks tests: playbooks, and people reachable on chosen channels."""

from incidents.models import ContactMethod, NotificationRule
from playbooks.services import playbook_create


def make_playbook(*, owner_team, by=None, services=(), title="Payments webhooks failing",
                  body="## Recognise it\nMake answers 400.", checklist="Check the secret\n"
                  "Replay the events", at=None, **fields):
    return playbook_create(
        title=title, body=body, checklist=checklist, owner_team=owner_team,
        services=services, by=by, at=at, **fields,
    )


def reach_by(person, kind: str, address: str, urgency: str = "urgent", delay: int = 0,
             label: str = "") -> ContactMethod:
    """Give ``person`` a contact method of ``kind`` and a rule using it for ``urgency``."""
    method = ContactMethod.objects.create(person=person, kind=kind, address=address, label=label)
    NotificationRule.objects.create(
        person=person, urgency=urgency, contact_method=method, delay_minutes=delay
    )
    return method
