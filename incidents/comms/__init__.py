"""Communications during an incident.

- ``publish``: posting a status update (five answers), its checks and its timeline event;
- ``render``: one update worded per audience and channel from the message templates, through
  the template ``sandbox``, with the ``glossary`` defining terms and keeping internal names out;
- ``distribute``: who hears of an update, through the notification outbox and by email;
- ``cadence``: the reminder before the next update is due, huddles, the wrap-up prompt;
- ``service_status``: public service status following incidents; ``maintenance`` windows;
- ``public``: what the public status page and its feed may show; ``subscribers``: its
  double opt-in email list;
- ``follow``: the calls the incident lifecycle makes into this package;
- ``authority`` (who may speak for an incident), ``forms``, ``defaults`` (the wording of a
  fresh install) and ``demo`` (the demo organisation's updates, glossary and statements).

Submodules import only submodules of ``incidents.services`` (never the package itself): the
lifecycle workflows import ``follow`` while that package is still loading.
"""
