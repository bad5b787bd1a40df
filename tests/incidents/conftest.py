import pytest

from tests.incidents.sinks import SmtpSink


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 that the portal's email channel sends to."""
    with SmtpSink() as sink:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield sink
