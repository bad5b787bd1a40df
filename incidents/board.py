"""What the incident board shows: its version token, its filters and one card per incident.

The board is polled every few seconds, so two things here are about cost:
- ``board_version`` is the only query an unchanged poll makes after authentication;
- ``board_cards`` loads any number of open incidents in a fixed number of queries.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django import forms
from django.db.models import Count, Exists, FloatField, Func, OuterRef, Prefetch, Sum
from django.urls import reverse

from .clocks import Clock, TargetBook, incident_clocks
from .models import (
    STANDARD_ROLES,
    Incident,
    IncidentRole,
    IncidentRoleKind,
    IncidentStatus,
    Service,
    Severity,
    Team,
)

SEVERITY_ORDER = [s.value for s in Severity]  # most severe first


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


def board_queryset():
    """Open incidents, most severe first and then oldest first, with what a card shows."""
    services = Service.objects.only("name", "slug", "tier", "business_process").order_by(
        "tier", "name"
    )
    seats = (
        IncidentRole.objects.select_related("holder")
        .only("incident_id", "kind", "custom_name", "holder__name")
        .order_by("kind", "custom_name")
    )
    return (
        Incident.objects.open()
        .defer("summary")
        .prefetch_related(
            Prefetch("services", queryset=services), Prefetch("roles", queryset=seats)
        )
        .order_by("severity", "declared_at", "pk")
    )


@dataclass(frozen=True)
class ServiceLink:
    name: str
    url: str
    tier: int


@dataclass(frozen=True)
class Seat:
    title: str
    holder: str
    is_viewer: bool


@dataclass
class BoardCard:
    incident: Incident
    severity_label: str
    status_label: str
    url: str
    actions_url: str  # the card's quick actions are posted to <actions_url><action>/
    services: list[ServiceLink]
    processes: list[str]
    seats: list[Seat]
    missing_seats: list[IncidentRoleKind]
    clocks: list[Clock]
    age: str
    last_update_age: str | None
    viewer_kinds: set[str] = field(default_factory=set)
    raise_to: str | None = None
    fragment_key: str = ""  # what the rendered card depends on besides the viewer

    @property
    def has_commander(self) -> bool:
        return IncidentRoleKind.COMMANDER not in self.missing_seats

    @property
    def open_seats(self) -> list[IncidentRoleKind]:
        """Missing seats other than the commander's, which is flagged on its own."""
        return [kind for kind in self.missing_seats if kind != IncidentRoleKind.COMMANDER]

    @property
    def viewer_is_commander(self) -> bool:
        return IncidentRoleKind.COMMANDER in self.viewer_kinds

    @property
    def raise_to_label(self) -> str:
        return Severity(self.raise_to).label if self.raise_to else ""


def severity_above(severity: str) -> str | None:
    """The next more severe level (SEV3 → SEV2), or None at SEV1."""
    position = SEVERITY_ORDER.index(severity)
    return SEVERITY_ORDER[position - 1] if position > 0 else None


def age_label(delta: timedelta) -> str:
    """A short age that reads at a glance: 40 s, 12 min, 3 h 05 min, 2 d 4 h."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def seat_title(role: IncidentRole) -> str:
    # IncidentRole.title goes through get_kind_display(), which rebuilds the choices on
    # every call; the enum gives the same label for nothing.
    if role.kind == IncidentRoleKind.CUSTOM:
        return role.custom_name
    return IncidentRoleKind(role.kind).label


class CardBuilder:
    """Builds cards from incidents loaded by ``board_queryset``, with no query of its own
    beyond the response targets (once) and URLs worked out once per service."""

    def __init__(self, now: datetime, person, book: TargetBook | None = None):
        self.now = now
        self.person = person
        self.book = book or TargetBook()
        self.board_url = reverse("incidents:board")
        self.service_urls: dict[int, str] = {}

    def service_link(self, service: Service) -> ServiceLink:
        url = self.service_urls.get(service.pk)
        if url is None:
            url = self.service_urls[service.pk] = service.get_absolute_url()
        return ServiceLink(service.name, url, service.tier)

    def card(self, incident: Incident) -> BoardCard:
        services = list(incident.services.all())
        roles = list(incident.roles.all())
        held = {role.kind for role in roles}
        person_id = self.person.pk if self.person is not None else None
        targets = self.book.for_incident(incident.severity, [s.pk for s in services])
        last_update = incident.last_update_at
        return BoardCard(
            incident=incident,
            # Labels looked up here: get_FOO_display() rebuilds the choices dict on each call.
            severity_label=Severity(incident.severity).label,
            status_label=IncidentStatus(incident.status).label,
            url=incident.get_absolute_url(),
            # The pattern is this board's own (``board/<number>/<action>/``): joining it here
            # spares a URL reversal per action per card on every poll.
            actions_url=f"{self.board_url}{incident.pk}/",
            services=[self.service_link(service) for service in services],
            processes=sorted({s.business_process for s in services if s.business_process}),
            seats=[
                Seat(seat_title(role), role.holder.name, role.holder_id == person_id)
                for role in roles
            ],
            missing_seats=[kind for kind in STANDARD_ROLES if kind not in held],
            clocks=incident_clocks(incident, targets, self.now),
            age=age_label(self.now - incident.declared_at),
            last_update_age=age_label(self.now - last_update) if last_update else None,
            viewer_kinds={role.kind for role in roles if role.holder_id == person_id},
            raise_to=severity_above(incident.severity),
            fragment_key=(
                f"{incident.pk}.{incident.updated_at.timestamp()}.{person_id}"
                f".{self.now:%Y%m%d%H%M}"
            ),
        )


def board_cards(queryset, now: datetime, person) -> list[BoardCard]:
    """Cards for every incident of ``queryset``: three queries for the incidents, their
    services and their seats, and one for the response targets, however many there are."""
    incidents = list(queryset)
    if not incidents:
        return []
    builder = CardBuilder(now, person)
    return [builder.card(incident) for incident in incidents]


def board_card(number: int, now: datetime, person) -> BoardCard | None:
    """The card of one open incident, or None when it is not (or no longer) open."""
    incident = board_queryset().filter(pk=number).first()
    if incident is None:
        return None
    return CardBuilder(now, person).card(incident)
