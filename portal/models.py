from django.db import models
from django.utils import timezone


class Heartbeat(models.Model):
    """When a recurring background job last ran; ``/healthz`` and the page banner read it."""

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def record(cls, name: str, at=None) -> None:
        at = at or timezone.now()
        # update first: one statement on the hot path, an insert only the very first time.
        if not cls.objects.filter(name=name).update(beat_at=at):
            cls.objects.update_or_create(name=name, defaults={"beat_at": at})

    @classmethod
    def age_seconds(cls, name: str, now=None) -> float | None:
        """Seconds since ``name`` last beat, or None when it never has."""
        beat_at = cls.objects.filter(name=name).values_list("beat_at", flat=True).first()
        if beat_at is None:
            return None
        return max(0.0, ((now or timezone.now()) - beat_at).total_seconds())


class ThrottleHit(models.Model):
    """One counted request of a rate-limited form (password reset, status subscription).

    The key (an address, an e-mail address) is kept only as a keyed hash: the table says how
    often, never who. Rows older than their scope's window are deleted as new ones come.
    """

    scope = models.CharField(max_length=40)
    key_hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scope", "key_hash", "at"], name="throttle_hit_lookup")]

    def __str__(self):
        return f"{self.scope} at {self.at:%Y-%m-%d %H:%M:%S}"
