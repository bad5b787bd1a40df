"""Words in updates: glossary definitions, the jargon check, and keeping internal names out.

All three look for whole words, case-insensitively, in one pass over the text with every
name in one pattern, longest first. One pass means a definition just inserted is never
scanned again, and longest first means a public service called "Checkout and invoicing"
is matched as a whole before an internal one called "Checkout" could match inside it.
"""

import re
from dataclasses import dataclass, field

from ..models import Connector, GlossaryTerm, Person, Service

INTERNAL_SERVICE = "internal service"
CONNECTOR = "connector"
PERSON = "person"
JARGON = "jargon"

# What an internal name becomes in wording for customers and partners.
STAND_INS = {
    INTERNAL_SERVICE: "an internal system",
    CONNECTOR: "a third-party integration",
    PERSON: "our team",
}
PUBLIC = "public"
ARTICLE = re.compile(r"(?:the|a|an|our)")
_PLATFORM_SUFFIX = re.compile(r"\s*\([^)]*\)\s*$")


@dataclass(frozen=True)
class Flag:
    """A word a customer- or executive-facing draft should not use, and where it was."""

    word: str
    kind: str
    fields: tuple[str, ...]
    suggestion: str = ""
    # Whose reading it was flagged for: "customer" (blocks a public update until confirmed)
    # or "executive" (advice only: an internal audience is never blocked).
    audience: str = "customer"

    @property
    def blocking(self) -> bool:
        return self.audience == "customer"

    @property
    def reason(self) -> str:
        readers = "customers" if self.audience == "customer" else "executives"
        return f"jargon for {readers}"


@dataclass
class NameBook:
    """Every name the checks need, loaded once: ``names`` maps a lower-cased name to its
    kind (public service names map to ``PUBLIC``: left alone)."""

    names: dict[str, str] = field(default_factory=dict)
    terms: dict[str, GlossaryTerm] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "NameBook":
        book = cls()
        for name in Person.objects.values_list("name", flat=True):
            book.add(name, PERSON)
        for name in Connector.objects.values_list("name", flat=True):
            book.add(name, CONNECTOR)
            short = _PLATFORM_SUFFIX.sub("", name)
            if short and short != name:
                book.add(short, CONNECTOR)
        for name, public in Service.objects.values_list("name", "public"):
            book.add(name, PUBLIC if public else INTERNAL_SERVICE)
        book.terms = {term.term.lower(): term for term in GlossaryTerm.objects.all()}
        return book

    def add(self, name: str, kind: str) -> None:
        name = " ".join(name.split())
        # A public service name wins over anything else spelled the same.
        if len(name) >= 2 and self.names.get(name.lower()) != PUBLIC:
            self.names[name.lower()] = kind

    def pattern(self) -> re.Pattern | None:
        return _pattern(list(self.names) + list(self.terms))


def _alternatives(words) -> str:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)


def _pattern(words) -> re.Pattern | None:
    alternatives = _alternatives(words)
    if not alternatives:
        return None
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _key(match: re.Match) -> str:
    return " ".join(match.group(0).split()).lower()


def jargon_flags(texts: dict[str, str], book: NameBook, *, audience: str) -> list[Flag]:
    """Glossary terms marked as jargon for ``audience`` ("executive" or "customer", which
    partners share) found in ``texts`` (field label → text). Nothing else is flagged: people's
    and internal names never reach customers anyway (``scrub``), and product names are
    everyday words to executives."""
    terms = {key: term for key, term in book.terms.items() if term.jargon_for(audience)}
    pattern = _pattern(terms)
    if pattern is None:
        return []
    found: dict[str, tuple[str, list[str], str]] = {}
    for label, text in texts.items():
        for match in pattern.finditer(text or ""):
            key = _key(match)
            term = terms.get(key)
            if term is None:
                continue
            _, labels, _ = found.setdefault(key, (match.group(0), [], term.say_instead))
            if label not in labels:
                labels.append(label)
    return [
        Flag(word=word, kind=JARGON, fields=tuple(labels), suggestion=suggestion,
             audience=audience)
        for word, labels, suggestion in found.values()
    ]


def define_terms(text: str, book: NameBook) -> str:
    """The first use of each glossary term followed by its definition in brackets."""
    pattern = _pattern(book.terms)
    if pattern is None or not text:
        return text
    defined: set[str] = set()

    def replace(match: re.Match) -> str:
        key = _key(match)
        term = book.terms.get(key)
        rest = text[match.end() : match.end() + 2]
        if term is None or key in defined or rest.startswith(("(", " (")):
            return match.group(0)
        defined.add(key)
        return f"{match.group(0)} ({term.definition})"

    return pattern.sub(replace, text)


def scrub(text: str, book: NameBook) -> str:
    """``text`` without people's names or internal service and connector names: wording for
    customers and partners never carries them, whatever the template or the draft says. An
    article before the name goes with it ("the Records base" → "an internal system")."""
    alternatives = _alternatives(book.names)
    if not alternatives or not text:
        return text
    pattern = re.compile(
        rf"(?<!\w)(?:{ARTICLE.pattern}\s+)?(?:{alternatives})(?!\w)", re.IGNORECASE
    )

    def replace(match: re.Match) -> str:
        whole = match.group(0)
        name = re.sub(rf"^{ARTICLE.pattern}\s+", "", whole, flags=re.IGNORECASE)
        stand_in = STAND_INS.get(book.names.get(" ".join(name.split()).lower()))
        if stand_in is None:
            return whole
        before = text[: match.start()].rstrip()
        if not before or before[-1] in ".!?:\n":
            return stand_in[0].upper() + stand_in[1:]
        return stand_in

    return pattern.sub(replace, text)
