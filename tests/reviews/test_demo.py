"""The demo has reviews in every state, action items, lists, near misses and feedback, and
seeding twice adds nothing; nobody is messaged by the seed itself."""

from django.contrib.auth import get_user_model
from django.core.management import call_command

from incidents.models import Notification
from reviews.models import ActionItem, DistributionList, Feedback, NearMiss, Review


def counts():
    return [m.objects.count() for m in (Review, ActionItem, DistributionList, NearMiss, Feedback)]


def test_seed_demo_writes_reviews_once(db):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    states = set(Review.objects.values_list("state", flat=True))
    assert states == {"draft", "in_review", "published"}
    assert ActionItem.objects.filter(status="done").exists()
    assert {i.quadrant for i in ActionItem.objects.all()} >= {"quick_win", "major_project"}
    assert not Notification.objects.filter(reason="reminder").exists()


def test_every_reviews_page_of_the_demo_renders(db, client):
    call_command("seed_demo")
    client.force_login(get_user_model().objects.get(username="commander"))
    paths = ["/reviews/", "/reviews/actions/", "/reviews/actions/?sort=quadrant",
             "/near-misses/", "/reviews/feedback/", "/reviews/distribution/"]
    for review in Review.objects.all():
        paths += [review.get_absolute_url(), f"/reviews/{review.pk}/print/",
                  f"/reviews/{review.pk}/report.md"]
        if review.incident_id:
            paths.append(f"/reviews/incidents/{review.incident_id}/feedback/")
        if not review.is_published:
            paths.append(f"/reviews/{review.pk}/edit/")
        paths += [version.get_absolute_url() for version in review.versions.all()]
    paths += [item.get_absolute_url() for item in ActionItem.objects.all()]
    paths += [near_miss.get_absolute_url() for near_miss in NearMiss.objects.all()]
    for path in paths:
        assert client.get(path).status_code == 200, path
