"""What the Celery broker holds: how many messages wait in a queue."""

import logging

from kombu.exceptions import ChannelError

log = logging.getLogger(__name__)


def waiting(queue: str) -> int | None:
    """Messages waiting in ``queue`` (not those a worker has already taken), or None when
    the broker cannot be asked. A queue the broker does not know is an empty one."""
    from .celery import app

    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1)  # a broker that is down: say so now
            declared = connection.default_channel.queue_declare(queue=queue, passive=True)
            return declared.message_count
    except ChannelError:
        return 0  # never declared, or emptied: Redis drops an empty list
    except Exception:  # a broker that is down or restarting: the caller decides without it
        log.warning("could not count the messages waiting in %r", queue, exc_info=True)
        return None
