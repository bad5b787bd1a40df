"""Where apps built on incidents join its workflows without incidents importing them.

An app appends a callable in its AppConfig.ready(); the workflow calls each one inside its
own transaction, with keyword arguments only.
"""

from collections.abc import Callable

# on_declared(incident=…, now=…): e.g. playbooks attach their checklists as tasks.
on_declared: list[Callable] = []
# on_type_changed(incident=…, now=…): the incident's type was set or changed by hand.
on_type_changed: list[Callable] = []


def run(hooks: list[Callable], **kwargs) -> None:
    for hook in hooks:
        hook(**kwargs)
