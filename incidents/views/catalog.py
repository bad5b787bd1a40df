"""The service catalog pages: every service in a table, and one service on one screen."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch
from django.utils import timezone
from django.views.decorators.http import require_safe

from portal import roles
from portal.roles import role_required

from ..catalog.filters import ServiceFilter
from ..catalog.impact import neighbourhood
from ..catalog.tables import ServiceTable
from ..catalog.targets import minutes_label, response_targets_for
from ..models import ContactMethod, DecisionAuthority, Person, Rotation, Service, Severity
from ..oncall.schedule import Shift, on_call, plan_for, rotations_with_plans
from ..services import may_declare
from .listing import filtered_table

RECENT_INCIDENTS = 5


@require_safe
@role_required(*roles.ALL_ROLES)
def service_list(request):
    """The catalog, filtered and sorted from the query string; ``?_export=csv`` downloads it."""
    services = Service.objects.select_related("owner_team")
    export, context = filtered_table(
        request,
        filter_set=ServiceFilter(request.GET, queryset=services),
        table_class=ServiceTable,
        when_invalid=services.all(),  # the whole catalog beside the form's errors
        csv_name="services",
    )
    if export is not None:
        return export
    status = 400 if context["export_refused"] else 200
    return render(request, "incidents/service_list.html", context, status=status)


@require_safe
@role_required(*roles.ALL_ROLES)
def service_detail(request, slug):
    """Who to call right now for this service, and what breaks if it is down."""
    service = get_object_or_404(Service.objects.select_related("owner_team__manager"), slug=slug)
    now = timezone.now()
    team = service.owner_team

    rotation, shift = _on_call_now(service, now)
    on_call_person = shift.person if shift and not shift.is_gap else None
    # Reachability and contact methods of the two people a reader may call, in two queries.
    callable_people = _people_with_contacts(
        {p.pk for p in (on_call_person, team.manager) if p is not None}
    )
    members = list(team.members.with_urgent_reachability().order_by("name"))

    context = {
        "service": service,
        "team": team,
        "members": members,
        "manager": callable_people.get(team.manager_id),
        "rotation": rotation,
        "rotation_url": _url_of(rotation),
        "shift": shift,
        "on_call_person": callable_people.get(on_call_person.pk) if on_call_person else None,
        "graph": neighbourhood(service),
        "targets": [
            {
                "severity": entry.severity,
                "target": entry.target,
                "overridden": entry.overridden,
                "clocks": _clock_labels(entry.target),
            }
            for entry in response_targets_for(service)
        ],
        "severities": list(Severity),
        "authority": authority_matrix(
            DecisionAuthority.objects.prefetch_related(
                Prefetch("portal_roles", queryset=Group.objects.order_by("name"))
            )
        ),
        "open_incidents": list(service.incidents.open().filter(duplicate_of=None)),
        "recent_incidents": list(service.incidents.order_by("-declared_at")[:RECENT_INCIDENTS]),
        "viewer_zone": _viewer_zone(request.user),
        "may_declare": may_declare(request.user),
        # A roster admin reads the catalog but not incidents: no links to pages it may not open.
        "may_open_incidents": roles.has_role(request.user, roles.LEADERSHIP, *roles.OPERATORS),
    }
    return render(request, "incidents/service_detail.html", context)


def _on_call_now(service: Service, now: datetime) -> tuple[Rotation | None, Shift | None]:
    """The service's rotation and who it has on call at ``now`` (a gap included)."""
    if service.rotation_id is None:
        return None, None
    rotation = rotations_with_plans(Rotation.objects.filter(pk=service.rotation_id)).first()
    if rotation is None:
        return None, None
    return rotation, on_call(plan_for(rotation, overrides_from=now), now)


def _url_of(rotation: Rotation | None) -> str | None:
    # The on-call pages may be left out of a deployment; the name then shows without a link.
    if rotation is None:
        return None
    try:
        return rotation.get_absolute_url()
    except NoReverseMatch:
        return None


def _people_with_contacts(ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    methods = ContactMethod.objects.order_by("kind", "id")
    people = Person.objects.with_urgent_reachability().prefetch_related(
        Prefetch("contact_methods", queryset=methods)
    )
    return people.in_bulk(ids)


def _clock_labels(target) -> list[str]:
    if target is None:
        return []
    return [
        minutes_label(minutes)
        for minutes in (
            target.acknowledge_minutes,
            target.triage_minutes,
            target.decision_minutes,
            target.update_minutes,
        )
    ]


def _viewer_zone(user) -> str:
    """The viewer's own time zone when they have a person record, else the portal's."""
    zone = Person.objects.filter(user=user).values_list("time_zone", flat=True).first()
    try:
        return ZoneInfo(zone).key if zone else settings.TIME_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        return settings.TIME_ZONE


# --- Decision authority: one row per action, one cell per severity --------------------------


@dataclass(frozen=True)
class AuthorityCell:
    portal_roles: tuple[str, ...] = ()
    incident_roles: tuple[str, ...] = ()
    defined: bool = True

    @property
    def nobody(self) -> bool:
        return not self.portal_roles and not self.incident_roles


def incident_role_label(slug: str) -> str:
    """``technical_lead`` → ``technical lead``: how a seat on an incident reads in a sentence."""
    return slug.replace("_", " ").strip()


def authority_matrix(rows) -> list[tuple[str, list[AuthorityCell]]]:
    """For each action in its usual order: who may take it at SEV1, SEV2, SEV3, SEV4.

    Pure over ``rows`` (DecisionAuthority with ``portal_roles`` readable); a severity without
    a row gives a cell with ``defined`` False, shown as such rather than as "nobody".
    """
    by_key = {(row.severity, row.action): row for row in rows}
    matrix = []
    for action in DecisionAuthority.Action:
        cells = []
        for severity in Severity:
            row = by_key.get((severity.value, action.value))
            if row is None:
                cells.append(AuthorityCell(defined=False))
                continue
            cells.append(
                AuthorityCell(
                    portal_roles=tuple(group.name for group in row.portal_roles.all()),
                    incident_roles=tuple(
                        incident_role_label(str(slug)) for slug in _as_list(row.incident_roles)
                    ),
                )
            )
        matrix.append((action.label, cells))
    return matrix


def _as_list(value) -> list:
    # The field is free JSON edited in admin: a lone string or null must not break the page.
    if isinstance(value, list):
        return value
    return [value] if value else []
