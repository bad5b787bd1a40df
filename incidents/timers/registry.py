from collections.abc import Callable

_handlers: dict[str, Callable] = {}


def register(kind: str):
    """Decorator: ``@register("escalation_step")`` makes the function fire timers of ``kind``.

    Other apps register their kinds from their AppConfig.ready().
    """

    def decorator(handler: Callable) -> Callable:
        existing = _handlers.get(kind)
        if existing is not None and existing is not handler:
            raise ValueError(f"Timer kind {kind!r} already has a handler.")
        _handlers[kind] = handler
        return handler

    return decorator


def handler_for(kind: str) -> Callable | None:
    return _handlers.get(kind)


def kinds() -> list[str]:
    return sorted(_handlers)
