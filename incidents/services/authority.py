"""Who may do what: portal roles for everyday actions, decision authority for the big ones."""

from django.core.exceptions import PermissionDenied

from portal import roles

from ..models import DecisionAuthority, Incident, IncidentRole


class NotAllowed(PermissionDenied):
    """The actor's roles do not allow this action; the message says who may."""


def person_of(user):
    """The roster Person linked to ``user``, or None."""
    if user is None or not user.is_authenticated:
        return None
    # A missing reverse one-to-one raises an AttributeError subclass, so getattr covers it.
    return getattr(user, "person", None)


def actor_name(user) -> str:
    if user is None:
        return "Portal"
    return user.get_full_name() or user.get_username()


def require_operator(user) -> None:
    """Everyday incident actions (acknowledge, notes, tasks) are for operators, not readers."""
    if not roles.has_role(user, *roles.OPERATORS):
        raise NotAllowed("Only incident commanders, responders and communications may act here.")


def incident_roles_of(user, incident: Incident | None) -> set[str]:
    person = person_of(user)
    if incident is None or incident.pk is None or person is None:
        return set()
    return set(
        IncidentRole.objects.filter(incident=incident, holder=person).values_list("kind", flat=True)
    )


def may(user, action: str, severity: str, incident: Incident | None = None) -> bool:
    """True when ``user`` may take ``action`` at ``severity`` (on ``incident``, if given)."""
    authority = (
        DecisionAuthority.objects.filter(severity=severity, action=action)
        .prefetch_related("portal_roles")
        .first()
    )
    if authority is None:
        return False  # fail closed: an action nobody configured is nobody's
    allowed_roles = {group.name for group in authority.portal_roles.all()}
    if not allowed_roles.isdisjoint(roles.user_roles(user)):
        return True
    return not incident_roles_of(user, incident).isdisjoint(authority.incident_roles)


def may_declare(user) -> bool:
    """True when ``user`` may declare at some severity: an operator (the declare page is
    theirs) whose portal role the decision authority lets declare. One query."""
    held = roles.user_roles(user)
    if held.isdisjoint(roles.OPERATORS):
        return False
    cached = getattr(user, "_may_declare", None)  # the header and the page ask it once
    if cached is None:
        cached = DecisionAuthority.objects.filter(
            action=DecisionAuthority.Action.DECLARE, portal_roles__name__in=held
        ).exists()
        user._may_declare = cached
    return cached


def require(user, action: str, severity: str, incident: Incident | None = None) -> None:
    if may(user, action, severity, incident):
        return
    authority = DecisionAuthority.objects.filter(severity=severity, action=action).first()
    who = describe(authority) if authority else "nobody (not configured)"
    label = DecisionAuthority.Action(action).label.lower()
    raise NotAllowed(f"You may not {label} at {severity.upper()}: that is for {who}.")


def describe(authority: DecisionAuthority) -> str:
    from ..models import IncidentRoleKind

    names = [group.name for group in authority.portal_roles.all()]
    seats = {IncidentRoleKind.COMMANDER: "commander"}
    names += [
        f"the incident's {seats.get(kind, IncidentRoleKind(kind).label.lower())}"
        for kind in authority.incident_roles
        if kind in IncidentRoleKind.values
    ]
    return ", ".join(names) or "nobody"
