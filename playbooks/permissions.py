"""Who may do what with playbooks and drills (portal roles; see ``portal.roles``).

Every portal role reads playbooks: in an incident anybody taking part may need one; a
login without a role reads none. Operators and roster admins write them. Drills page real
people, so they are planned and started by incident commanders; leadership and operators
read their reports.
"""

from portal import roles

PLAYBOOK_READERS = roles.ALL_ROLES
PLAYBOOK_EDITORS = (*roles.OPERATORS, roles.ROSTER_ADMINS)
DRILL_READERS = (roles.LEADERSHIP, *roles.OPERATORS)
DRILL_RUNNERS = (roles.COMMANDERS,)


def may_edit_playbooks(user) -> bool:
    return roles.has_role(user, *PLAYBOOK_EDITORS)


def may_attach_playbooks(user) -> bool:
    """Adding tasks to an incident is an everyday incident action: operators only."""
    return roles.has_role(user, *roles.OPERATORS)


def may_detach_playbooks(user) -> bool:
    """Taking a playbook off an incident overrules its matching: commanders (the holder of
    an incident's commander seat too, checked with the incident)."""
    return roles.has_role(user, roles.COMMANDERS)


def may_read_drills(user) -> bool:
    return roles.has_role(user, *DRILL_READERS)


def may_run_drills(user) -> bool:
    return roles.has_role(user, *DRILL_RUNNERS)
