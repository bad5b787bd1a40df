"""The board's cards: what each one shows, and their rendered HTML kept between polls.

A board is polled every few seconds by everyone who has it open, and after any change each
of them loads the whole partial again. Most cards are then exactly as they were, so each
card's HTML is cached under a key made of everything it depends on:

- the incident's ``updated_at``, which every workflow moves (see ``board_version``);
- the viewer: their seats ("you", "I'll be IC"), whether they may act, the filters the
  quick actions return to. The CSRF token is not part of it: the cached HTML holds a
  placeholder that each response fills in with the viewer's own token;
- time: the card's ages and clock readings count whole minutes from the declaration and
  from the last update, so the key holds those two minute counts. Each card thus turns
  over when its own text would change, spread over the minute, rather than every card at
  the top of the minute. (Edits that move no incident, such as a renamed service or a
  changed response target, therefore show within a minute.)

Only the cards missing from the cache are built, with three queries for any number of them.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from .clocks import Clock, TargetBook, incident_clocks
from .metrics.labels import age_label
from .models import (
    STANDARD_ROLES,
    Incident,
    IncidentRole,
    IncidentRoleKind,
    IncidentStatus,
    Severity,
)

SEVERITY_ORDER = [s.value for s in Severity]  # most severe first
CARD_TEMPLATE = "incidents/board.html#card"
FRAGMENT_SECONDS = 180  # a key is out of date within two minutes anyway (its minute counts)
# Stands for the viewer's CSRF field in cached HTML; never produced by escaped content.
CSRF_PLACEHOLDER = mark_safe("<!--board-csrf-->")


def board_queryset():
    """Open incidents, most severe first and then oldest first, with the fields a card shows."""
    return (
        Incident.objects.open()
        .only(
            "title", "severity", "status", "is_drill", "paging_gap", "declared_at",
            "acknowledged_at", "triaged_at", "first_decision_at", "last_update_at",
            "resolved_at", "updated_at",
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


def _seat_title(kind: str, custom_name: str) -> str:
    # IncidentRole.title goes through get_kind_display(), which rebuilds the choices on
    # every call; the enum gives the same label for nothing.
    if kind == IncidentRoleKind.CUSTOM:
        return custom_name
    return IncidentRoleKind(kind).label


@dataclass(frozen=True)
class _Affected:
    pk: int
    name: str
    slug: str
    tier: int
    business_process: str


@dataclass(frozen=True)
class _Held:
    kind: str
    custom_name: str
    holder_id: int
    holder_name: str


class CardBuilder:
    """Builds the cards of incidents loaded by ``board_queryset``: one query for their
    services, one for their seats and one for the response targets, however many."""

    def __init__(self, now: datetime, person, book: TargetBook | None = None):
        self.now = now
        self.person_id = person.pk if person is not None else None
        self.book = book
        self.board_url = reverse("incidents:board")
        self.service_urls: dict[str, str] = {}

    def cards(self, incidents: list[Incident]) -> list[BoardCard]:
        if not incidents:
            return []
        ids = [incident.pk for incident in incidents]
        # Plain rows rather than prefetched model instances: a prefetch clones a queryset
        # per incident and builds a model per row, several times the cost of the query.
        services = defaultdict(list)
        links = (
            Incident.services.through.objects.filter(incident_id__in=ids)
            .order_by("service__tier", "service__name")
            .values_list(
                "incident_id", "service_id", "service__name", "service__slug",
                "service__tier", "service__business_process",
            )
        )
        for incident_id, *service in links:
            services[incident_id].append(_Affected(*service))
        seats = defaultdict(list)
        roles = (
            IncidentRole.objects.filter(incident_id__in=ids)
            .order_by("kind", "custom_name")
            .values_list("incident_id", "kind", "custom_name", "holder_id", "holder__name")
        )
        for incident_id, *seat in roles:
            seats[incident_id].append(_Held(*seat))
        if self.book is None:
            self.book = TargetBook()
        return [self._card(i, services[i.pk], seats[i.pk]) for i in incidents]

    def _service_link(self, service: _Affected) -> ServiceLink:
        url = self.service_urls.get(service.slug)
        if url is None:
            url = reverse("incidents:service_detail", args=[service.slug])
            self.service_urls[service.slug] = url
        return ServiceLink(service.name, url, service.tier)

    def _card(self, incident: Incident, services: list[_Affected], seats: list[_Held]):
        held = {seat.kind for seat in seats}
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
            services=[self._service_link(service) for service in services],
            processes=sorted({s.business_process for s in services if s.business_process}),
            seats=[
                Seat(
                    _seat_title(seat.kind, seat.custom_name),
                    seat.holder_name,
                    seat.holder_id == self.person_id,
                )
                for seat in seats
            ],
            missing_seats=[kind for kind in STANDARD_ROLES if kind not in held],
            clocks=incident_clocks(incident, targets, self.now),
            age=age_label((self.now - incident.declared_at).total_seconds()),
            last_update_age=(
                age_label((self.now - last_update).total_seconds()) if last_update else None
            ),
            viewer_kinds={s.kind for s in seats if s.holder_id == self.person_id},
            raise_to=severity_above(incident.severity),
        )


def board_card(number: int, now: datetime, person) -> BoardCard | None:
    """The card of one open incident, or None when it is not (or no longer) open."""
    incident = board_queryset().filter(pk=number).first()
    if incident is None:
        return None
    return CardBuilder(now, person).cards([incident])[0]


@dataclass(frozen=True)
class Viewer:
    """What a card's HTML depends on besides its incident and the time."""

    person: object  # incidents.Person or None
    can_act: bool
    next_url: str  # where the quick actions' plain forms return to (the filtered board)
    csrf_input: str  # the viewer's hidden CSRF field, rendered once per response

    @property
    def key(self) -> str:
        person_id = self.person.pk if self.person is not None else "-"
        return f"{person_id}.{int(self.can_act)}.{self.next_url}"


def _minutes(now: datetime, since: datetime | None):
    """Whole minutes from ``since`` to ``now`` (the seconds while under one: the age then
    reads "40 s"), the unit in which a card's ages and clocks move."""
    if since is None:
        return "-"
    seconds = int((now - since).total_seconds())
    return f"s{seconds}" if 0 <= seconds < 60 else seconds // 60


def fragment_key(incident: Incident, viewer: Viewer, now: datetime) -> str:
    raw = (
        f"{incident.pk}.{incident.updated_at.timestamp()}.{viewer.key}"
        f".{_minutes(now, incident.declared_at)}.{_minutes(now, incident.last_update_at)}"
    )
    return "board-card:" + hashlib.blake2s(raw.encode(), digest_size=12).hexdigest()


def rendered_cards(incidents: list[Incident], now: datetime, viewer: Viewer) -> list[SafeString]:
    """The HTML of each incident's card, in order: from the cache where it is there, built
    and rendered (and cached) where it is not. One cache round trip for the lookups, one for
    the stores."""
    keys = [fragment_key(incident, viewer, now) for incident in incidents]
    found = cache.get_many(keys) if keys else {}
    missing = [incident for incident, key in zip(incidents, keys, strict=True) if key not in found]
    if missing:
        template = get_template(CARD_TEMPLATE)
        context = {
            "can_act": viewer.can_act,
            "csrf_input": CSRF_PLACEHOLDER,
            "next_url": viewer.next_url,
        }
        fresh = {}
        by_pk = dict(zip((i.pk for i in incidents), keys, strict=True))
        for card in CardBuilder(now, viewer.person).cards(missing):
            fresh[by_pk[card.incident.pk]] = template.render({**context, "card": card})
        cache.set_many(fresh, FRAGMENT_SECONDS)
        found.update(fresh)
    token = str(viewer.csrf_input)
    return [
        # Rendered by the card template, which escaped every value; only the viewer's own
        # CSRF field (Django's markup) takes the placeholder's place.
        mark_safe(found[key].replace(CSRF_PLACEHOLDER, token))  # noqa: S308
        for key in keys
    ]

