"""The dependency graph between services: cycles and what breaks when something fails."""

from ..models import ServiceDependency


def _path(edges: dict[int, set[int]], start: int, goal: int) -> list[int] | None:
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


def find_cycle(edges: dict[int, set[int]], service: int, depends_on: int) -> list[int] | None:
    """The cycle that adding ``service → depends_on`` would close, as nodes, or None.

    Pure: ``edges`` maps each node to the nodes it depends on.
    """
    if service == depends_on:
        return [service, service]
    back = _path(edges, depends_on, service)
    return None if back is None else [service, *back]


def dependency_edges() -> dict[int, set[int]]:
    edges: dict[int, set[int]] = {}
    for src, dst in ServiceDependency.objects.values_list("service_id", "depends_on_id"):
        edges.setdefault(src, set()).add(dst)
    return edges


def dependency_cycle(service_id: int, depends_on_id: int) -> list[str] | None:
    """Names along the cycle that ``service → depends_on`` would create, or None."""
    from ..models import Service

    cycle = find_cycle(dependency_edges(), service_id, depends_on_id)
    if cycle is None:
        return None
    names = dict(Service.objects.filter(pk__in=cycle).values_list("pk", "name"))
    return [names[pk] for pk in cycle]
