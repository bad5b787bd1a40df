"""Who is on call now for every rotation, and each rotation as a calendar feed.

The feed is fetched by calendar apps, which cannot log in: it is authenticated by the
calendar token of any person on the roster whose login is active instead, and answers 404
to anything else.
"""

import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from portal import roles
from portal.roles import role_required

from ..models import Person, Rotation
from ..oncall.calendar import rotation_feed
from ..oncall.schedule import HORIZON, OverridePlan, Shift, on_call, plan_for, rotations_with_plans

# Tokens are made by ``secrets.token_urlsafe``: anything else is refused before any query.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")
# The leading characters pick the candidate rows; the whole token is then compared in
# constant time, so response timing says nothing about how much of a guess was right.
TOKEN_SELECTOR = 8


@dataclass
class RotationNow:
    """One rotation's answer for the page: who now, until when, who next."""

    rotation: Rotation
    shift: Shift | None = None
    next_shift: Shift | None = None
    overrides: list[OverridePlan] = field(default_factory=list)
    problem: str = ""
    # The people above as annotated rows with their contact methods (``_attach_people``).
    person: Person | None = None
    next_person: Person | None = None
    override_people: list[tuple[OverridePlan, Person]] = field(default_factory=list)


@role_required(*roles.ALL_ROLES)
@require_safe
def oncall(request):
    """Every rotation: who is on call now, until when, and who is next."""
    now = timezone.now()
    viewer = Person.objects.filter(user=request.user).first()
    zone_name, zone_is_viewers = _viewer_zone(viewer)

    rotations = rotations_with_plans(
        Rotation.objects.select_related("team").order_by("team__name", "name"),
        overrides_from=now,
    )
    answers = [_rotation_now(rotation, now) for rotation in rotations]
    people = _people_with_contacts(answers)
    for answer in answers:
        _attach_people(answer, people)

    context = {
        "answers": answers,
        "gaps": [answer for answer in answers if answer.shift and answer.shift.is_gap],
        "viewer": viewer,
        "viewer_zone": zone_name,
        "zone_is_viewers": zone_is_viewers,
        "feeds": _feeds(answers, viewer),
        "now": now,
        "horizon_days": HORIZON.days,
    }
    return render(request, "incidents/oncall.html", context)


def _viewer_zone(viewer: Person | None) -> tuple[str, bool]:
    """The zone times are shown in, and whether it is the viewer's own."""
    if viewer is not None and viewer.time_zone:
        try:
            return ZoneInfo(viewer.time_zone).key, True
        except (ZoneInfoNotFoundError, ValueError):
            pass  # a zone that is no longer known: the portal's own is still right
    return settings.TIME_ZONE, False


def _rotation_now(rotation: Rotation, now: datetime) -> RotationNow:
    answer = RotationNow(rotation=rotation)
    try:
        plan = plan_for(rotation, overrides_from=now)
        answer.shift = on_call(plan, now)
        if answer.shift.ends_at is not None:
            answer.next_shift = on_call(plan, answer.shift.ends_at)
    except (ValueError, ZoneInfoNotFoundError) as error:
        # A row saved past the admin's validation must not take the whole page down.
        answer.shift = answer.next_shift = None
        answer.problem = f"This rotation cannot be worked out: {error}"
        return answer
    answer.overrides = sorted(
        (o for o in plan.overrides if o.starts_at <= now < o.ends_at),
        key=lambda o: (o.starts_at, o.created_order),
    )
    return answer


def _people_with_contacts(answers: list[RotationNow]) -> dict[int, Person]:
    """Everyone the page names, with contact methods and the urgent-reachability flag,
    in two queries whatever their number."""
    pks = set()
    for answer in answers:
        for shift in (answer.shift, answer.next_shift):
            if shift is not None and shift.person is not None:
                pks.add(shift.person.pk)
        for override in answer.overrides:
            pks.add(override.person.pk)
    people = (
        Person.objects.with_urgent_reachability()
        .filter(pk__in=pks)
        .prefetch_related("contact_methods")
    )
    return {person.pk: person for person in people}


def _attach_people(answer: RotationNow, people: dict[int, Person]) -> None:
    """Swap the plain people of the plans for the annotated rows, for the template."""
    answer.person = _lookup(answer.shift, people)
    answer.next_person = _lookup(answer.next_shift, people)
    answer.override_people = [
        (override, people.get(override.person.pk, override.person)) for override in answer.overrides
    ]


def _lookup(shift: Shift | None, people: dict[int, Person]) -> Person | None:
    if shift is None or shift.person is None:
        return None
    return people.get(shift.person.pk, shift.person)


def _feeds(answers: list[RotationNow], viewer: Person | None) -> list[dict]:
    if viewer is None:
        return []
    feeds = []
    for answer in answers:
        path = reverse("incidents:oncall_calendar", args=[answer.rotation.slug])
        url = f"{settings.PORTAL_BASE_URL}{path}?token={viewer.calendar_token}"
        feeds.append(
            {
                "rotation": answer.rotation,
                "url": url,
                "mine_url": f"{url}&mine=1",
                "webcal_url": re.sub(r"^https?://", "webcal://", url),
            }
        )
    return feeds


@login_not_required
@require_safe
def oncall_calendar(request, slug):
    """The next weeks of one rotation as iCalendar, for the holder of a calendar token.

    A missing or unknown token and an unknown rotation all get the same bare 404, so the
    answer never tells a guesser which half was wrong.
    """
    owner = _token_owner(request.GET.get("token", ""))
    if owner is None:
        return _feed_not_found()
    now = timezone.now()
    rotation = rotations_with_plans(
        Rotation.objects.select_related("team").filter(slug=slug),
        # The feed starts where the current stretch started, up to HORIZON ago.
        overrides_from=now - HORIZON,
    ).first()
    if rotation is None:
        return _feed_not_found()
    try:
        plan = plan_for(rotation)
        body = rotation_feed(
            rotation,
            plan,
            now=now,
            base_url=settings.PORTAL_BASE_URL,
            only_person=owner if request.GET.get("mine") == "1" else None,
        )
    except (ValueError, ZoneInfoNotFoundError):
        return HttpResponse(
            "This rotation's settings cannot be worked out; a roster admin must fix them.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{rotation.slug}.ics"'
    # The URL holds a secret: no shared cache may keep it, and no search engine index it.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


def _feed_not_found() -> HttpResponse:
    # Returned, not raised: the portal's 404 handler sends anonymous visitors to the login
    # page, which a calendar app cannot use and which would hint that the URL exists.
    return HttpResponseNotFound("Not found.", content_type="text/plain; charset=utf-8")


def _token_owner(token: str) -> Person | None:
    """The person whose token this is, while their login is active: a token is handed out
    only through its owner's login, and dies with it (deactivated, or unlinked)."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    candidates = Person.objects.filter(
        calendar_token__startswith=token[:TOKEN_SELECTOR], user__is_active=True
    )
    for person in candidates.only("pk", "name", "calendar_token"):
        if hmac.compare_digest(person.calendar_token.encode(), token.encode()):
            return person
    return None
