"""What each dashboard figure means, word for word as the page and the README state it."""

from dataclasses import dataclass

from django.utils.text import slugify


@dataclass(frozen=True)
class Definition:
    term: str
    text: str

    @property
    def slug(self) -> str:
        """The anchor of the definition on the page."""
        return slugify(self.term)


DEFINITIONS = (
    Definition(
        "Incidents in the period",
        "Incidents declared within the last 7, 30 or 90 days up to now. Drills are left out "
        "unless “include drills” is on; incidents merged into another are left out (their "
        "story goes on in the one they were merged into). Severity, services and team are the "
        "incident's current ones.",
    ),
    Definition(
        "MTTA (mean time to acknowledge)",
        "The mean of acknowledged_at − declared_at over the incidents in the period that were "
        "acknowledged. When an acknowledgement was withdrawn and given again, the latest one "
        "counts. Incidents never acknowledged are not in the mean: they are counted apart, as "
        "“never acknowledged”.",
    ),
    Definition(
        "MTTR (mean time to resolve)",
        "The mean of resolved_at − declared_at over the incidents in the period that are "
        "resolved or closed. A reopened incident counts with its final resolution: reopening "
        "clears resolved_at and resolving again sets it, so its time includes the reopened "
        "spell. Incidents not resolved (still open, or reopened and open now) are not in the "
        "mean: they are counted apart, as “unresolved”.",
    ),
    Definition(
        "Time to triage",
        "The mean of triaged_at − declared_at (the incident left triage) over the incidents "
        "that left triage.",
    ),
    Definition(
        "Time to first decision",
        "The mean of first_decision_at − declared_at over the incidents with a recorded "
        "decision.",
    ),
    Definition(
        "Escalations per incident",
        "The mean of escalation_level over the incidents in the period: the number of "
        "escalation steps run for an incident, its first step (paging on-call) and escalations "
        "made by hand included.",
    ),
    Definition(
        "Reached leadership",
        "The share of the incidents in the period with at least one escalating notification "
        "(an escalation step, a manual page or a missed-target rule; not a status update) "
        "queued for a current member of the “leadership” audience group and not cancelled "
        "before it went out.",
    ),
    Definition(
        "Response target missed",
        "Per target, among the incidents that have it (the severity's minutes, a service's "
        "own minutes where it sets them, the strictest of the incident's services), the share "
        "that missed it. Acknowledge, triage and first decision: the milestone came after its "
        "due time, or never came and the clock reached due before resolution (or before now, "
        "while open): the board's clocks, computed in the database. Update cadence: the "
        "incident recorded a missed update (its clock restarts with each update, so only the "
        "recorded breach tells). “Targets missed”, overall, is missed clocks over clocks set, "
        "every target of every incident counted once.",
    ),
    Definition(
        "Incidents per tier",
        "An incident's tier is the most critical tier among its affected services, the one "
        "that chooses its escalation policy. Incidents that name no service are counted apart.",
    ),
    Definition(
        "Per service and per team",
        "An incident counts for every service it names, and once for each team owning one of "
        "those services, however many of the team's services it names.",
    ),
    Definition(
        "Trends",
        "Incidents are put in the week (Monday to Sunday; the day, for a 7-day period) in which "
        "they were declared, in the portal's time zone. A week's MTTA and MTTR are those of "
        "the incidents declared in it; the first and the current week are partial.",
    ),
    Definition(
        "Now: open incidents and impact",
        "Every open incident (drills only when included), most urgent first within its "
        "severity; missed targets are the board's clocks, update cadence included. A business "
        "process is impacted when one of its services is named on an open incident, is "
        "degraded or in outage, uses a failing connector, or depends, however indirectly, on a "
        "service that is.",
    ),
    Definition(
        "Workload",
        "Seats held on open incidents, and pages per person: notifications queued in the last "
        "24 hours and 7 days for an escalation step, a manual page or a missed-target rule, "
        "not cancelled, drills left out unless included. Someone holding seats on two or more "
        "open incidents, or paged ten or more times in 24 hours, is marked busy.",
    ),
    Definition(
        "Freshness",
        "The “now” panels refresh every few seconds and are never more than a minute behind on "
        "running clocks. Metrics follow a change to any incident within half a minute, and are "
        "never more than two minutes old.",
    ),
)
