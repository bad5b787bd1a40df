"""The main navigation, filtered by the viewer's portal roles, and the header's actions.

An entry whose URL is not routed (its app not installed in this deployment) is left out
rather than shown as a dead link. Header actions (Declare incident) are registered by the
apps that own them, in their ``AppConfig.ready()``: whether a viewer may take one is the
app's rule (decision authority), which ``portal`` does not know.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from . import roles


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: tuple[str, ...] | None  # None: every logged-in user, with a role or not

    def allows(self, user_roles: frozenset[str]) -> bool:
        return self.roles is None or not user_roles.isdisjoint(self.roles)


NAVIGATION = (
    NavEntry("Board", "incidents:board", (roles.LEADERSHIP, *roles.OPERATORS)),
    NavEntry("Incidents", "incidents:incident_list", (roles.LEADERSHIP, *roles.OPERATORS)),
    NavEntry("Dashboard", "incidents:dashboard", (roles.LEADERSHIP, roles.COMMANDERS)),
    NavEntry("Services", "incidents:service_list", roles.ALL_ROLES),
    NavEntry("On call", "incidents:oncall", roles.ALL_ROLES),
    NavEntry("Integrations", "incidents:integration_list", (*roles.OPERATORS, roles.ROSTER_ADMINS)),
    NavEntry("Playbooks", "playbooks:playbook_list", roles.ALL_ROLES),
    NavEntry("Drills", "playbooks:drill_list", (roles.LEADERSHIP, *roles.OPERATORS)),
    NavEntry("Reviews", "reviews:review_list", roles.ALL_ROLES),
    NavEntry("Status", "incidents:status_page", None),
    NavEntry("Admin", "admin:index", (roles.ROSTER_ADMINS,)),
)


def navigation_for(user) -> list[dict]:
    held = roles.user_roles(user)
    entries = []
    for entry in NAVIGATION:
        if not entry.allows(held):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        entries.append({"label": entry.label, "url": url})
    return entries


@dataclass(frozen=True)
class HeaderAction:
    label: str
    url_name: str
    allows: Callable  # (user) -> bool


HEADER_ACTIONS: list[HeaderAction] = []


def register_action(label: str, url_name: str, allows: Callable) -> None:
    """Show ``label`` (a link to ``url_name``) in the header to the users ``allows``."""
    if not any(action.url_name == url_name for action in HEADER_ACTIONS):
        HEADER_ACTIONS.append(HeaderAction(label, url_name, allows))


def actions_for(user) -> list[dict]:
    actions = []
    for action in HEADER_ACTIONS:
        try:
            url = reverse(action.url_name)
        except NoReverseMatch:
            continue
        if action.allows(user):
            actions.append({"label": action.label, "url": url})
    return actions
