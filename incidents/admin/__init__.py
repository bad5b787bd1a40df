"""The admin site for roster admins: catalog, rosters, rotations and decision authority.

Importing the modules registers their model admins on the portal's admin site. Other parts of
the incidents app keep their admin beside their code and are registered from here, since Django
only discovers ``incidents.admin``.
"""

from ..notifications import admin as notifications_admin  # noqa: F401
from . import catalog, escalation, integrations, rosters, rotations  # noqa: F401
from . import communications as communications_admin  # noqa: F401
