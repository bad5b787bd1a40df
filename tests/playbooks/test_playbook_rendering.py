"""Markdown in a playbook is rendered, and nothing in it can run a script: not on the
playbook page, not in an old version."""

from html.parser import HTMLParser

import pytest

from playbooks.rendering import render_markdown
from tests.incidents.factories import make_team
from tests.playbooks.builders import make_playbook

VECTORS = [
    "<script>alert('x')</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<svg onload=alert(1)><circle r=1></svg>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="jav&#x09;ascript:alert(1)">tabbed</a>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<iframe src="https://evil.example/"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<form action="https://evil.example/"><input name="q"></form>',
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">styled</p>',
    "<style>body { display: none }</style>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<a href="https://ok.example/" onmouseover="alert(1)">hover</a>',
]
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "form", "input", "style", "meta",
                  "svg", "body", "link", "base"}


class Dangers(HTMLParser):
    """Every element, attribute and URL in the HTML that a browser could run or load."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src", "action") and value:
                scheme = "".join(value.split()).lower().split(":", 1)[0]
                if scheme in ("javascript", "data", "vbscript"):
                    self.found.append(f"{tag}[{name}={value}]")


def dangers(html: str) -> list[str]:
    return Dangers(html).found


@pytest.mark.parametrize("vector", VECTORS)
def test_no_vector_survives_rendering(vector):
    html = str(render_markdown(f"Before\n\n{vector}\n\nAfter"))
    assert dangers(html) == [], html
    assert "Before" in html and "After" in html


def test_markdown_still_renders_headings_lists_tables_code_and_safe_links():
    html = str(render_markdown(
        "## Recognise it\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```\n<script>kept as text</script>\n```\n\n[Stripe](https://dashboard.stripe.com/) "
        "[mail](mailto:ops@example.org) ![chart](https://img.example/c.png)"
    ))
    assert "<h2>Recognise it</h2>" in html
    assert "<li>one</li>" in html and "<td>2</td>" in html
    assert "&lt;script&gt;kept as text&lt;/script&gt;" in html
    assert 'href="https://dashboard.stripe.com/"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert 'href="mailto:ops@example.org"' in html
    assert 'src="https://img.example/c.png"' in html


def _text_section(html: str) -> str:
    start = html.index('id="text"')
    return html[start:html.index("</section>", start)]


def test_the_playbook_page_shows_no_script_from_the_playbook(client_as, db):
    playbook = make_playbook(owner_team=make_team(), body="\n\n".join(["# Steps", *VECTORS]))
    response = client_as("leader").get(playbook.get_absolute_url())
    assert response.status_code == 200
    body = _text_section(response.content.decode())
    assert "<h1>Steps</h1>" in body
    assert dangers(body) == [], body


def test_an_old_version_is_cleaned_too(client_as, cast, db):
    from playbooks.services import playbook_update

    playbook = make_playbook(owner_team=make_team(), body="<img src=x onerror=alert(1)>")
    playbook_update(playbook=playbook, by=cast["responder"], title=playbook.title, body="Fine.",
                    checklist="")
    response = client_as("responder").get(f"/playbooks/{playbook.slug}/versions/1/")
    assert response.status_code == 200
    html = response.content.decode()
    section = html[html.index("playbook-body"):]
    section = section[:section.index("</section>")]
    assert "<img" in section and "onerror" not in section


def test_the_danger_check_itself_sees_each_kind_of_vector():
    assert dangers('<img src="x" onerror="alert(1)">') == ["img[onerror]"]
    assert dangers("<script>x</script>") == ["<script>"]
    assert dangers('<a href="java script:alert(1)">x</a>') == ['a[href=java script:alert(1)]']
    assert dangers('<img src="data:image/png;base64,AA">') == ["img[src=data:image/png;base64,AA]"]
