"""Which policy applies, and the snapshot an incident escalates by."""

from ..models import EscalationPolicy, Incident, Tier

# An incident with no affected service yet is treated as tier 2: wide enough to reach the
# cross-functional group, without paging leadership for something nobody has scoped.
UNSCOPED_TIER = Tier.IMPORTANT


def highest_tier(service_tiers) -> int:
    """Tier 1 is the highest. ``service_tiers``: the tiers of the affected services."""
    tiers = list(service_tiers)
    return min(tiers) if tiers else UNSCOPED_TIER


def policy_for(incident: Incident) -> EscalationPolicy | None:
    tier = highest_tier(incident.services.values_list("tier", flat=True))
    return (
        EscalationPolicy.objects.filter(tier=tier, severity=incident.severity)
        .prefetch_related("steps__targets")
        .first()
    )


def snapshot(policy: EscalationPolicy) -> dict:
    """The policy as plain data: later edits of the policy do not change a running plan."""
    return {
        "policy": policy.pk,
        "name": policy.name,
        "tier": policy.tier,
        "severity": policy.severity,
        "rounds": policy.repeat_rounds,
        "repeat_after": policy.repeat_after_minutes,
        "fallback_rotation": policy.fallback_rotation_id,
        "fallback_person": policy.fallback_person_id,
        "steps": [
            {
                "delay": step.delay_minutes,
                "urgency": step.urgency,
                "targets": [
                    {
                        "kind": t.kind,
                        "rotation": t.rotation_id,
                        "person": t.person_id,
                        "team": t.team_id,
                        "audience": t.audience_id,
                        "incident_role": t.incident_role,
                    }
                    for t in step.targets.all()
                ],
            }
            for step in policy.steps.all()
        ],
    }


def next_position(plan: dict, round_: int, step: int) -> tuple[int, int] | None:
    """The (round, step) after ``(round_, step)``, or None when the plan is exhausted."""
    if step + 1 < len(plan["steps"]):
        return round_, step + 1
    if round_ + 1 < plan["rounds"] and plan["steps"]:
        return round_ + 1, 0
    return None
