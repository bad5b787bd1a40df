"""Which incidents a user may see: the one place every list of incidents asks.

Today every role that reads incidents sees all of them. Restricted incidents (a security
breach, a personnel matter: visible only to their seat holders, the people they paged,
those invited and commanders) will narrow this queryset here, and every surface that lists
incidents through it follows.
"""

from portal import roles

from .models import Incident

INCIDENT_READERS = (roles.LEADERSHIP, *roles.OPERATORS)


def incidents_visible_to(user):
    """The incidents ``user`` may see, as a queryset to filter further."""
    if not roles.has_role(user, *INCIDENT_READERS):
        return Incident.objects.none()
    return Incident.objects.all()
