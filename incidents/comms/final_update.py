"""The final public update: resolving a public incident closes its story on the status page.

1. Resolving an incident that affects a public service (not a drill) drafts a "Resolved"
   update answering the five questions, from the last update's words.
2. It is published at once when the resolver may publish to customers (decision authority
   at the incident's severity); for a resolve no person made (an alert), when every affected
   public service publishes automatic status changes at once. Otherwise the draft waits,
   with a due clock (a timer of ``cadence.FINAL_UPDATE_DUE``) that reminds the
   communications lead (the commander when nobody holds that seat).
3. Publishing any public update after the resolution stops that clock (``update_publish``).
"""

from dataclasses import asdict, fields
from datetime import datetime, timedelta

from ..models import (
    AutomaticStatus,
    DecisionAuthority,
    Incident,
    StatusUpdate,
    Timer,
)
from ..services.authority import may
from ..timers import schedule
from .cadence import FINAL_UPDATE_DUE
from .publish import update_publish
from .render import Draft, when

DUE_AFTER = timedelta(minutes=30)
Visibility = StatusUpdate.Visibility


def is_public_incident(incident: Incident) -> bool:
    """Customers may have seen it: not a drill, and a public service is affected."""
    return not incident.is_drill and incident.services.filter(public=True).exists()


def final_draft(incident: Incident, at: datetime) -> Draft:
    """A "Resolved" update from the last one's words."""
    last = incident.status_updates.order_by("-posted_at", "-id").first()
    public = list(incident.services.filter(public=True).order_by("name")
                  .values_list("name", flat=True))
    names = ", ".join(public)
    works = "work" if len(public) > 1 else "works"
    # The status page and the feed put "Resolved" before the headline themselves.
    headline = (last.customer_headline if last else "") or f"Disruption to {names}"
    return Draft(
        what_happened=(last.what_happened if last else "") or incident.title,
        current_impact=f"None any more: {names} {works} normally again.",
        being_done="The incident is resolved; we are reviewing what happened to prevent it "
        "from happening again.",
        responsible=(last.responsible if last else "") or "The incident team",
        expected_timeline=f"Resolved at {when(at)}. No further updates are planned.",
        customer_headline=headline,
        customer_wording=f"This incident is resolved: {names} {works} normally again. We are "
        "sorry for the disruption and are reviewing what happened.",
        visibility=Visibility.PUBLIC,
    )


def publishes_at_once(incident: Incident, by) -> bool:
    if by is not None:
        return may(by, DecisionAuthority.Action.PUBLISH_CUSTOMERS, incident.severity, incident)
    return not incident.services.filter(
        public=True, automatic_status=AutomaticStatus.HOLD
    ).exists()


def resolution_follow(incident: Incident, *, by, at: datetime) -> StatusUpdate | None:
    """After resolving: the final public update, published or waiting as a draft."""
    if not is_public_incident(incident):
        return None
    draft = final_draft(incident, at)
    if publishes_at_once(incident, by):
        return update_publish(
            incident=incident, draft=draft, by=by, confirm_flagged=True, now=at,
            system=by is None,
        )
    schedule(kind=FINAL_UPDATE_DUE, due_at=at + DUE_AFTER, incident=incident,
             draft=_stored(draft))
    return None


def _stored(draft: Draft) -> dict:
    return {k: v for k, v in asdict(draft).items() if k != "next_update_at"}


def waiting_draft(incident: Incident) -> tuple[Draft, datetime] | None:
    """The final update waiting to be published, and when it is due."""
    timer = (
        Timer.objects.filter(incident=incident, kind=FINAL_UPDATE_DUE)
        .exclude(state=Timer.State.CANCELLED).order_by("-pk").first()
    )
    if timer is None or "draft" not in timer.reference:
        return None
    names = {f.name for f in fields(Draft)}
    values = {k: v for k, v in timer.reference["draft"].items() if k in names}
    return Draft(**values), timer.due_at
