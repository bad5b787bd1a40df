"""A small organisation for drill tests: a tier-1 Payments service with its rotation, an
owner team with a manager, and a leadership group, each person reachable by email.

With the default tier 1 × SEV1 policy, the expected stakeholders are: the on-call at
minute 0, the manager at minute 5, leadership at minute 10.
"""

from dataclasses import dataclass

from incidents.models import AudienceGroup, Person, Service
from tests.incidents.factories import make_person, make_rotation, make_service, make_team
from tests.playbooks.builders import reach_by


@dataclass
class Org:
    service: Service
    olu: Person  # on call
    priya: Person  # manager of the owner team
    lena: Person  # leadership
    hannah: Person  # leadership


def build_org(reachable: bool = True) -> Org:
    olu, kim = make_person("Olu Oncall"), make_person("Kim Backup")
    priya = make_person("Priya Manager")
    lena, hannah = make_person("Lena Leader"), make_person("Hannah Head")
    team = make_team("Finance Operations", manager=priya)
    rotation = make_rotation("Payments rota", people=[olu, kim], team=team)
    service = make_service("Payments", owner_team=team, rotation=rotation, tier=1)
    AudienceGroup.objects.get(slug="leadership").members.set([lena, hannah])
    if reachable:
        for person in (olu, kim, priya, lena, hannah):
            reach_by(person, "email", f"{person.name.split()[0].lower()}@example.org")
    return Org(service=service, olu=olu, priya=priya, lena=lena, hannah=hannah)
