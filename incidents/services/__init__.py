"""Workflows on incidents. Views, tasks, admin actions and integrations all call these."""

from .authority import NotAllowed, may, may_declare, person_of, require
from .command import (
    decision_record,
    decision_record_outcome,
    incident_add_note,
    incident_assign_role,
    incident_merge,
    incident_release_role,
    task_add,
    task_set_done,
)
from .lifecycle import (
    AlreadyDeclared,
    TransitionRefused,
    allowed_transitions,
    incident_acknowledge,
    incident_change_severity,
    incident_declare,
    incident_reopen,
    incident_set_services,
    incident_set_status,
    incident_set_type,
    incident_unacknowledge,
)

__all__ = [
    "AlreadyDeclared",
    "NotAllowed",
    "TransitionRefused",
    "allowed_transitions",
    "decision_record",
    "decision_record_outcome",
    "incident_acknowledge",
    "incident_add_note",
    "incident_assign_role",
    "incident_change_severity",
    "incident_declare",
    "incident_merge",
    "incident_release_role",
    "incident_reopen",
    "incident_set_services",
    "incident_set_status",
    "incident_set_type",
    "incident_unacknowledge",
    "may",
    "may_declare",
    "person_of",
    "require",
    "task_add",
    "task_set_done",
]
