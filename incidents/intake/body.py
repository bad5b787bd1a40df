"""Reading a request body into a JSON document that every database can store.

Beyond "is it JSON": Python's decoder accepts things PostgreSQL's ``jsonb`` refuses (NaN,
Infinity, a NUL character in a string) or that cannot be encoded to UTF-8 at all (a lone
surrogate escape such as ``"\\ud800"``). Those must become a 400 here, not a 500 at INSERT.
"""

import json
import math

MAX_BODY_BYTES = 512 * 1024  # PagerDuty's own limit for an event
MAX_DEPTH = 64


class BodyRejected(ValueError):
    """The body cannot be an event; ``errors`` says why, for the sender."""

    def __init__(self, *errors: str):
        super().__init__("; ".join(errors))
        self.errors = list(errors)


def read(request) -> bytes:
    """The raw body, refusing anything over :data:`MAX_BODY_BYTES` before reading it."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BodyRejected("The Content-Length header is not a number.") from None
    if declared > MAX_BODY_BYTES:
        raise BodyRejected(f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.")
    raw = request.body
    if len(raw) > MAX_BODY_BYTES:
        raise BodyRejected(f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.")
    if not raw.strip():
        raise BodyRejected("The request body is empty: send a JSON object.")
    return raw


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def decode(raw: bytes):
    """Parse ``raw`` as JSON and check that every database can store it."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BodyRejected("The request body is not UTF-8 text.") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise BodyRejected("The JSON document is nested too deeply.") from None
    except ValueError as error:
        raise BodyRejected(f"The request body is not valid JSON: {error}"[:300]) from None
    check_storable(document)
    return document


def check_storable(document) -> None:
    """Raise :class:`BodyRejected` for what a JSON column cannot hold."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BodyRejected(f"The JSON document is nested deeper than {MAX_DEPTH} levels.")
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise BodyRejected("A number in the JSON document is out of range.")
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise BodyRejected("A string in the JSON document contains a NUL character.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyRejected("A string in the JSON document is not valid Unicode.") from None
