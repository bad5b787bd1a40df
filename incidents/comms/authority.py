"""Who may speak for an incident: post updates, set public service status, call huddles."""

from portal import roles

from ..models import Incident, IncidentRoleKind
from ..services.authority import NotAllowed, incident_roles_of

POSTER_ROLES = (roles.COMMUNICATIONS, roles.COMMANDERS)
POSTER_SEATS = {IncidentRoleKind.COMMUNICATIONS_LEAD.value, IncidentRoleKind.COMMANDER.value}


def may_post(user, incident: Incident) -> bool:
    """The Communications or Incident commanders role, or the incident's communications lead
    or commander seat."""
    if user is None or not user.is_authenticated:
        return False
    if roles.has_role(user, *POSTER_ROLES):
        return True
    return not incident_roles_of(user, incident).isdisjoint(POSTER_SEATS)


def require_poster(user, incident: Incident) -> None:
    if not may_post(user, incident):
        raise NotAllowed(
            "Updates are posted by the communications lead or the commander: the "
            "Communications or Incident commanders role, or this incident's communications "
            "lead or commander seat."
        )
