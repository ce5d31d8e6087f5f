"""``Timeout``: the deadlines of a call. A plain number works too (see ``Timeout`` doc)."""

from __future__ import annotations

from ._exceptions import InvalidRequestError
from ._sentinel import NOT_GIVEN, NotGiven

__all__ = ["Timeout", "TimeoutTypes"]


class Timeout:
    """Deadlines in seconds; ``None`` removes a limit, a name left out keeps its default.

    - ``connect``: opening the connection (default 10).
    - ``read``: waiting for response headers and between body reads (default 600).
    - ``total``: the whole call, retries included (default: none).
    - ``stream_idle``: silence between stream bytes (default 120).
    - ``stream_total``: a whole stream (default: none).

    A plain number ``timeout=5`` sets ``connect``, ``read`` and ``stream_idle``, as in httpx.
    """

    __slots__ = ("_values",)

    def __init__(
        self,
        *,
        connect: float | NotGiven | None = NOT_GIVEN,
        read: float | NotGiven | None = NOT_GIVEN,
        total: float | NotGiven | None = NOT_GIVEN,
        stream_idle: float | NotGiven | None = NOT_GIVEN,
        stream_total: float | NotGiven | None = NOT_GIVEN,
    ) -> None:
        given = {
            "connect": connect,
            "read": read,
            "total": total,
            "stream_idle": stream_idle,
            "stream_total": stream_total,
        }
        self._values = {k: v for k, v in given.items() if not isinstance(v, NotGiven)}

    def as_dict(self) -> dict[str, float | None]:
        """The deadlines that were set."""
        return dict(self._values)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Timeout({inner})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timeout) and other._values == self._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items())))


TimeoutTypes = float | Timeout | None


def timeout_arg(timeout: TimeoutTypes) -> float | dict[str, float | None] | None:
    """What the native layer takes: a number, or the dict of names that were set. The one
    place the type is checked (the core checks the values). A plain dict is refused: it is
    how a ``Timeout`` crosses to the native layer."""
    if isinstance(timeout, Timeout):
        return timeout.as_dict()
    if timeout is None or (isinstance(timeout, (int, float)) and not isinstance(timeout, bool)):
        return timeout
    raise InvalidRequestError(
        f"timeout must be a number of seconds or a tela_sdk.Timeout, got {type(timeout).__name__}"
    )
