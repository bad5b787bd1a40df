"""Response targets in force for a service: the defaults, replaced by its own rows."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from ..models import ResponseTarget, Service, Severity


@dataclass(frozen=True)
class TargetInForce:
    """The response target of one severity for one service; ``target`` None when none is set."""

    severity: Severity
    target: ResponseTarget | None
    overridden: bool = False


def targets_in_force(rows: Iterable[ResponseTarget], service_id: int) -> list[TargetInForce]:
    """One entry per severity, SEV1 first: the service's own row where it has one, else the
    default row. Pure over ``rows`` (defaults and overrides, in any order)."""
    defaults: dict[str, ResponseTarget] = {}
    overrides: dict[str, ResponseTarget] = {}
    for row in rows:
        if row.service_id is None:
            defaults[row.severity] = row
        elif row.service_id == service_id:
            overrides[row.severity] = row
    return [
        TargetInForce(
            severity=severity,
            target=overrides.get(severity) or defaults.get(severity),
            overridden=severity in overrides,
        )
        for severity in Severity
    ]


def response_targets_for(service: Service) -> list[TargetInForce]:
    """``targets_in_force`` for ``service``, in one query."""
    rows = ResponseTarget.objects.filter(Q(service__isnull=True) | Q(service=service))
    return targets_in_force(rows, service.pk)


def minutes_label(minutes: int | None) -> str:
    """A target as a person reads it: 5 min, 2 h, 1 h 30 min; an em dash for no target."""
    if minutes is None:
        return "—"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    if not rest:
        return f"{hours} h"
    return f"{hours} h {rest} min"
