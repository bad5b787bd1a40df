"""Settings for the processes the integration tests start: the portal's own, with the
notification outbox's waits cut from minutes to seconds, as the tests cut the escalation
policy's step delays, so that a recovery after a crash fits in a test run."""

from portal.settings import *  # noqa: F403

# A delivery request the broker lost is asked for again after this many seconds.
NOTIFICATION_REQUEST_AGAIN_SECONDS = 4
# A row left in ``sending`` by a killed worker goes back to the queue after this many.
NOTIFICATION_SENDING_STALE_SECONDS = 8
# Pages to one contact method within this many seconds go out as one message.
NOTIFICATION_BUNDLE_SECONDS = 2
# Each channel delivers to the test's own receivers, never to the development sink.
NOTIFICATION_SINK_URL = ""
# Their receivers listen on 127.0.0.1, which the egress policy refuses unless allowed.
OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
