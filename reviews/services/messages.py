"""The routine messages this app sends through the incidents outbox.

Templates are pairs in ``templates/reviews/messages/``: ``<name>-subject.txt`` and
``<name>-body.txt``. Every message is routine and carries a link to the page it is about.
"""

from django.template.loader import render_to_string

from incidents.models import Notification, Urgency
from incidents.notifications import outbox
from incidents.notifications import render as notification_render


def reason() -> str:
    """Reminders, invitations and announcements all travel as routine reminders."""
    return Notification.Reason.REMINDER


def message_from(name: str, context: dict, *, url: str) -> outbox.Message:
    context = {
        **context,
        "url": notification_render.absolute(url),
        "prefix": notification_render.prefix(Urgency.ROUTINE, context.get("drill", False)),
    }
    subject = render_to_string(f"reviews/messages/{name}-subject.txt", context)
    body = render_to_string(f"reviews/messages/{name}-body.txt", context)
    return outbox.Message(subject=" ".join(subject.split())[:300], body=body.strip())


def tell(*, person, name: str, context: dict, url: str, cause: str, now, timer=None) -> bool:
    """Queue the routine message ``name`` for ``person``. False when they have no working
    routine contact method (or were already told for this ``cause``)."""
    message = message_from(name, {**context, "person": person}, url=url)
    rows = outbox.notify_person(
        person=person, urgency=Urgency.ROUTINE, reason=reason(), cause=cause, message=message,
        now=now, timer=timer, render=notification_render.shape,
    )
    return bool(rows)
