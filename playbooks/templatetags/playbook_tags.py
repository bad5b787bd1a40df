"""Template helpers for playbook and drill pages, and for the incident page's playbook box."""

from datetime import timedelta

from django import template

from ..services import attached_playbooks, incident_about, may_detach, playbooks_for

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A span as a person reads it: "45 s", "3 min 05 s", "1 h 02 min"; "—" for none."""
    if value is None:
        return "—"
    total = max(round(value.total_seconds()), 0)
    minutes, rest = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {rest:02d} s"
    return f"{rest} s"


@register.filter
def seconds(value: float | None) -> str:
    """A latency in seconds: "0.8 s", "12 s", "3 min 05 s"; "—" for none."""
    if value is None:
        return "—"
    if value < 10:
        return f"{value:.1f} s"
    return duration(timedelta(seconds=value))


@register.simple_tag(takes_context=True)
def incident_playbooks(context, incident) -> dict:
    """The playbooks for an incident's page: attached ones (with their progress) first,
    then those that match it and are not attached (or were detached); and whether the
    viewer may detach."""
    user = getattr(context.get("request"), "user", None)
    attached = attached_playbooks(incident)
    tasks = list(incident.tasks.filter(source__startswith="playbook:"))
    rows = []
    for playbook in attached:
        mine = [task for task in tasks if task.source == playbook.source]
        rows.append({
            "playbook": playbook,
            "attached": True,
            "done": sum(1 for task in mine if task.is_done),
            "total": len(mine),
        })
    seen = {playbook.pk for playbook in attached}
    # The incident page has its services in the context already.
    about = incident_about(incident, services=context.get("services"))
    for playbook in playbooks_for(incident, about):
        if playbook.pk not in seen:
            rows.append({"playbook": playbook, "attached": False, "done": 0, "total": 0,
                         "detached": playbook.source in about.detached})
    may = bool(attached) and user is not None and incident.is_open and may_detach(user, incident)
    return {"rows": rows, "may_detach": may}
