"""``client.with_raw_response``: the HTTP status and headers of a call, next to its result.

A raw call runs on a copy of the resource whose ``_call`` asks the core for the status and
headers too (``raw=True``) and leaves them on the copy; the ordinary path converts no headers.
Streams are not covered (their status is 200 and their ``request_id`` is on the stream).
"""

from __future__ import annotations

from ._base import AsyncResource, SyncResource
from ._exceptions import InvalidRequestError
from ._typing_lite import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping
    from typing import Any

__all__ = ["RawResponse"]

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)
_R = TypeVar("_R", SyncResource, AsyncResource)


class RawResponse(Generic[_T_co]):
    """One HTTP response: ``status_code``, ``headers`` (lower-case names; a repeated header
    joined with ``", "``), ``request_id``, and ``parse()``, the result the call returns
    without ``with_raw_response``."""

    __slots__ = ("_parsed", "headers", "request_id", "status_code")

    def __init__(self, status_code: int, headers: Mapping[str, str], request_id: str | None, parsed: _T_co) -> None:
        self.status_code = status_code
        self.headers = headers
        self.request_id = request_id
        self._parsed = parsed

    def parse(self) -> _T_co:
        """The call's ordinary result (a ``Completion``, a ``Run``...), already built."""
        return self._parsed

    def __repr__(self) -> str:
        parsed = type(self._parsed).__name__
        return f"RawResponse(status_code={self.status_code}, request_id={self.request_id!r}, parsed={parsed})"


def _no_stream(params: Mapping[str, Any]) -> None:
    if "stream" in params:
        raise InvalidRequestError(
            "with_raw_response does not cover streams: call create(stream=True) directly (the stream has .request_id)"
        )


def raw_copy(resource: _R) -> _R:
    """A copy of ``resource`` that records the status and headers of its calls."""
    import copy  # lazy: only raw calls need it

    twin = copy.copy(resource)
    twin._raw = []
    return twin


def _wrap(twin: SyncResource | AsyncResource, result: _T) -> RawResponse[_T]:
    recorded = twin._raw
    if not recorded:  # every wrapped method makes exactly one call
        raise RuntimeError("with_raw_response: the call made no request (a tela_sdk bug)")
    status, headers, request_id = recorded[-1]
    return RawResponse(status, headers, request_id, result)


def call_sync(resource: SyncResource, method: Callable[..., _T], *args: Any, **kwargs: Any) -> RawResponse[_T]:
    """``method`` (a function of ``type(resource)``) run on a recording copy."""
    twin = raw_copy(resource)
    return _wrap(twin, method(twin, *args, **kwargs))


async def call_async(
    resource: AsyncResource, method: Callable[..., Awaitable[_T]], *args: Any, **kwargs: Any
) -> RawResponse[_T]:
    twin = raw_copy(resource)
    return _wrap(twin, await method(twin, *args, **kwargs))
