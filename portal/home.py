"""The home page's sections: each app registers what it knows about the viewer's work.

``portal`` imports no app, so it cannot know what an incident, a rotation or an action item
is. An app calls ``register_section`` from its ``AppConfig.ready()`` with a loader
``(user, now) -> dict | None`` (the section's context, or None when the section is not for
this viewer) and the template that shows it. Loaders must run a fixed number of queries
whatever the amount of data: the home page has a query budget in the tests.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HomeSection:
    name: str
    loader: Callable
    template: str
    order: int


SECTIONS: dict[str, HomeSection] = {}


def register_section(name: str, loader: Callable, template: str, order: int = 100) -> None:
    """Add (or replace, by ``name``) a home section; lower ``order`` comes first."""
    SECTIONS[name] = HomeSection(name, loader, template, order)


def sections_for(user, now) -> list[dict]:
    """The sections this viewer gets, in order, each as ``{"name", "template", "data"}``."""
    shown = []
    for section in sorted(SECTIONS.values(), key=lambda s: (s.order, s.name)):
        data = section.loader(user, now)
        if data is not None:
            shown.append({"name": section.name, "template": section.template, "data": data})
    return shown
