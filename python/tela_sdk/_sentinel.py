"""``NOT_GIVEN``: the SDK's one "not given" sentinel, in a module of its own so that every
other module (``_timeout`` included) can use it without an import cycle."""

from __future__ import annotations

from ._typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Final

__all__ = ["NOT_GIVEN", "NotGiven"]


class NotGiven:
    """The one "not given" sentinel, for arguments where None means something (``rating=None``
    revokes; ``wait(timeout=None)`` waits forever): the native core applies its default."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


#: Typed as its own class (``timeout: float | None | NotGiven = NOT_GIVEN``, as in
#: openai-python) so that signatures say what the default really is.
NOT_GIVEN: Final = NotGiven()
