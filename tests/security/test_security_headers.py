"""Finding 8: a Content-Security-Policy that lets no inline script or eval run, and a
Permissions-Policy, on every answer of the portal (pages, refusals, redirects, JSON, feeds),
with Referrer-Policy and X-Content-Type-Options in development too; and no template left
that the policy would break (an inline script, an ``on…=`` handler, an htmx expression)."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.security.test_access_table import TABLE, build_samples, url_of

TEMPLATES = Path(settings.BASE_DIR) / "templates"
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in filter(None, (p.strip() for p in header.split(";"))):
        name, *values = part.split()
        directives[name] = values
    return directives


def problems_with(response) -> list[str]:
    found = []
    directives = policy(response)
    if directives.get("script-src") != ["'self'"]:
        found.append(f"script-src is {directives.get('script-src')}")
    for name in ("default-src", "script-src"):
        unsafe = [v for v in directives.get(name, []) if v.startswith("'unsafe")]
        if unsafe:
            found.append(f"{name} allows {unsafe}")
    for name in ("object-src", "base-uri", "frame-ancestors"):
        if directives.get(name) != ["'none'"]:
            found.append(f"{name} is {directives.get(name)}")
    features = response.headers.get("Permissions-Policy", "")
    found += [f"Permissions-Policy lets {f} through" for f in DENIED_FEATURES
              if f"{f}=()" not in features]
    if response.headers.get("Referrer-Policy") != "same-origin":
        found.append(f"Referrer-Policy is {response.headers.get('Referrer-Policy')}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        found.append("no X-Content-Type-Options: nosniff")
    return found


@pytest.mark.parametrize("visitor", ["anonymous", "commander", "roster_admin"])
def test_every_answer_of_every_url_carries_the_policies(cast, visitor):
    samples = build_samples(cast)
    client = Client()
    if visitor != "anonymous":
        client.force_login(cast[visitor])
    wrong = []
    for name, row in sorted(TABLE.items()):
        url = url_of(name, row, samples)
        response = client.generic(row.method, url)
        wrong += [f"{row.method} {url} ({response.status_code}): {p}"
                  for p in problems_with(response)]
    assert wrong == []


def test_unknown_pages_and_static_files_carry_them_too(client_as):
    assert problems_with(client_as("responder").get("/no-such-page/")) == []
    assert problems_with(Client().get("/no-such-page/")) == []


def _templates():
    return sorted(TEMPLATES.rglob("*.html"))


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
# hx-on:* and hx-vars run code; a "js:" value is eval'd; an hx-trigger filter ("every 5s [x]")
# is compiled with Function().
HTMX_EVAL = re.compile(
    r"""\shx-on[:-]|\shx-vars=|=\s*["']\s*(js|javascript):|hx-trigger="[^"]*\["""
)


def test_no_template_has_an_inline_script_a_handler_or_an_htmx_expression():
    found = []
    for path in _templates():
        text = path.read_text()
        name = path.relative_to(TEMPLATES)
        for attributes in SCRIPT_TAG.findall(text):
            if "src=" not in attributes and 'type="application/json"' not in attributes:
                found.append(f"{name}: inline <script{attributes}>")
        found += [f"{name}: handler {m.group().strip()}" for m in HANDLER.finditer(text)]
        found += [f"{name}: htmx expression {m.group()}" for m in HTMX_EVAL.finditer(text)]
    assert found == []


def test_htmx_is_told_not_to_eval_nor_to_inject_its_styles(client_as):
    page = client_as("responder").get("/").content.decode()
    config = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", page)
    assert config is not None
    assert json.loads(config.group(1)) == {"allowEval": False, "includeIndicatorStyles": False}
