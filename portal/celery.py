"""The Celery application shared by the web process, the worker and beat."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# The embedded broker (no REDIS_URL): kombu's filesystem transport, made safe for several
# processes. Every process that talks to the broker imports this module first.
TRANSPORT_ALIASES["portal-filesystem"] = "portal.filesystem_broker:Transport"

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def recycle_connections(task=None, **kwargs):
    """Around each task, as around each web request: drop a connection that is broken or
    older than CONN_MAX_AGE, keep the others (see CELERY_DB_REUSE_MAX in the settings).
    Not around a task run in the caller's own process (``apply``, eager mode): the
    connection is the caller's, maybe inside its transaction."""
    from django.db import close_old_connections

    if task is not None and getattr(task.request, "is_eager", False):
        return

    close_old_connections()
