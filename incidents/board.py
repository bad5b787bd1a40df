"""The incident board's version token and its filters (its cards: ``board_cards``).

The board is polled every few seconds: ``board_version`` is the only query an unchanged
poll makes after authentication.
"""

import hashlib
from dataclasses import dataclass

from django import forms
from django.db.models import Count, Exists, FloatField, Func, OuterRef, Sum

from .models import Incident, IncidentRole, Service, Severity, Team


class EpochSeconds(Func):
    """Seconds since 1970 of a datetime column, as a number the database can add up."""

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps datetimes as ISO text; julianday() reads them, fractions included.
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
            **extra_context,
        )


@dataclass(frozen=True)
class BoardVersion:
    token: str
    open_count: int


def board_version() -> BoardVersion:
    """A token that changes whenever an incident opens, closes or changes while open. One query.

    Every workflow moves its incident's ``updated_at`` forward (``timeline.touch``). The
    token adds up ``updated_at`` over the open incidents and counts them, so a declaration,
    a resolution and any change to an open incident all move it. (Catalog and roster edits,
    such as renaming a service, show at the next change to an incident.) A plain MAX(updated_at)
    would not do: a transaction that stamped its time first but commits last (an
    acknowledgement racing a note) would leave the maximum where it was, and the board
    would miss the acknowledgement until the next change.
    """
    totals = Incident.objects.open().aggregate(
        open_count=Count("pk"), stamps=Sum(EpochSeconds("updated_at"))
    )
    raw = f"{totals['open_count']}:{totals['stamps']}"
    token = hashlib.blake2s(raw.encode(), digest_size=8).hexdigest()
    return BoardVersion(token=token, open_count=totals["open_count"])


class BoardFilterForm(forms.Form):
    """The board's filters, read from the query string (a plain GET form)."""

    severity = forms.ChoiceField(
        choices=[("", "Any severity"), *Severity.choices], required=False
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="Any service",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="Any team",
        help_text="Owner team of an affected service.",
    )
    mine = forms.BooleanField(required=False, label="Only where I hold a seat")

    @property
    def is_filtering(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in self.fields)


def filtered_incidents(queryset, filters: dict, person):
    """``queryset`` narrowed by the cleaned board filters (``person``: the viewer's, or None)."""
    if filters.get("severity"):
        queryset = queryset.filter(severity=filters["severity"])
    if filters.get("service"):
        queryset = queryset.filter(services=filters["service"])
    if filters.get("team"):
        # Exists rather than a join: an incident on two of the team's services is one card.
        affected = Incident.services.through.objects.filter(
            incident_id=OuterRef("pk"), service__owner_team=filters["team"]
        )
        queryset = queryset.filter(Exists(affected))
    if filters.get("mine"):
        if person is None:
            return queryset.none()
        seats = IncidentRole.objects.filter(incident_id=OuterRef("pk"), holder=person)
        queryset = queryset.filter(Exists(seats))
    return queryset
