"""Filters for the Markdown export of a review."""

from django import template

register = template.Library()


@register.filter
def md_cell(value) -> str:
    """``value`` on one line with its pipes escaped, safe inside a Markdown table cell."""
    return " ".join(str(value if value is not None else "").split()).replace("|", "\\|")
