"""Text people and machines give us, made safe to show as one plain line.

Bidirectional control characters reorder what follows them: a title with U+202E (RIGHT-TO-LEFT
OVERRIDE) is shown reversed, so "Payments ok\u202etxt.exe" can pass for something it is not
(CVE-2021-42574, "Trojan Source"). Titles and summaries never need them: right-to-left
scripts are laid out correctly without them.
"""

from django import forms

BIDI_CONTROLS = (
    "\u061c"  # ARABIC LETTER MARK
    "\u200e\u200f"  # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings, pop, overrides
    "\u2066\u2067\u2068\u2069"  # isolates
)
_DROP = dict.fromkeys(map(ord, BIDI_CONTROLS))


def strip_bidi_controls(text: str) -> str:
    return text.translate(_DROP)


class PlainLineField(forms.CharField):
    """A one-line text field without bidirectional control characters (a title)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        cleaned = strip_bidi_controls(value)
        return cleaned.strip() if self.strip else cleaned
