"""A template engine for wording that admins edit: Django's syntax, with no way out.

Message templates and prepared statements are edited in the admin site, so they are rendered
by an engine of their own: no template loading (``include``, ``extends``), no ``load``, no
``url``, ``debug`` or ``csrf_token``, and a context of plain strings and lists only, so a
template can reach nothing but the facts it is given. A template that does not compile or
render raises ``TemplateProblem`` with a message a person can act on.
"""

from django.template import (
    Context,
    Engine,
    Library,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)

SAFE_TAGS = (
    "autoescape", "comment", "cycle", "filter", "firstof", "for", "if", "ifchanged", "now",
    "regroup", "resetcycle", "spaceless", "templatetag", "verbatim", "widthratio", "with",
)
MAX_SOURCE = 20_000
MAX_OUTPUT = 50_000

register = Library()
for _name in SAFE_TAGS:
    register.tag(_name, defaulttags.register.tags[_name])
for _name, _filter in defaultfilters.register.filters.items():
    register.filter(_name, _filter)


class TemplateProblem(ValueError):
    """A template that cannot be used; the message says what is wrong."""


class SandboxEngine(Engine):
    default_builtins = []


_engine = SandboxEngine(builtins=[__name__], loaders=[], autoescape=False)


def render_text(source: str, context: dict, *, what: str = "The template") -> str:
    """Render ``source`` with ``context`` (plain values only); raises ``TemplateProblem``."""
    if len(source) > MAX_SOURCE:
        raise TemplateProblem(f"{what} is longer than {MAX_SOURCE} characters.")
    try:
        template = _engine.from_string(source)
    except TemplateSyntaxError as error:
        reason = str(error).split(" Did you forget", 1)[0]
        if reason.startswith("Invalid block tag"):
            reason += " Tags allowed here: " + ", ".join(SAFE_TAGS) + "."
        raise TemplateProblem(f"{what} has a syntax error: {reason}") from None
    try:
        text = template.render(Context(context, autoescape=False))
    except Exception as error:  # any failure inside an edited template is the editor's to fix
        raise TemplateProblem(f"{what} failed to render: {error}") from None
    return text[:MAX_OUTPUT]


def check_template(source: str, sample: dict, *, what: str = "The template") -> None:
    """Raise ``TemplateProblem`` unless ``source`` renders with ``sample``."""
    render_text(source, sample, what=what)
