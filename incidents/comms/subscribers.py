"""Email followers of the public status page: double opt-in, and public updates by email.

1. Someone leaves an address on the status page: a row is kept unconfirmed and a mail with
   a signed link goes out (at most once per ``RESEND_AFTER``, so the form cannot be used to
   flood an inbox). The page says the same thing whether or not the address was known.
2. The link (valid ``CONFIRM_MAX_AGE``) shows a button; confirming is a POST, so a mail
   scanner that fetches links confirms nothing.
3. Each public update goes to confirmed followers once the publication commits, with a
   signed unsubscribe link.
"""

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ..models import Audience, Channel, StatusSubscriber, StatusUpdate

log = logging.getLogger(__name__)
CONFIRM_SALT = "incidents.status.confirm"
UNSUBSCRIBE_SALT = "incidents.status.unsubscribe"
CONFIRM_MAX_AGE = 3 * 24 * 3600
RESEND_AFTER_SECONDS = 600


class LinkInvalid(ValueError):
    """A confirmation or unsubscribe link that is forged, expired or no longer known."""


class MailFailed(RuntimeError):
    """The confirmation mail could not be handed to the mail server."""


def confirm_link(subscriber: StatusSubscriber) -> str:
    token = signing.dumps(subscriber.token, salt=CONFIRM_SALT)
    return settings.PORTAL_BASE_URL + reverse("incidents:status_confirm", args=[token])


def unsubscribe_link(subscriber: StatusSubscriber) -> str:
    token = signing.dumps(subscriber.token, salt=UNSUBSCRIBE_SALT)
    return settings.PORTAL_BASE_URL + reverse("incidents:status_unsubscribe", args=[token])


def subscriber_request(*, email: str, now=None) -> bool:
    """Ask ``email`` to confirm its subscription. True when a confirmation mail was sent."""
    now = now or timezone.now()
    email = email.strip().lower()
    with transaction.atomic():
        subscriber, _ = StatusSubscriber.objects.select_for_update().get_or_create(email=email)
        recent = subscriber.confirmation_sent_at and (
            (now - subscriber.confirmation_sent_at).total_seconds() < RESEND_AFTER_SECONDS
        )
        if subscriber.confirmed or recent:
            return False
        subscriber.confirmation_sent_at = now
        subscriber.save(update_fields=["confirmation_sent_at"])
    context = {"confirm_url": confirm_link(subscriber), "status_url": _status_url()}
    mail = EmailMessage(
        subject=_one_line(render_to_string("incidents/status_email_confirm_subject.txt", context)),
        body=render_to_string("incidents/status_email_confirm_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
    )
    try:
        mail.send()
    except Exception as error:  # SMTP refusals and network errors alike
        log.warning("status subscription: confirmation mail failed: %s", error)
        StatusSubscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at=None)
        raise MailFailed("The confirmation mail could not be sent.") from error
    return True


def subscriber_for(token: str, *, purpose: str) -> StatusSubscriber:
    """The subscriber a signed link names; raises ``LinkInvalid``."""
    salt, max_age = (
        (CONFIRM_SALT, CONFIRM_MAX_AGE) if purpose == "confirm" else (UNSUBSCRIBE_SALT, None)
    )
    try:
        raw = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkInvalid("This link has expired: subscribe again from the status page.") from None
    except signing.BadSignature:
        raise LinkInvalid("This link is not valid.") from None
    subscriber = StatusSubscriber.objects.filter(token=raw).first()
    if subscriber is None:
        raise LinkInvalid("This subscription no longer exists.")
    return subscriber


def subscriber_confirm(*, token: str, now=None) -> StatusSubscriber:
    subscriber = subscriber_for(token, purpose="confirm")
    if not subscriber.confirmed:
        subscriber.confirmed, subscriber.confirmed_at = True, now or timezone.now()
        subscriber.save(update_fields=["confirmed", "confirmed_at"])
    return subscriber


def subscriber_remove(*, token: str) -> None:
    subscriber_for(token, purpose="unsubscribe").delete()


def update_mail_subscribers(update: StatusUpdate) -> None:
    """Once the publication commits, mail the customer wording to confirmed followers."""
    if not update.is_public:
        return
    wording = update.wording(Audience.CUSTOMER, Channel.CUSTOMER_EMAIL)
    if not wording:
        return

    def send():
        followers = list(StatusSubscriber.objects.filter(confirmed=True))
        if not followers:
            return
        messages = [
            EmailMessage(
                subject=wording["subject"],
                body=render_to_string(
                    "incidents/status_email_update_body.txt",
                    {"body": wording["body"], "unsubscribe_url": unsubscribe_link(follower)},
                ),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[follower.email],
            )
            for follower in followers
        ]
        try:
            get_connection().send_messages(messages)
        except Exception:  # the update is published either way; the mail log says what failed
            log.exception("status update %s: mailing followers failed", update.pk)

    transaction.on_commit(send)


def _status_url() -> str:
    return settings.PORTAL_BASE_URL + reverse("incidents:status_page")


def _one_line(text: str) -> str:
    return " ".join(text.split())
