"""Email followers of the public status page: double opt-in, and public updates by email.

1. Someone leaves an address on the status page: a row is kept unconfirmed and the worker
   mails a signed link. So that the form cannot flood an inbox, a link goes at most once per
   ``RESEND_AFTER`` to one address and a few times an hour to one inbox (``+tags`` and case
   folded together), a client address may ask a few times an hour, and the portal sends a
   bounded number an hour in all. The page says the same thing whether the address was new,
   known or over its limit; only a client over its own limit is told so.
2. The link (valid ``CONFIRM_MAX_AGE``) shows a button; confirming is a POST, so a mail
   scanner that fetches links confirms nothing.
3. Each public update goes to confirmed followers once the publication commits, with a
   signed unsubscribe link.
4. Rows never confirmed are deleted once their link has expired (a periodic task).
"""

import logging
from datetime import timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal import throttle

from ..models import Audience, Channel, StatusSubscriber, StatusUpdate

log = logging.getLogger(__name__)
CONFIRM_SALT = "incidents.status.confirm"
UNSUBSCRIBE_SALT = "incidents.status.unsubscribe"
CONFIRM_MAX_AGE = 3 * 24 * 3600
RESEND_AFTER_SECONDS = 600
# The worker's task, looked up by name: the tasks module sits above this one.
CONFIRMATION_TASK = "incidents.tasks.status_confirmation_send"


class LinkInvalid(ValueError):
    """A confirmation or unsubscribe link that is forged, expired or no longer known."""


class TooManyRequests(RuntimeError):
    """This client address, or everyone together, asked for too many confirmations."""


def confirm_link(subscriber: StatusSubscriber) -> str:
    token = signing.dumps(subscriber.token, salt=CONFIRM_SALT)
    return settings.PORTAL_BASE_URL + reverse("incidents:status_confirm", args=[token])


def unsubscribe_link(subscriber: StatusSubscriber) -> str:
    token = signing.dumps(subscriber.token, salt=UNSUBSCRIBE_SALT)
    return settings.PORTAL_BASE_URL + reverse("incidents:status_unsubscribe", args=[token])


def subscriber_request(*, email: str, client: str, now=None) -> bool:
    """Ask ``email`` to confirm its subscription; ``client`` is the asker's address. True
    when a confirmation mail will go out (from the worker, once this commits). Raises
    ``TooManyRequests`` when the client, or the portal as a whole, is over its limit."""
    now = now or timezone.now()
    email = email.strip().lower()
    limit = settings.STATUS_SUBSCRIBE_PER_CLIENT_PER_HOUR
    if not throttle.take("subscribe-client", client, limit=limit, now=now):
        raise TooManyRequests(
            "Too many subscription requests from your address in the last hour. "
            "Try again later."
        )
    if throttle.hits("subscribe-all", "", now=now) >= settings.STATUS_SUBSCRIBE_PER_HOUR:
        log.warning("status subscription: the hourly limit of confirmation mails is reached")
        raise TooManyRequests("Too many subscription requests just now. Try again later.")
    with transaction.atomic():
        subscriber = StatusSubscriber.objects.select_for_update().filter(email=email).first()
        if subscriber is not None and (subscriber.confirmed or _sent_lately(subscriber, now)):
            return False
        limit = settings.STATUS_SUBSCRIBE_PER_ADDRESS_PER_HOUR
        if not throttle.take("subscribe-address", throttle.mailbox(email), limit=limit, now=now):
            return False
        throttle.record("subscribe-all", "", now=now)
        if subscriber is None:
            subscriber = StatusSubscriber.objects.create(email=email, created_at=now)
        subscriber.confirmation_sent_at = now
        subscriber.save(update_fields=["confirmation_sent_at"])
        transaction.on_commit(partial(_enqueue_confirmation, subscriber.pk))
    return True


def _sent_lately(subscriber: StatusSubscriber, now) -> bool:
    sent = subscriber.confirmation_sent_at
    return sent is not None and (now - sent).total_seconds() < RESEND_AFTER_SECONDS


def _enqueue_confirmation(subscriber_id: int) -> None:
    try:
        current_app.send_task(CONFIRMATION_TASK, args=[subscriber_id], retry=False)
    except Exception:  # a broker that is down: the visitor may ask again at once
        log.warning("status subscription: could not enqueue the confirmation", exc_info=True)
        StatusSubscriber.objects.filter(pk=subscriber_id).update(confirmation_sent_at=None)


def confirmation_send(*, subscriber_id: int) -> bool:
    """Mail the confirmation link (in the worker). True when the mail server took it; a
    failure is logged and lets the visitor ask again at once."""
    subscriber = StatusSubscriber.objects.filter(pk=subscriber_id, confirmed=False).first()
    if subscriber is None:
        return False  # confirmed or unsubscribed meanwhile
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
        log.warning("status subscription %s: confirmation mail failed: %s", subscriber.pk, error)
        StatusSubscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at=None)
        return False
    return True


def unconfirmed_purge(*, now=None) -> int:
    """Delete the subscriptions never confirmed whose last link has expired."""
    cutoff = (now or timezone.now()) - timedelta(seconds=CONFIRM_MAX_AGE)
    stale = StatusSubscriber.objects.filter(confirmed=False, created_at__lt=cutoff).filter(
        models.Q(confirmation_sent_at__isnull=True) | models.Q(confirmation_sent_at__lt=cutoff)
    )
    count, _ = stale.delete()
    return count


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
