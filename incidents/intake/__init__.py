"""Alert intake: the formats monitoring and no-code tools speak, turned into alert groups.

- ``pagerduty``, ``alertmanager`` (and Grafana), ``webhook``: pure parsers, a decoded JSON
  document → ``Parsed(events, errors)``;
- ``body``: reading a request body safely (size, JSON, what a JSON column can store);
- ``receive``: check, store the raw event durably, wake the processor;
- ``known``: the integration a key names, remembered per process, and the guarded write;
- ``processing``: group events into alerts and act on incidents, in batches, idempotently;
- ``ratelimit``: the per-integration rate limit; ``signature``: Grafana's HMAC check.
"""

from .known import IntegrationChanged, find_integration, with_integration
from .processing import intake_backstop, process_batch, process_pending
from .receive import PARSERS, Receipt, event_receive, event_reject

__all__ = [
    "PARSERS",
    "IntegrationChanged",
    "Receipt",
    "event_receive",
    "event_reject",
    "find_integration",
    "intake_backstop",
    "process_batch",
    "process_pending",
    "with_integration",
]
