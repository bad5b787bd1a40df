"""kombu's filesystem broker, made safe for several processes: the embedded default.

kombu's own filesystem transport creates a message file, then writes it; a reader in
another process can take the file in between and read it empty. Celery treats the
resulting ``JSONDecodeError`` as fatal and the worker exits (kombu issue #1551). Its reader
also moves a taken file to the system temporary folder, which may be another file system,
where the move is a copy that a second reader can catch half-written.

Here a message is written whole under ``staging/`` and renamed into the queue folder
(a rename within one file system is atomic: a reader sees no file or the whole file), and
a reader claims a file by renaming it into ``claimed/`` beside the queue, so exactly one
reader gets it. An exchange file is created the same way. A file that still fails to
parse (left by an older version, or a full disk) is moved to ``damaged/`` and logged
instead of stopping the worker: the durable Timer and Notification rows are the truth,
and the next sweep asks again for whatever that message asked for.
"""

import contextlib
import logging
import os
import time
import uuid
from pathlib import Path
from queue import Empty

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)

SUFFIX = ".msg"


def write_whole(path: Path, content: bytes, staging: Path, *, replace: bool = True) -> bool:
    """Write ``content`` to ``path`` so that no reader ever sees a part of it.

    With ``replace=False`` the file is only created if it does not exist yet (a hard link
    fails on an existing name, atomically); returns whether ``path`` now holds ``content``.
    """
    staging.mkdir(parents=True, exist_ok=True)
    temporary = staging / f"{uuid.uuid4().hex}.tmp"
    with open(temporary, "wb") as file:
        file.write(content)
    try:
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


class Channel(filesystem.Channel):
    @property
    def _root(self) -> Path:
        return Path(self.data_folder_in).parent

    @property
    def _staging(self) -> Path:
        return self._root / "staging"

    def _put(self, queue, payload, **kwargs):
        # Same name scheme as kombu's (the time first, so that a sorted listing is FIFO).
        name = f"{int(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}{SUFFIX}"
        write_whole(Path(self.data_folder_out) / name, str_to_bytes(dumps(payload)), self._staging)

    def _get(self, queue):
        wanted = f"{queue}{SUFFIX}"
        claimed = self._root / "claimed"
        claimed.mkdir(parents=True, exist_ok=True)
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            mine = claimed / name
            try:
                os.rename(os.path.join(self.data_folder_in, name), mine)
            except FileNotFoundError:
                continue  # another reader took it first
            payload = mine.read_bytes()
            try:
                message = loads(bytes_to_str(payload))
            except ValueError:
                self._set_aside(mine, payload)
                continue
            mine.unlink()
            return message
        raise Empty()

    def _set_aside(self, path: Path, payload: bytes) -> None:
        damaged = self._root / "damaged"
        damaged.mkdir(parents=True, exist_ok=True)
        os.replace(path, damaged / path.name)
        log.warning(
            "broker: set aside an unreadable message file %s (%d bytes); "
            "the next sweep asks again for its work",
            damaged / path.name, len(payload),
        )

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        # kombu creates a missing exchange file by truncating, then locking, then writing:
        # a reader between the first two sees it empty. Create it whole, then let kombu
        # add the binding to the existing file under its lock as usual.
        table = self._exchange_file(exchange)
        self.control_folder.mkdir(parents=True, exist_ok=True)
        write_whole(table, b"[]", self._staging, replace=False)
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel
