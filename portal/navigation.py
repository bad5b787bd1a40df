"""The main navigation, filtered by the viewer's portal roles.

An entry whose URL is not routed (its app not installed in this deployment) is left out
rather than shown as a dead link.
"""

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
