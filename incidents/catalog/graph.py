"""The dependency graph between services: cycles and what breaks when something fails.

The functions at the top are pure: they take ``edges``, a dict mapping each service id to the
ids of the services it depends on, and never touch the database. The loaders at the bottom read
every edge in one query; the catalog is small, so walking it in memory beats a query per node.
"""

from collections import deque
from collections.abc import Iterable

from ..models import Connector, Service, ServiceDependency

Edges = dict[int, set[int]]
# Each reached service → the ids along the shortest way to it, from where the walk started.
Paths = dict[int, tuple[int, ...]]


def _path(edges: Edges, start: int, goal: int) -> list[int] | None:
    """A path start → … → goal along ``edges`` (depth-first), or None."""
    stack = [(start, [start])]
    seen = {start}
    while stack:
        node, path = stack.pop()
        if node == goal:
            return path
        for nxt in edges.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def find_cycle(edges: Edges, service: int, depends_on: int) -> list[int] | None:
    """The cycle that adding ``service → depends_on`` would close, as nodes, or None.

    Pure: ``edges`` maps each node to the nodes it depends on.
    """
    if service == depends_on:
        return [service, service]
    back = _path(edges, depends_on, service)
    return None if back is None else [service, *back]


def invert(edges: Edges) -> Edges:
    """The same graph seen from the other end: each service → the services that need it."""
    dependents: Edges = {}
    for service, needs in edges.items():
        for needed in needs:
            dependents.setdefault(needed, set()).add(service)
    return dependents


def walk(edges: Edges, starts: Iterable[int]) -> Paths:
    """Every node reachable from ``starts`` along ``edges``, with its shortest path.

    Breadth-first so that the path shown to a reader is the most direct one. The starting
    nodes are in the answer with a path of themselves. Safe on graphs with cycles (rows
    written around ``clean()`` could make one), which it simply does not loop around.
    """
    paths: Paths = {}
    queue: deque[int] = deque()
    for start in starts:
        if start not in paths:
            paths[start] = (start,)
            queue.append(start)
    while queue:
        node = queue.popleft()
        for nxt in sorted(edges.get(node, ())):  # sorted: the same path every time
            if nxt not in paths:
                paths[nxt] = (*paths[node], nxt)
                queue.append(nxt)
    return paths


def upstream(edges: Edges, service: int) -> Paths:
    """What ``service`` needs, directly or through other services (itself left out)."""
    paths = walk(edges, [service])
    del paths[service]
    return paths


def downstream(edges: Edges, service: int) -> Paths:
    """What stops working when ``service`` fails: its dependents, transitively (itself left out)."""
    paths = walk(invert(edges), [service])
    del paths[service]
    return paths


def affected_by(edges: Edges, failed: Iterable[int]) -> Paths:
    """Every service affected when the ``failed`` ones fail, the failed ones included."""
    return walk(invert(edges), failed)


# --- Loaders: a fixed number of queries, whatever the size of the catalog ---------------------


def dependency_edges(ignoring: int | None = None) -> Edges:
    """Every service → the services it depends on, in one query.

    ``ignoring`` leaves out one ServiceDependency row: the one being edited, whose stored
    version must not count against its new one.
    """
    rows = ServiceDependency.objects.all()
    if ignoring is not None:
        rows = rows.exclude(pk=ignoring)
    edges: Edges = {}
    for src, dst in rows.values_list("service_id", "depends_on_id"):
        edges.setdefault(src, set()).add(dst)
    return edges


def connector_users(connector_id: int) -> set[int]:
    """The services that use ``connector_id`` directly, in one query."""
    through = Service.connectors.through.objects.filter(connector_id=connector_id)
    return set(through.values_list("service_id", flat=True))


def services_upstream_of(service_id: int) -> set[int]:
    """Ids of the services ``service_id`` depends on, transitively (one query)."""
    return set(upstream(dependency_edges(), service_id))


def services_downstream_of(service_id: int) -> set[int]:
    """Ids of the services that break when ``service_id`` fails, transitively (one query)."""
    return set(downstream(dependency_edges(), service_id))


def services_depending_on_connector(connector: Connector | int) -> set[int]:
    """Ids of the services that break when ``connector`` fails (two queries).

    The services using it directly and every service depending on those, however far.
    """
    connector_id = connector.pk if isinstance(connector, Connector) else connector
    users = connector_users(connector_id)
    if not users:
        return set()
    return set(affected_by(dependency_edges(), users))


def dependency_cycle(
    service_id: int, depends_on_id: int, ignoring: int | None = None
) -> list[str] | None:
    """Names along the cycle that ``service → depends_on`` would create, or None."""
    cycle = find_cycle(dependency_edges(ignoring), service_id, depends_on_id)
    if cycle is None:
        return None
    names = dict(Service.objects.filter(pk__in=cycle).values_list("pk", "name"))
    return [names[pk] for pk in cycle]
