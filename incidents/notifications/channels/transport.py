"""Sending one message through Apprise, and reading what it reports.

Apprise tells, per service, only SUCCESS, FAILURE or TIMEOUT. *Why* a send failed is in the
log lines it captures for that one call: its HTTP plugins end their failure warning with
``error=<status>.`` (the JSON, Slack, Workflows and SMS plugins share that wording), a
provider that answers with its own error code keeps the HTTP status in the JSON body it
logs as "Response Details", and the email plugin logs smtplib's exception, with the SMTP
reply code, at DEBUG ("Socket Exception: {'a@b.org': (550, b'No such user')}"). So every
send captures at DEBUG, and ``classify`` reads those lines; the pure function is tested on
its own. Anything it cannot place counts as temporary: a bounded number of retries is
cheaper than a page dropped for good on a guess.
"""

import logging
import re
import time
from collections.abc import Iterable
from contextlib import nullcontext

import apprise
from apprise.manager_plugins import NotificationManager
from django.conf import settings

from portal import egress as egress_policy

from . import DeliveryError, SendResult

log = logging.getLogger(__name__)

# The per-call capture only sees records the "apprise" logger lets through, so it must pass
# DEBUG (where the SMTP reply codes are). Those records stay out of the portal's own log
# handlers: what matters of them is kept on the Notification row instead.
_apprise_logger = logging.getLogger("apprise")
_apprise_logger.setLevel(logging.DEBUG)
_apprise_logger.propagate = False
# Apprise finds its plugins on first use (about 0.1 s); do it once here, before a Celery
# worker forks its pool, rather than in every child on its first delivery.
NotificationManager().load_modules()

CALL_TIMEOUT_SECONDS = 60
KEPT_DEBUG = ("Socket Exception", "Response Details")
MAX_LINE = 400

HTTP_STATUS = re.compile(r"error=(\d+)\.?\s*$")
EMBEDDED_STATUS = re.compile(r"""["']status["']\s*:\s*(\d{3})""")
SMTP_REPLY = re.compile(r"\((\d{3}), b?['\"]")
SMTP_RECIPIENT_REFUSED = re.compile(
    r"\{'[^']+@[^']+': \((\d{3}), |recipient \S+ was refused: (\d{3})"
)
# Worth another try: request timeout, too early, rate limited, and every 5xx.
TRANSIENT_HTTP = {408, 425, 429}

_asset = None


def asset() -> apprise.AppriseAsset:
    global _asset
    if _asset is None:
        _asset = apprise.AppriseAsset(
            app_id="Incident Portal",
            app_desc="Incident Portal",
            app_url=settings.PORTAL_BASE_URL,
            # Nothing Apprise keeps between calls may outlive the call: no disk cache.
            storage_mode="memory",
        )
    return _asset


def send(
    url: str,
    *,
    title: str,
    body: str,
    body_format: str = apprise.NotifyFormat.TEXT,
    notify_type: str = apprise.NotifyType.INFO,
    kind: str,
    setup_blames_address: bool,
    secrets: Iterable[str] = (),
    credential_statuses: frozenset[int] = frozenset(),
    egress: bool = False,
) -> SendResult:
    """Send through the Apprise ``url``; the kept log on success, ``DeliveryError`` if not.

    ``setup_blames_address``: whether a URL Apprise refuses to load is the contact
    address's fault (a malformed webhook) or the deployment's (a bad From setting).
    ``credential_statuses``: HTTP statuses that mean the deployment's provider credentials
    were refused (for SMS), not the address.
    ``egress``: the address is one a user typed (webhook, Slack, Teams). The send then runs
    under the egress policy (``portal.egress``: checked at connect time, no redirects), and
    what it records for the user is a short, safe reason; Apprise's own lines, which hold
    response bodies, socket errors and the URL with its tokens, go to the server log only.
    """
    secrets = [s for s in secrets if s]
    service = _service(url, kind=kind, secrets=secrets, setup_blames_address=setup_blames_address)
    if egress:
        service.redirects = False  # whatever the URL says (Apprise reads ?redirect=yes)
    notifier = apprise.Apprise(asset=asset())
    notifier.add(service)
    started = time.monotonic()
    guard = egress_policy.guarded() if egress else nullcontext()
    with guard as call, notifier.notify(
        body=body,
        title=title,
        body_format=body_format,
        notify_type=notify_type,
        timeout=CALL_TIMEOUT_SECONDS,
        log_level=logging.DEBUG,
    ) as result:
        lines = [f"{entry.level} {entry.message}" for entry in result.logs()]
        summary = [
            f"{service_result.name} {service_result.url}: {service_result.status.name} "
            f"in {service_result.elapsed:.2f} s"
            for service_result in result
        ]
        succeeded = bool(result)
        timed_out = result.status == apprise.AppriseResultStatus.TIMEOUT
    kept = _scrub("\n".join(summary + _kept(lines)), secrets)
    if egress:
        return _egress_outcome(
            kind, kept, lines, succeeded=succeeded, timed_out=timed_out, call=call,
            seconds=time.monotonic() - started,
        )
    if succeeded:
        return SendResult(log=kept)
    error = classify(lines, kind=kind, timed_out=timed_out, credential_statuses=credential_statuses)
    error.args = (_scrub(str(error), secrets),)
    error.log = kept
    raise error


def _service(url: str, *, kind: str, secrets: list[str], setup_blames_address: bool):
    try:
        service = apprise.Apprise.instantiate(url, asset=asset(), suppress_exceptions=False)
    except Exception as error:  # Apprise raises several kinds for a URL it cannot use
        service, reason = None, str(error)
    else:
        reason = "" if service is not None else "the address is not one Apprise can send to"
    if service is None:
        log.warning("%s: Apprise cannot load the URL: %s", kind, _scrub(reason, secrets))
        # The reason may quote the URL (tokens and all): the user sees this much only.
        raise DeliveryError(
            f"Cannot send via {kind}: the address is not one the channel can use.",
            permanent=True,
            flag_method=setup_blames_address,
        )
    return service


def _egress_outcome(kind, kept, lines, *, succeeded, timed_out, call, seconds) -> SendResult:
    """What a send to a user's address records: a safe line, or a safe ``DeliveryError``;
    the full detail to the server log."""
    if succeeded:
        log.debug("%s delivered:\n%s", kind, kept)
        return SendResult(log=f"{kind}: delivered in {seconds:.2f} s")
    log.warning("%s delivery failed:\n%s", kind, kept)
    error = safe_error(lines, kind=kind, timed_out=timed_out, refused=call.refused)
    error.log = f"{kind}: not delivered, after {seconds:.2f} s"
    raise error


def safe_error(lines, *, kind: str, timed_out: bool, refused=None) -> DeliveryError:
    """The failure of a send to a user's address, told in words that carry nothing the
    far end wrote (no body, no socket error): the policy's reason, a status, a timeout."""
    if refused is not None:
        return DeliveryError(refused.reason, permanent=refused.permanent)
    status = _http_status(lines)
    if status is not None and 300 <= status < 400:
        return DeliveryError(f"Redirect not followed (HTTP {status})", permanent=True)
    judged = classify(lines, kind=kind, timed_out=timed_out)
    if status is not None and 100 <= status <= 599:
        words = "Temporary failure" if not judged.permanent else "Refused"
        reason = f"{words} (HTTP {status})"
    elif status is not None:
        reason = f"Refused by the service (code {status})"
    elif timed_out:
        reason = "Timed out"
    elif any("connection error" in line.lower() for line in lines):
        reason = "Could not connect"
    else:
        reason = "Failed (the server log has the details)"
    return DeliveryError(reason, permanent=judged.permanent, flag_method=judged.flag_method)


def _http_status(lines: list[str]) -> int | None:
    for line in reversed(lines):
        if line.startswith(("WARNING", "ERROR")):
            match = HTTP_STATUS.search(line)
            if match:
                return int(match.group(1))
    return None


def classify(
    lines: list[str],
    *,
    kind: str,
    timed_out: bool = False,
    credential_statuses: frozenset[int] = frozenset(),
) -> DeliveryError:
    """The DeliveryError that the captured Apprise log ``lines`` of a failed send amount to.

    Lines read "LEVEL message". Transient: timeouts, connection errors, HTTP 408/425/429
    and 5xx, SMTP 4xx. Permanent: other HTTP 4xx, SMTP 5xx, a provider's own error code.
    """
    warnings = [line.split(" ", 1)[1] for line in lines if line.startswith(("WARNING", "ERROR"))]
    said = warnings[-1] if warnings else "no reason given"
    if kind == "email":
        return _classify_smtp(lines, said)
    for line in reversed(warnings):
        match = HTTP_STATUS.search(line)
        if match:
            return _classify_http(int(match.group(1)), lines, said, credential_statuses)
    if timed_out:
        return DeliveryError(f"Timed out: {said}", permanent=False)
    return DeliveryError(f"Temporary failure: {said}", permanent=False)


def _classify_http(code, lines, said, credential_statuses) -> DeliveryError:
    if not 100 <= code <= 599:
        # A provider's own error code (Twilio's 21211: invalid "To" number). The HTTP
        # status is often in the body it answered with, which Apprise logs at DEBUG.
        embedded = [m for line in lines for m in EMBEDDED_STATUS.findall(line)]
        if not embedded:
            return DeliveryError(f"Refused by the provider: {said}", permanent=True)
        code = int(embedded[-1])
    if code in TRANSIENT_HTTP or code >= 500:
        return DeliveryError(f"Temporary failure (HTTP {code}): {said}", permanent=False)
    if code in credential_statuses:
        return DeliveryError(
            f"The provider refused the portal's credentials (HTTP {code}): {said}",
            permanent=True,
            flag_method=False,
        )
    if 400 <= code < 500:
        return DeliveryError(f"Refused (HTTP {code}): {said}", permanent=True)
    return DeliveryError(f"Unexpected answer (HTTP {code}): {said}", permanent=False)


def _classify_smtp(lines, said) -> DeliveryError:
    text = "\n".join(lines)
    refused = SMTP_RECIPIENT_REFUSED.search(text)
    if refused:
        code = int(refused.group(1) or refused.group(2))
        if code >= 500:
            return DeliveryError(f"The mail server refused the address ({code}): {said}",
                                 permanent=True)
        return DeliveryError(f"The mail server deferred it ({code}): {said}", permanent=False)
    replies = SMTP_REPLY.findall(text)
    code = int(replies[-1]) if replies else None
    if code is not None and code >= 500:
        # Login refused, sender refused, message refused: the deployment's mail settings
        # or the message, not this person's address.
        return DeliveryError(
            f"The mail server refused the portal's message ({code}): {said}",
            permanent=True,
            flag_method=False,
        )
    if code is not None:
        return DeliveryError(f"The mail server deferred it ({code}): {said}", permanent=False)
    return DeliveryError(f"Could not reach the mail server: {said}", permanent=False)


def _kept(lines: list[str]) -> list[str]:
    kept = []
    for line in lines:
        level, _, message = line.partition(" ")
        if level != "DEBUG" or message.startswith(KEPT_DEBUG):
            kept.append(line[:MAX_LINE])
    return kept


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "****")
    return text


def notify_type_for(urgency: str) -> str:
    """Urgent pages show as failures (red in Slack and Teams), the rest as information."""
    return apprise.NotifyType.FAILURE if urgency == "urgent" else apprise.NotifyType.INFO
