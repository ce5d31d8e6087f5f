"""``NOT_GIVEN``: the SDK's one "not given" sentinel, in a module of its own so that every
other module (``_timeout`` included) can use it without an import cycle."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["NOT_GIVEN"]


class _NotGiven:
    """The one "not given" sentinel, for arguments where None means something (``rating=None``
    revokes; ``wait(timeout=None)`` waits forever): the native core applies its default."""

    _instance: _NotGiven | None = None

    def __new__(cls) -> _NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final[Any] = _NotGiven()
