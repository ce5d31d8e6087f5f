"""``with x:`` for the SDK's closeable objects (clients, streams, the emulator)."""

from __future__ import annotations

from ._typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self


class Closing:
    """``__enter__`` returns the object; ``__exit__`` calls its ``close()``, also on error."""

    if TYPE_CHECKING:

        def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
