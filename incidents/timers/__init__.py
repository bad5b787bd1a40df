"""Durable timers: a registry of kinds and the sweep that fires due rows.

1. Whatever schedules work writes a Timer row in the same transaction as its state change
   (``schedule``), and cancels rows the same way (``cancel``).
2. Beat asks for a sweep about once a second (``incidents.tasks.timers_sweep``). The sweep
   claims due rows — ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional
   ``UPDATE … WHERE state='pending'`` elsewhere — marks them fired and runs their handler in
   the same transaction, so the Notification rows and timeline events a handler writes commit
   together with the claim, or not at all.
3. Handlers enqueue deliveries with ``transaction.on_commit``: a broker that loses a message
   loses nothing, because the rows are still there for the next sweep to find.
"""

from .registry import handler_for, register
from .sweep import cancel, schedule, sweep_due

__all__ = ["cancel", "handler_for", "register", "schedule", "sweep_due"]
