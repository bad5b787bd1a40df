"""gunicorn's access log without the secrets that travel in URLs (see ``portal.redaction``).

The web process runs with ``--logger-class portal.gunicorn_logging.RedactingLogger``: each
secret is written as ``[redacted]`` in the request line, the path, the query string and the
referrer (the ack page posts to itself, so its referrer is the link), whichever atoms the
log format uses.
"""

from gunicorn.glogging import Logger

from .redaction import redact


def _redacted_query(query: str) -> str:
    # The bare query string has no leading "?": give it one to match, then take it off.
    return redact("?" + query)[1:] if query else query


class RedactingLogger(Logger):
    """gunicorn's own logger; only the atoms that hold the URL are rewritten."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "f", "{raw_uri}e", "{path_info}e", "{http_referer}e", "{referer}i"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        for name in ("q", "{query_string}e"):
            if isinstance(atoms.get(name), str):
                atoms[name] = _redacted_query(atoms[name])
        return atoms
