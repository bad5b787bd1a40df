"""The development ``SECRET_KEY``: made at random on first run, kept under ``VAR_DIR``.

Every process of a local portal (web, workers, beat, ``manage.py``) shares ``VAR_DIR``, so
they all sign with the same key, and sessions and the links already sent survive a
restart. Production never comes here: it requires ``SECRET_KEY`` in its environment.

Several processes start at once on the first run, so the file is never written where a
reader could see it half done: each process writes a whole key to a private temporary file
and hard-links it to the final name. ``link`` fails when the name exists, so exactly one
key wins and every process reads that one.
"""

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

FILE_NAME = "secret_key"


def development_secret_key(var_dir: Path) -> str:
    """The key kept in ``var_dir``, made there (readable by its owner only) if missing."""
    path = var_dir / FILE_NAME
    if not path.exists():
        _create(path)
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(
            f"{path} is empty: delete it to have a new key made, or set SECRET_KEY."
        )
    return key


def new_key() -> str:
    """URL-safe characters only: Django's own key maker may begin a key with ``$``, which
    django-environ reads as a reference to another variable when the key is handed to a
    process in ``SECRET_KEY`` (as the integration tests hand theirs to their workers)."""
    return secrets.token_urlsafe(50)


def _create(path: Path) -> None:
    # mkstemp creates the file with mode 0600, so the key is never readable by others.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(new_key() + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: its key counts
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
