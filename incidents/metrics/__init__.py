"""Response metrics and the leadership dashboard's live panels, aggregated by the database.

- ``expressions``: milestone durations, response-target breaches, leadership reach, tier;
- ``response``: ``Totals`` of a set of incidents, overall or grouped, in one query each;
- ``report``: the period, and the whole report the dashboard shows (three queries);
- ``live``: the "now" panels and their version token (one query);
- ``definitions``: what every figure means, shown on the page and in the README.
"""

from .labels import duration_label, share_label
from .live import LivePanels, LiveVersion, live_panels, live_version
from .report import (
    DEFAULT_PERIOD_DAYS,
    PERIOD_DAYS,
    Period,
    ResponseReport,
    incidents_in,
    response_report,
)
from .response import Totals, totals, totals_by, totals_by_service, totals_by_team

__all__ = [
    "DEFAULT_PERIOD_DAYS",
    "PERIOD_DAYS",
    "LivePanels",
    "LiveVersion",
    "Period",
    "ResponseReport",
    "Totals",
    "duration_label",
    "incidents_in",
    "live_panels",
    "live_version",
    "response_report",
    "share_label",
    "totals",
    "totals_by",
    "totals_by_service",
    "totals_by_team",
]
