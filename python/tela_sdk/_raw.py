"""``client.with_raw_response``: the HTTP status and headers of a call, next to its result.

``raw_wrapper(method)`` is ``method`` with the same parameters, returning a ``RawResponse``
of what it returns (as openai-python builds its raw face). It marks the call in a context
variable (``_base.RAW``); the resource's one call route (``_call``) then asks the core for
the status and headers too and leaves them there. The ordinary path converts no headers.
Streams are not covered (their status is 200 and their ``request_id`` is on the stream).
"""

from __future__ import annotations

from ._base import RAW, RAW_WANTED, AsyncClientBase, AsyncResource
from ._exceptions import InvalidRequestError, TelaError
from ._typing_lite import TYPE_CHECKING, Generic, TypeVar, overload

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence
    from typing import Any, Concatenate

    from typing_extensions import ParamSpec

    from ._models import Model
    from ._tela.canvases import Page
    from ._tela.runs import AsyncRunPage, RunPage
    from ._tela.tasks import AsyncTaskPage, TaskPage

    _P = ParamSpec("_P")
    _Q = ParamSpec("_Q")
else:  # what the generic bases name at run time (only type checkers read them)
    _P = _Q = "ParamSpec"

__all__ = ["Async", "RawFace", "RawResponse", "Sync", "async_raw_wrapper", "raw_method", "raw_wrapper"]

_T_co = TypeVar("_T_co", covariant=True)
#: What a raw call parses to: a result, never a stream (so the ``stream=True`` overloads of
#: ``create`` fall away from a wrapped ``create``, for the type checker too).
_T = TypeVar("_T", bound="Model | RunPage | AsyncRunPage | Page | TaskPage | AsyncTaskPage | Sequence[Model]")


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
    if params.get("stream"):
        raise InvalidRequestError(
            "with_raw_response does not cover streams: call create(stream=True) directly (the stream has .request_id)"
        )


def _response(name: str, result: _T) -> RawResponse[_T]:
    recorded = RAW.get()
    if not isinstance(recorded, tuple):
        raise TelaError(
            f"with_raw_response: {name}() sent no request, so there is no HTTP response to show "
            "(wait() on a Run that is already final sends none: pass its id to poll it once)"
        )
    status, headers, request_id = recorded
    return RawResponse(status, headers, request_id, result)


def raw_wrapper(f: Callable[_P, _T]) -> Callable[_P, RawResponse[_T]]:
    """``f`` (a bound method of a resource) returning a ``RawResponse`` of its result."""

    def raw(*args: _P.args, **kwargs: _P.kwargs) -> RawResponse[_T]:
        _no_stream(kwargs)
        token = RAW.set(RAW_WANTED)
        try:
            return _response(f.__name__, f(*args, **kwargs))
        finally:
            RAW.reset(token)

    return _like(raw, f)


def async_raw_wrapper(f: Callable[_P, Awaitable[_T]]) -> Callable[_P, Awaitable[RawResponse[_T]]]:
    """Async twin of ``raw_wrapper``."""

    async def raw(*args: _P.args, **kwargs: _P.kwargs) -> RawResponse[_T]:
        _no_stream(kwargs)
        token = RAW.set(RAW_WANTED)
        try:
            return _response(f.__name__, await f(*args, **kwargs))
        finally:
            RAW.reset(token)

    return _like(raw, f)


_F = TypeVar("_F")


def _like(raw: _F, f: Callable[..., Any]) -> _F:
    """``raw`` with ``f``'s name, docstring and signature (``help()``, editors)."""
    import functools  # lazy: only raw faces need it

    return functools.update_wrapper(raw, f)  # type: ignore[arg-type, return-value]


class Sync:
    """The mode of a raw face over a blocking resource: ``RawFace[Sync]``."""


class Async:
    """The mode of a raw face over an asyncio resource: ``RawFace[Async]``."""


_M = TypeVar("_M", Sync, Async)


class RawFace(Generic[_M]):
    """A resource's raw face (``client.with_raw_response.completions``), ``[Sync]`` or
    ``[Async]``: its ``raw_method`` attributes are the resource's methods, each wrapped to
    return a ``RawResponse``. One class serves both faces."""

    def __init__(self, resource: object) -> None:
        self._resource = resource


_U = TypeVar("_U", bound="Model | RunPage | AsyncRunPage | Page | TaskPage | AsyncTaskPage | Sequence[Model]")


class _RawMethod(Generic[_P, _T, _Q, _U]):
    """One method of a raw face, for both modes (see ``raw_method``)."""

    def __init__(self, sync: Callable[..., Any], async_: Callable[..., Any]) -> None:
        self._sync = sync
        self._async = async_

    @overload
    def __get__(self, face: RawFace[Sync], owner: type | None = None) -> Callable[_P, RawResponse[_T]]: ...
    @overload
    def __get__(self, face: RawFace[Async], owner: type | None = None) -> Callable[_Q, Awaitable[RawResponse[_U]]]: ...
    def __get__(self, face: RawFace[Any], owner: type | None = None) -> Any:
        resource = face._resource
        if isinstance(resource, (AsyncResource, AsyncClientBase)):
            out: Any = async_raw_wrapper(self._async.__get__(resource))
        else:
            out = raw_wrapper(self._sync.__get__(resource))
        face.__dict__[self._sync.__name__] = out  # built once per face
        return out


def raw_method(
    sync: Callable[Concatenate[Any, _P], _T], async_: Callable[Concatenate[Any, _Q], Awaitable[_U]]
) -> _RawMethod[_P, _T, _Q, _U]:
    """A raw face's method, from the resource method of each face (``Completions.create``,
    ``AsyncCompletions.create``): the same parameters, types and docs, returning a
    ``RawResponse`` of what it returns. Streams are refused, and typed out: a result is
    never a stream."""
    return _RawMethod(sync, async_)
