"""Apprise's SMTP connection builds a TLS context for every message, plain SMTP included.

``ssl.create_default_context()`` loads every trusted CA of the system: about 20–30 ms of
CPU, more than the rest of an email delivery together, paid 200 times when a page goes to
200 people. Apprise's controller (``apprise/plugins/email/smtp.py``) asks for that context
before it knows whether the connection will use TLS at all. Here it gets a stand-in that
loads nothing until a connection actually starts TLS; then it is a real context with the
same settings. An unchanged default context (certificates verified, the normal case) is
made once per process and shared, which ``ssl.SSLContext`` allows across connections and
threads. A context the caller changes (verification off) is always its own.

If Apprise stops looking up ``ssl`` this way, ``install`` does nothing and deliveries work
as before, only slower.
"""

import ssl
import threading

_lock = threading.Lock()
_shared: ssl.SSLContext | None = None


def _shared_default() -> ssl.SSLContext:
    global _shared
    with _lock:
        if _shared is None:
            _shared = ssl.create_default_context()
        return _shared


class DeferredContext:
    """Records the settings Apprise makes, and becomes a real context on first real use."""

    def __init__(self):
        object.__setattr__(self, "_changes", {})
        object.__setattr__(self, "_real", None)

    def __setattr__(self, name, value):
        if self._real is None:
            self._changes[name] = value
        else:
            setattr(self._real, name, value)

    def __getattr__(self, name):
        if name in self._changes:
            return self._changes[name]
        return getattr(self._materialize(), name)

    def _materialize(self) -> ssl.SSLContext:
        if self._real is None:
            if self._changes:
                real = ssl.create_default_context()
                for name, value in self._changes.items():  # in the order Apprise set them
                    setattr(real, name, value)
            else:
                real = _shared_default()
            object.__setattr__(self, "_real", real)
        return self._real


class _SslModule:
    """The ``ssl`` module as Apprise's SMTP controller sees it."""

    def __getattr__(self, name):
        return getattr(ssl, name)

    @staticmethod
    def create_default_context(*args, **kwargs):
        if args or kwargs:
            return ssl.create_default_context(*args, **kwargs)
        return DeferredContext()


def install() -> bool:
    try:
        from apprise.plugins.email import smtp
    except ImportError:
        return False
    if getattr(smtp, "ssl", None) is not ssl:
        return isinstance(getattr(smtp, "ssl", None), _SslModule)
    smtp.ssl = _SslModule()
    return True
