from collections.abc import Callable

_handlers: dict[str, Callable] = {}
_loaders: dict[str, Callable] = {}


def register(kind: str, *, load: Callable | None = None):
    """Decorator: ``@register("escalation_step")`` makes the function fire timers of ``kind``.

    ``load(timers)``, if given, runs once per sweep batch before the handlers of its kind,
    to read in bulk what they would otherwise read one timer at a time (it may leave what
    it read on the timers). Handlers must still work without it: a timer fired on its own,
    or a ``load`` that failed, reaches its handler unprepared.

    Other apps register their kinds from their AppConfig.ready().
    """

    def decorator(handler: Callable) -> Callable:
        existing = _handlers.get(kind)
        if existing is not None and existing is not handler:
            raise ValueError(f"Timer kind {kind!r} already has a handler.")
        _handlers[kind] = handler
        if load is not None:
            _loaders[kind] = load
        return handler

    return decorator


def handler_for(kind: str) -> Callable | None:
    return _handlers.get(kind)


def loader_for(kind: str) -> Callable | None:
    return _loaders.get(kind)


def kinds() -> list[str]:
    return sorted(_handlers)
