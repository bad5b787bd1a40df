"""Business impact through the dependency graph, as rows a page or a workflow can use.

Each function loads every edge once and the services it reports on in one more query, so the
cost does not grow with the size of the catalog.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from ..models import Connector, Service, Tier
from . import graph


@dataclass(frozen=True)
class Reached:
    """A service found by walking the graph, and the services between it and the start."""

    service: Service
    via: tuple[Service, ...] = ()


@dataclass(frozen=True)
class Impact:
    """What is affected when some services fail: the failed ones and their dependents."""

    failed: tuple[Service, ...]
    dependents: tuple[Reached, ...]

    @property
    def services(self) -> tuple[Service, ...]:
        return self.failed + tuple(reached.service for reached in self.dependents)

    @property
    def business_processes(self) -> tuple[str, ...]:
        return business_processes(self.services)

    @property
    def tier_one(self) -> tuple[Service, ...]:
        """The critical services affected, the failed ones included."""
        return tuple(s for s in self.services if s.tier == Tier.CRITICAL)

    @property
    def tier_one_dependents(self) -> tuple[Reached, ...]:
        """The critical services that fail only because something they need failed."""
        return tuple(r for r in self.dependents if r.service.tier == Tier.CRITICAL)


@dataclass(frozen=True)
class ConnectorUse:
    """A connector that ``service`` relies on, directly or through the services in ``via``."""

    connector: Connector
    via: tuple[Service, ...] = ()


@dataclass(frozen=True)
class Neighbourhood:
    """Everything the service page shows about the graph around one service."""

    service: Service
    upstream: tuple[Reached, ...]
    connectors: tuple[ConnectorUse, ...]
    impact: Impact


def business_processes(services: Iterable[Service]) -> tuple[str, ...]:
    """The distinct business processes of ``services``, alphabetical, blanks left out."""
    names = {s.business_process.strip() for s in services if s.business_process.strip()}
    return tuple(sorted(names, key=str.casefold))


def _catalog_order(service: Service):
    return (service.tier, service.name.casefold())


def _reached(paths: graph.Paths, rows: dict[int, Service], skip: set[int]) -> tuple[Reached, ...]:
    """Rows for ``paths`` (minus ``skip``), most critical first; ``via`` drops both ends."""
    found = [
        Reached(service=rows[pk], via=tuple(rows[step] for step in path[1:-1]))
        for pk, path in paths.items()
        if pk not in skip and pk in rows
    ]
    return tuple(sorted(found, key=lambda r: _catalog_order(r.service)))


def _rows(ids: Iterable[int]) -> dict[int, Service]:
    return Service.objects.select_related("owner_team").in_bulk(set(ids))


def failure_impact(failed_ids: Iterable[int]) -> Impact:
    """What breaks when the services ``failed_ids`` fail (two queries)."""
    failed_ids = set(failed_ids)
    paths = graph.affected_by(graph.dependency_edges(), failed_ids)
    rows = _rows(paths)
    failed = tuple(sorted((rows[pk] for pk in failed_ids if pk in rows), key=_catalog_order))
    return Impact(failed=failed, dependents=_reached(paths, rows, skip=failed_ids))


def connector_failure_impact(connector: Connector | int) -> Impact:
    """What breaks when a no-code connector fails: its users and their dependents (3 queries)."""
    connector_id = connector.pk if isinstance(connector, Connector) else connector
    return failure_impact(graph.connector_users(connector_id))


def neighbourhood(service: Service) -> Neighbourhood:
    """Upstream services and connectors of ``service`` and what breaks if it fails (3 queries)."""
    edges = graph.dependency_edges()
    up = graph.upstream(edges, service.pk)
    down = graph.walk(graph.invert(edges), [service.pk])
    rows = _rows({*up, *down})
    rows[service.pk] = service

    # Connectors of the upstream services count too: when they fail, so does this service.
    uses = Service.connectors.through.objects.filter(
        service_id__in={service.pk, *up}
    ).select_related("connector")
    closest: dict[int, ConnectorUse] = {}
    for use in uses:
        path = up.get(use.service_id, ())
        via = tuple(rows[step] for step in path[1:])
        known = closest.get(use.connector_id)
        if known is None or len(via) < len(known.via):
            closest[use.connector_id] = ConnectorUse(connector=use.connector, via=via)
    connectors = sorted(closest.values(), key=lambda c: (len(c.via), c.connector.name.casefold()))

    return Neighbourhood(
        service=service,
        upstream=_reached(up, rows, skip=set()),
        connectors=tuple(connectors),
        impact=Impact(failed=(service,), dependents=_reached(down, rows, skip={service.pk})),
    )
