"""Playbook markdown to HTML that is safe to show: nothing in a playbook can run a script.

Markdown lets raw HTML through, so the HTML it makes is cleaned by nh3 against an allow
list: no script or style elements, no event-handler or style attributes, and links and
images only to http(s) (links also to mailto: and tel:). ``javascript:`` and ``data:``
URLs lose their attribute.
"""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

EXTENSIONS = ["tables", "fenced_code", "sane_lists", "def_list", "abbr"]
TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
LINK_SCHEMES = {"http", "https", "mailto", "tel"}
IMAGE_SCHEMES = {"http", "https"}


def _only_web_images(element: str, attribute: str, value: str) -> str | None:
    # nh3 allows one set of URL schemes for every attribute; images get the narrower one.
    if element == "img" and attribute == "src":
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        if scheme and scheme not in IMAGE_SCHEMES:
            return None
    return value


def render_markdown(text: str) -> SafeString:
    """``text`` (markdown, possibly with HTML in it) as cleaned HTML, marked safe."""
    html = markdown.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        attribute_filter=_only_web_images,
        url_schemes=LINK_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - cleaned by nh3 just above
