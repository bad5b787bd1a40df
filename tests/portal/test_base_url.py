"""The portal's absolute links (notifications, calendar feeds) point where it listens:
without ``PORTAL_BASE_URL`` they follow ``PORT``, as `PORT=9000 make run` sets it."""

import pytest

# The link a page to a responder carries, built as the worker builds it, and the view it
# reaches on the portal.
SHOW_ACK_LINK = """
from urllib.parse import urlsplit
from django.conf import settings
from django.urls import resolve
from incidents.notifications.ack import ack_url

link = ack_url(incident_id=7, person_id=3, cause="timer.12")
print(settings.PORTAL_BASE_URL, link, resolve(urlsplit(link).path).url_name)
"""


@pytest.mark.parametrize(
    "environment, base",
    [
        ({"PORT": "9000"}, "http://127.0.0.1:9000"),
        ({}, "http://127.0.0.1:8000"),
        (
            {"PORT": "9000", "PORTAL_BASE_URL": "https://portal.example.org/"},
            "https://portal.example.org",
        ),
    ],
    ids=["port", "default", "base-url-wins"],
)
def test_the_ack_link_of_a_page_points_at_the_port_the_portal_serves_on(
    portal_python, environment, base
):
    shown = portal_python(SHOW_ACK_LINK, **environment)
    assert shown.returncode == 0, shown.stderr
    base_url, link, view = shown.stdout.split()
    assert base_url == base
    assert link.startswith(f"{base}/ack/")
    assert view == "ack"
