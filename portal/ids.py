"""Row ids that come from outside (a URL, a form, a query string), bounded before they reach
the database.

A number with more digits than a 64-bit integer holds makes SQLite raise ``OverflowError``
(a 500) and makes PostgreSQL compare as ``numeric``, which no index serves. Django 5 turns
an out-of-range ``=``, ``<`` or ``>`` into "no rows" (ticket #27397) but not ``IN``: a
``ModelMultipleChoiceField`` or a ``pk__in`` lookup still crashes on SQLite. So:

- URLs take ids through the ``id`` path converter (at most :data:`ID_DIGITS` ASCII
  digits; anything longer names no page, a 404);
- views read posted ids with :func:`parse_id`;
- ``IN`` on an integer column leaves out the values the column cannot hold (they match no
  row anyway), registered once in ``PortalConfig.ready``.
"""

import re

from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField
from django.db.models.lookups import In
from django.urls import register_converter

# 18 digits stay below 2**63 - 1 (19 digits), the largest id any of our databases stores.
ID_DIGITS = 18
_ID = re.compile(rf"[0-9]{{1,{ID_DIGITS}}}")


def parse_id(value) -> int | None:
    """A row id from user input: 1 to 18 ASCII digits (Unicode digits such as "²" are not
    ids: ``str.isdigit`` accepts them and ``int`` refuses them). None for anything else."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return None
    return int(value)


class IdConverter:
    regex = f"[0-9]{{1,{ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


class IntegerFieldBoundedIn(In):
    """``IN`` that drops the values an integer column cannot hold, as Django's own integer
    lookups do for ``=``; with none left, the lookup matches nothing."""

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            internal_type = self.lhs.output_field.get_internal_type()
            low, high = connection.ops.integer_field_range(internal_type)
            kept = [value for value in self.rhs if not _outside(value, low, high)]
            if not kept:
                raise EmptyResultSet
            self.rhs = kept
        return super().process_rhs(compiler, connection)


def _outside(value, low, high) -> bool:
    if not isinstance(value, int):
        return False
    return (low is not None and value < low) or (high is not None and value > high)


def install() -> None:
    """Register the converter and the lookup; called once, from ``PortalConfig.ready``."""
    register_converter(IdConverter, "id")
    IntegerField.register_lookup(IntegerFieldBoundedIn)
