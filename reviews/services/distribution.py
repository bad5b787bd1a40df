"""Who hears about a published review: the distribution lists that match its services."""

from datetime import datetime

from django.db.models import Q

from incidents.models import Person, Service

from ..models import DistributionList, ReviewVersion
from .messages import tell


def review_services(review) -> list[Service]:
    """The services a review touches: every service its report found affected (the
    failed ones and those that failed with them)."""
    slugs = [row["slug"] for row in review.generated.get("services", [])]
    if not slugs:
        if review.incident_id is not None:
            return list(review.incident.services.all())
        near_miss = getattr(review, "near_miss", None)
        return [near_miss.service] if near_miss is not None else []
    return list(Service.objects.filter(slug__in=slugs))


def matching_lists(services) -> list[DistributionList]:
    """Active lists for everything, for one of ``services``, or for one of their tiers."""
    ids = [s.pk for s in services]
    tiers = {s.tier for s in services}
    everything = Q(tier__isnull=True, services=None)
    return list(
        DistributionList.objects.filter(active=True)
        .filter(everything | Q(services__in=ids) | Q(tier__in=tiers))
        .distinct()
        .order_by("name")
    )


def recipients(lists) -> list[Person]:
    """Every person on ``lists`` — named, in a team, or in an audience group — once."""
    ids = [entry.pk for entry in lists]
    if not ids:
        return []
    people = Person.objects.filter(
        Q(pk__in=DistributionList.people.through.objects.filter(
            distributionlist_id__in=ids
        ).values("person_id"))
        | Q(teams__in=DistributionList.teams.through.objects.filter(
            distributionlist_id__in=ids
        ).values("team_id"))
        | Q(audiences__in=DistributionList.audiences.through.objects.filter(
            distributionlist_id__in=ids
        ).values("audiencegroup_id"))
    )
    return list(
        people.distinct().order_by("name").prefetch_related("notification_rules__contact_method")
    )


def announce_publication(version: ReviewVersion, now: datetime) -> int:
    """Tell everyone on the matching lists that ``version`` is out; returns how many
    people a message was queued for."""
    review = version.review
    people = recipients(matching_lists(review_services(review)))
    context = {"review": review, "version": version, "content": version.content}
    return sum(
        tell(
            person=person, name="review-published", context=context,
            url=version.get_absolute_url(), cause=f"review:{review.pk}:v{version.number}",
            now=now,
        )
        for person in people
    )
