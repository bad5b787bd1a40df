import pytest
import time_machine

from tests.incidents.sinks import SmtpSink


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 that the portal's email channel sends to."""
    with SmtpSink() as sink:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield sink


@pytest.fixture
def clock(request):
    """Time stands still at the test module's ``NOW`` (the traveller moves it on)."""
    with time_machine.travel(request.module.NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def no_wake(monkeypatch):
    """Record wake-ups instead of sending them to a broker."""
    woken = []
    monkeypatch.setattr("incidents.intake.receive.enqueue_processing", lambda: woken.append(1))
    return woken
