"""Messages from templates, per reason and per channel.

Templates live in ``templates/incidents/notifications/`` and are named ``<name>-<part>``:

- ``subject.txt``: the email subject, and the title in chat and webhooks;
- ``body.txt``: plain text, the body recorded on the row and what webhooks receive;
- ``body.html``: the email (Apprise adds the plain-text alternative, made from it);
- ``sms.txt``: one short text, then the ack link alone on the last line (160 in all);
- ``chat.txt``: Slack and Teams, a few compact lines.

``<name>`` is the reason (``escalation``, ``manual_page``, ``breach``, ``drill``,
``update``, ``reminder``, ``seat``, ``test``), falling back to its family (``page`` for the first
four), so one reason's wording on one channel changes by adding one file. Several pages
sent as one message (a storm) use ``bundle-<part>``.

Urgent and routine messages differ everywhere a person looks: the subject prefix
(``[URGENT]`` / ``[Update]``, and ``[DRILL]`` first for drills), the sender (see the email
channel), the colours of the email and chat card, and the ack link (urgent only).

The ack link is rendered at queue time (an SMS is fitted around its real length) and then
stored as ``ack.PLACEHOLDER``; ``outgoing`` makes the recipient's link when it sends. Chat
messages (Slack, Teams: places others read) carry no link, only the incident's page.
"""

import hashlib
import re
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.template.loader import select_template
from django.urls import NoReverseMatch, reverse

from ..models import ContactMethod, Notification, Urgency
from .ack import LINK as ACK_LINK
from .ack import PLACEHOLDER as ACK_PLACEHOLDER
from .ack import ack_url
from .channels import Outgoing, is_chat
from .outbox import Message

SMS_LIMIT = 160
Reason = Notification.Reason
Kind = ContactMethod.Kind
FAMILY = {
    Reason.ESCALATION: "page",
    Reason.MANUAL_PAGE: "page",
    Reason.BREACH: "page",
    Reason.DRILL: "page",
    Reason.UPDATE: "update",
    Reason.REMINDER: "reminder",
    Reason.SEAT: "reminder",
    Reason.TEST: "test",
}
PART_FOR_KIND = {
    Kind.EMAIL: "body.txt",
    Kind.SMS: "sms.txt",
    Kind.SLACK: "chat.txt",
    Kind.TEAMS: "chat.txt",
    Kind.WEBHOOK: "body.txt",
}
# SMS is sent in the GSM alphabet when it can be: one character outside it halves the
# length of a message. These stand-ins keep the usual punctuation inside it.
GSM_STAND_INS = str.maketrans(
    {"…": "...", "·": "-", "—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "→": ">"}
)


def prefix(urgency: str, is_drill: bool = False) -> str:
    drill = "[DRILL] " if is_drill else ""
    return drill + ("[URGENT] " if urgency == Urgency.URGENT else "[Update] ")


# --- building messages at queue time ---------------------------------------------------------


def incident_context(
    incident, person, *, urgency: str, reason: str, cause: str, timer=None, ack: str | None = None
) -> dict:
    """The facts every template of an incident message may use."""
    urgent = urgency == Urgency.URGENT
    if ack is None:
        ack = ack_url(incident_id=incident.pk, person_id=person.pk, cause=cause) if urgent else ""
    reference = getattr(timer, "reference", None) or {}
    target = reference.get("target", "")
    return {
        "reason": reason,
        "reason_label": Reason(reason).label,
        "urgency": urgency,
        "urgent": urgent,
        "prefix": prefix(urgency, incident.is_drill),
        "drill": incident.is_drill,
        "person": person.name,
        "incident": {
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.get_severity_display(),
            "severity_code": incident.severity,
            "status": incident.get_status_display(),
            "summary": incident.summary,
            "url": absolute(incident.get_absolute_url()),
        },
        # .all(): a page of many people, or a delivery of many rows, loads them once.
        "services": [service.name for service in incident.services.all()],
        "ack_url": ack,
        "target": _target_label(target),
        "step": _step_label(reference),
        "portal_url": settings.PORTAL_BASE_URL,
    }


@contextmanager
def services_read_once(incident):
    """Inside, the messages about ``incident`` (a page of many people) share one read of
    its services; afterwards they are read afresh, as the caller may change them."""
    prefetch_related_objects([incident], "services")
    try:
        yield
    finally:
        getattr(incident, "_prefetched_objects_cache", {}).pop("services", None)


def page_message(
    *, incident, person, urgency: str, cause: str, reason: str = Reason.ESCALATION, timer=None
) -> Message:
    """A page (escalation, manual, breach, drill) about ``incident`` for ``person``."""
    context = incident_context(
        incident, person, urgency=urgency, reason=reason, cause=cause, timer=timer
    )
    return message_for(reason, context)


def message_for(reason: str, context: dict) -> Message:
    """Subject and plain body for ``reason``; keeps the context for ``shape``."""
    return Message(
        subject=render_part(reason, "subject.txt", context),
        body=_stored(render_part(reason, "body.txt", context), context),
        template=reason,
        context=context,
    )


def _stored(text: str, context: dict) -> str:
    """``text`` as it is stored: the placeholder where the ack link was rendered."""
    link = context.get("ack_url")
    return text.replace(link, ACK_PLACEHOLDER) if link else text


def test_message(person, method) -> Message:
    """The "send me a test notification" message for one contact method."""
    return message_for(Reason.TEST, test_context(person, method))


def test_context(person, method, urgency: str = Urgency.ROUTINE) -> dict:
    return {
        "reason": Reason.TEST,
        "reason_label": Reason.TEST.label,
        "urgency": urgency,
        "urgent": urgency == Urgency.URGENT,
        "prefix": "[Test] ",
        "person": person.name,
        "method": str(method),
        "method_kind": method.get_kind_display(),
        "portal_url": settings.PORTAL_BASE_URL,
    }


def shape(message: Message, method: ContactMethod) -> Message:
    """The message as ``method``'s channel carries it: short for SMS, compact for chat."""
    if message.context is None:
        if method.kind == Kind.SMS:
            return Message(subject=message.subject, body=sms_text(message))
        return message
    part = PART_FOR_KIND.get(method.kind, "body.txt")
    if part == "body.txt":
        return message
    context = message.context
    if is_chat(method.kind):
        context = {**context, "ack_url": ""}  # others read a chat channel
    return Message(
        subject=message.subject,
        body=_stored(render_part(message.template, part, context), context),
        template=message.template,
        context=message.context,
    )


def render_part(name: str, part: str, context: dict) -> str:
    template = select_template(template_names(name, part))
    text = template.render(context)
    if part == "subject.txt":
        return " ".join(text.split())
    if part == "sms.txt":
        return fit_sms(text)
    if part.endswith(".txt"):
        return _tidy(text)
    return text


def template_names(name: str, part: str) -> list[str]:
    names = [f"incidents/notifications/{name}-{part}"]
    family = FAMILY.get(name)
    if family and family != name:
        names.append(f"incidents/notifications/{family}-{part}")
    return names


def fit_sms(text: str) -> str:
    """One line of text, then the link if the last line is one, in 160 characters at most.

    The link is never cut: the text gives way, ending in "..." when shortened.
    """
    lines = [" ".join(line.split()) for line in text.translate(GSM_STAND_INS).splitlines()]
    lines = [line for line in lines if line]
    link = lines.pop() if lines and lines[-1].startswith("http") else ""
    words = " ".join(lines)
    room = SMS_LIMIT - len(link) - (1 if link and words else 0)
    if len(words) > room:
        words = words[: max(room - 3, 0)].rstrip() + "..." if room >= 3 else ""
    return f"{words} {link}".strip() if link else words[:SMS_LIMIT]


def sms_text(message: Message) -> str:
    """A message not made from templates: its subject, and its last line if a link."""
    lines = message.body.strip().splitlines()
    link = lines[-1] if lines and lines[-1].startswith("http") else ""
    return fit_sms(f"{message.subject}\n{link}")


def absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL + path


def ack_link_in(text: str) -> str:
    """The ack link a rendered body carries, or ""."""
    match = ACK_LINK.search(text or "")
    return match.group(0) if match else ""


# --- what leaves at send time ---------------------------------------------------------------


def prepare(rows: list[Notification]) -> None:
    """Load in one query what sending ``rows`` will read: the services an email names."""
    # Every row has its own copy of its incident: each needs the services on it.
    incidents = [row.incident for row in rows if row.channel == Kind.EMAIL and row.incident]
    prefetch_related_objects(incidents, "services")


def outgoing(rows: list[Notification]) -> Outgoing:
    """The one message that carries ``rows`` (one row, or a bundle of pages to one method)."""
    first = rows[0]
    method = first.contact_method
    if len(rows) == 1:
        subject, text = first.subject, delivered_text(first, ack_link_for(first))
        html = _email_html(first) if method.kind == Kind.EMAIL else ""
    else:
        subject, text, html = _bundle(rows, method.kind)
    return Outgoing(
        kind=method.kind,
        address=method.address,
        urgency=first.urgency,
        subject=subject,
        text=text,
        html=html,
        fields=_fields(rows),
        identity=identity(rows),
        notification_ids=tuple(row.pk for row in rows),
    )


def identity(rows: list[Notification]) -> str:
    """The name of the message that carries ``rows``, the same on every try of it:
    ``notification-<id>.<digest>@<portal host>``, or ``bundle-<first id>-<rows>.…`` for a
    bundle. The digest covers each row's idempotency key and queue time, so a database
    made afresh (the demo's, reseeded) never names a new page as an old one, which a
    receiver that drops repeats would then lose."""
    first = rows[0]
    name = f"notification-{first.pk}" if len(rows) == 1 else f"bundle-{first.pk}-{len(rows)}"
    facts = "\n".join(f"{row.idempotency_key} {row.queued_at.timestamp():.6f}" for row in rows)
    digest = hashlib.sha256(facts.encode()).hexdigest()[:12]
    return f"{name}.{digest}@{_portal_host()}"


def _portal_host() -> str:
    host = urlsplit(settings.PORTAL_BASE_URL).hostname or "localhost"
    return f"[{host}]" if ":" in host else host  # an IPv6 address, as RFC 5322 writes it


def ack_link_for(row: Notification) -> str:
    """The ack link ``row``'s message carries to its recipient, made now (the token is an
    HMAC: a retry gets a working link too); "" for a chat channel, or a message without one."""
    if row.incident_id is None or row.urgency != Urgency.URGENT or is_chat(row.channel):
        return ""
    if ACK_PLACEHOLDER not in row.body and not ACK_LINK.search(row.body):
        return ""
    return ack_url(incident_id=row.incident_id, person_id=row.recipient_id, cause=row.cause)


def delivered_text(row: Notification, link: str) -> str:
    """The stored text of ``row`` as it leaves: ``link`` where the placeholder (or, in a
    row stored before links were made at send time, a link) stands; none in a chat."""
    text = row.body
    if not link:
        fallback = absolute(row.incident.get_absolute_url()) if row.incident else ""
        return ACK_LINK.sub(lambda _: fallback, text.replace(ACK_PLACEHOLDER, fallback))
    if row.channel == Kind.SMS and text.endswith(ACK_PLACEHOLDER):
        # The text was fitted around a link of this length; fitted again all the same.
        return fit_sms(f"{text.removesuffix(ACK_PLACEHOLDER)}\n{link}")
    return ACK_LINK.sub(lambda _: link, text.replace(ACK_PLACEHOLDER, link))


def row_context(row: Notification) -> dict:
    """The template context of a stored row, with its recipient's ack link made now."""
    if row.reason == Reason.TEST or row.incident is None:
        return test_context(row.recipient, row.contact_method, row.urgency)
    return incident_context(
        row.incident, row.recipient, urgency=row.urgency, reason=row.reason, cause=row.cause,
        timer=row.timer, ack=ack_link_for(row),
    )


def _email_html(row: Notification) -> str:
    if row.incident is None and row.reason != Reason.TEST:
        # Messages about no incident (review reminders, playbook reviews) carry their own
        # text, written by whoever queued them: send that, not an incident template.
        return ""
    context = row_context(row)
    if row.reason in (Reason.UPDATE, Reason.REMINDER, Reason.SEAT):
        # The update, reminder or seat notice itself, as queued, with the link made for
        # the recipient.
        context["text"] = delivered_text(row, context["ack_url"])
    return render_part(row.reason, "body.html", context)


def _bundle(rows: list[Notification], kind: str) -> tuple[str, str, str]:
    first = rows[0]
    items = [row_context(row) for row in rows]
    drill = all(item.get("drill") for item in items)
    context = {
        "items": items,
        "count": len(items),
        "urgency": first.urgency,
        "urgent": first.urgency == Urgency.URGENT,
        "prefix": prefix(first.urgency, drill),
        "drill": drill,
        "person": first.recipient.name,
        "references": ", ".join(dict.fromkeys(i["incident"]["reference"] for i in items)),
        "board_url": absolute(_board_path()),
        "portal_url": settings.PORTAL_BASE_URL,
    }
    subject = render_part("bundle", "subject.txt", context)
    part = PART_FOR_KIND.get(kind, "body.txt")
    text = render_part("bundle", part, context)
    html = render_part("bundle", "body.html", context) if kind == Kind.EMAIL else ""
    return subject, text, html


def _fields(rows: list[Notification]) -> dict:
    first = rows[0]
    fields = {
        "urgency": first.urgency,
        "reason": first.reason,
        "notification": ",".join(str(row.pk) for row in rows),
    }
    incidents = [row.incident for row in rows if row.incident is not None]
    if incidents:
        fields["incident"] = ",".join(dict.fromkeys(i.reference for i in incidents))
        fields["severity"] = ",".join(dict.fromkeys(i.get_severity_display() for i in incidents))
        fields["drill"] = "yes" if all(i.is_drill for i in incidents) else "no"
    links = [ack_link_for(row) for row in rows]
    if any(links):
        fields["ack_url"] = " ".join(link for link in links if link)
    if len(rows) > 1:
        fields["bundled"] = str(len(rows))
    return fields


def _board_path() -> str:
    try:
        return reverse("incidents:board")
    except NoReverseMatch:  # the board is another part's page
        return "/"


def _target_label(target: str) -> str:
    from ..models import BreachRule

    return dict(BreachRule.Target.choices).get(target, "").lower()


def _step_label(reference: dict) -> str:
    if "step" not in reference:
        return ""
    return f"step {reference['step'] + 1}, round {reference.get('round', 0) + 1}"


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
