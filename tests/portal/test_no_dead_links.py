"""No link leads its viewer to a 403: every same-site link on the main pages of the demo
organisation is followed as the user who saw it, and none of them is refused."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from portal.navigation import navigation_for

DEMO_USERS = ("leader", "commander", "responder", "comms", "admin")
DETAIL_PAGES = (  # a list page and which of its links are the detail pages to open
    ("/board/", r"^/incidents/\d+/$"),
    ("/incidents/", r"^/incidents/\d+/$"),
    ("/services/", r"^/services/[\w-]+/$"),
    ("/drills/", r"^/drills/\d+/$"),
    ("/reviews/", r"^/reviews/\d+/$"),
)
NOT_FOLLOWED = ("/accounts/logout/", "/admin/logout/")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def same_site_links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    paths = []
    for href in parser.hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return list(dict.fromkeys(paths))


def main_pages(client: Client, user) -> list[str]:
    """The navigation's pages plus up to two detail pages from each list the user may open."""
    pages = [entry["url"] for entry in navigation_for(user)] + ["/"]
    for start, pattern in DETAIL_PAGES:
        answer = client.get(start)
        if answer.status_code != 200:
            continue
        found = [p for p in same_site_links(answer.content.decode()) if re.match(pattern, p)]
        pages += found[:2]
    return list(dict.fromkeys(pages))


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)


@pytest.mark.parametrize("username", DEMO_USERS)
def test_no_link_on_the_main_pages_is_refused_to_its_viewer(demo, django_user_model, username):
    user = django_user_model.objects.get(username=username)
    client = Client()
    client.force_login(user)
    refused = []
    followed: set[str] = set()
    for page in main_pages(client, user):
        answer = client.get(page)
        assert answer.status_code == 200, page
        for link in same_site_links(answer.content.decode()):
            if link in followed or link.startswith(NOT_FOLLOWED):
                continue
            followed.add(link)
            if client.get(link).status_code == 403:
                refused.append(f"{page} → {link}")
    assert refused == []
