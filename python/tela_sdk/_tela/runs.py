"""Waiting for async runs, and pages of runs.

``wait`` reads the core's ``runs.wait`` stream, whose events are the run's status changes
(the polling policy, deadline and retries of transient failures are the core's), calls
``on_status`` for each, and returns the last. Closing the stream stops the polling, so
Ctrl-C and task cancellation stop a wait at once.
"""

from __future__ import annotations

from .._base import NOT_GIVEN, given, record_raw
from .._exceptions import APIResponseValidationError, RunTimeoutError
from .._typing_lite import TYPE_CHECKING, Generic, TypeVar
from ..types import AsyncRun, AsyncTask, BaseRun, BaseTask, Run, Task

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
    from typing import Any

    from .._native import NativeStream
    from .._operations import Operation
    from .._sentinel import NotGiven
    from .._timeout import TimeoutTypes
    from .completions import AsyncCompletions, Completions
else:  # what the page classes' bases name, without importing collections
    from _collections_abc import Awaitable, Callable

__all__ = ["RunPage", "AsyncRunPage"]


def wait_args(
    run: str | BaseRun | BaseTask,
    timeout: float | NotGiven | None,
    poll_interval: float | None,
    extra_headers: Mapping[str, str] | None,
    extra_query: Mapping[str, str] | None,
    request_timeout: TimeoutTypes,
    max_retries: int | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``runs.wait`` (or ``tasks.wait``) arguments (a Run or Task in hand tells the core its
    status is already known), and the options of each poll (``wait``'s own ``timeout`` is the
    whole wait's deadline)."""
    if isinstance(run, (BaseRun, BaseTask)):
        body: dict[str, Any] = {"id": run.id, "last_status": run.status}
    else:
        body = {"id": run}
    if timeout is not NOT_GIVEN:
        body["timeout"] = timeout
    if poll_interval is not None:
        body["poll_interval"] = poll_interval
    options = given(
        extra_headers=extra_headers, extra_query=extra_query, timeout=request_timeout, max_retries=max_retries
    )
    return body, options


_R = TypeVar("_R", bound="BaseRun | BaseTask")
#: What a wait polls: a run or a task.
_W = TypeVar("_W", bound="BaseRun | BaseTask")


class _Seen(Generic[_W]):
    """One wait's runs as they are seen: ``seen(event)`` makes the run of a status change;
    as a context manager it closes the stream at the end and puts the last run seen on a
    ``RunTimeoutError``; ``final()`` is what the wait returns."""

    __slots__ = ("_client", "_cls", "_key", "_stream", "event", "last")

    def __init__(
        self, cls: type[_W], client: Any, run: str | BaseRun | BaseTask, stream: NativeStream, key: str = "run"
    ) -> None:
        self._cls, self._client, self._stream, self._key = cls, client, stream, key
        self.last: _W | None = cls(run._data, run.request_id, client) if isinstance(run, (BaseRun, BaseTask)) else None
        #: The last status change's event: its poll's status and headers are what
        #: ``with_raw_response`` shows.
        self.event: dict[str, Any] | None = None

    def __call__(self, event: dict[str, Any]) -> _W:
        self.event = event
        last = self._cls(event[self._key], event.get("request_id"), self._client)
        self.last = last
        return last

    def __enter__(self) -> _Seen[_W]:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self._stream.close()
        if isinstance(exc, RunTimeoutError) and isinstance(self.last, BaseRun):
            exc.run = self.last

    def final(self, run_id: Any) -> _W:
        """The run a finished wait returns; a failed run raises ``RunFailedError``."""
        if self.event is not None:
            record_raw(self.event["status"], self.event["headers"], self.event.get("request_id"))
        if self.last is None:
            what = self._key
            raise APIResponseValidationError(f"the wait for {what} {run_id!r} ended without a {what} (a tela_sdk bug?)")
        if self.last.status == "failed":
            raise self.last._failure()
        return self.last


def wait(
    completions: Completions, run: str | BaseRun, on_status: Callable[[Run], object] | None, body: Any, options: Any
) -> Run:
    return _poll(completions, "runs.wait", Run, "run", run, on_status, body, options)


async def wait_async(
    completions: AsyncCompletions,
    run: str | BaseRun,
    on_status: Callable[[AsyncRun], object] | None,
    body: Any,
    options: Any,
) -> AsyncRun:
    """Async twin of ``wait``: ``on_status`` may be a coroutine function."""
    return await _poll_async(completions, "runs.wait", AsyncRun, "run", run, on_status, body, options)


def task_wait_body(task: BaseTask, timeout: float | NotGiven | None, poll_interval: float | None) -> dict[str, Any]:
    """The ``tasks.wait`` arguments: the task in hand tells the core its status is known."""
    return wait_args(task, timeout, poll_interval, None, None, None, None)[0]


def wait_task(completions: Completions, task: BaseTask, body: dict[str, Any]) -> Task:
    """Polls ``GET /task/{id}`` (the core's ``tasks.wait``) until the task is final."""
    return _poll(completions, "tasks.wait", Task, "task", task, None, body, {})


async def wait_task_async(completions: AsyncCompletions, task: BaseTask, body: dict[str, Any]) -> AsyncTask:
    """Async twin of ``wait_task``."""
    return await _poll_async(completions, "tasks.wait", AsyncTask, "task", task, None, body, {})


def _poll(
    completions: Completions,
    op: Operation,
    cls: type[_W],
    key: str,
    handle: str | BaseRun | BaseTask,
    on_status: Callable[[_W], object] | None,
    body: Any,
    options: Any,
) -> _W:
    """Reads a wait stream of the core (``op``: the status changes of the run or task ``key``)."""
    stream = completions._stream(op, body, options)
    with _Seen(cls, completions._client, handle, stream, key) as seen:
        while (batch := stream.next_batch()) is not None:
            for event in batch:
                last = seen(event)
                if on_status is not None:
                    on_status(last)
    return seen.final(body["id"])


async def _poll_async(
    completions: AsyncCompletions,
    op: Operation,
    cls: type[_W],
    key: str,
    handle: str | BaseRun | BaseTask,
    on_status: Callable[[_W], object] | None,
    body: Any,
    options: Any,
) -> _W:
    """Async twin of ``_poll``: ``on_status`` may be a coroutine function."""
    import inspect  # lazy: not needed to import tela_sdk

    stream = await completions._stream(op, body, options)
    with _Seen(cls, completions._client, handle, stream, key) as seen:
        while (batch := await stream.anext_batch()) is not None:
            for event in batch:
                last = seen(event)
                if on_status is not None and inspect.isawaitable(out := on_status(last)):
                    await out
    return seen.final(body["id"])


#: How a page gets the page after it (a plain or an async function of the cursor).
_F = TypeVar("_F")


class _PageBase(Generic[_R, _F]):
    __slots__ = ("_fetch", "data", "has_more", "next_cursor", "raw", "request_id")
    #: The run class of the rows.
    _run: type[_R]

    def __init__(self, page: dict[str, Any], request_id: str | None, client: Any, fetch: _F) -> None:
        #: The page as the core normalized it (``data``, ``has_more``, ``next_cursor``, ...).
        self.raw = page
        self.has_more: bool = bool(page.get("has_more"))
        #: Pass as ``cursor=`` to ``list()`` for the next page; None on the last page.
        self.next_cursor: str | None = page.get("next_cursor")
        self.request_id = request_id
        self.data: list[_R] = [self._run(row, request_id, client) for row in page.get("data") or []]
        self._fetch = fetch

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(runs={len(self.data)}, has_more={self.has_more}, next_cursor={self.next_cursor!r})"
        )


class RunPage(_PageBase[Run, Callable[[str], "RunPage"]]):
    """One page of ``completions.list``. ``data`` holds its runs; iterating the page goes
    through every run of this page and the following ones, fetching pages as needed."""

    __slots__ = ()
    _run = Run

    def next_page(self) -> RunPage | None:
        """The following page, or None on the last one."""
        return self._fetch(self.next_cursor) if self.next_cursor else None

    def iter_pages(self) -> Iterator[RunPage]:
        """This page and the following ones."""
        page: RunPage | None = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[Run]:
        for page in self.iter_pages():
            yield from page.data


class AsyncRunPage(_PageBase[AsyncRun, Callable[[str], Awaitable["AsyncRunPage"]]]):
    """One page of ``AsyncCompletions.list``. ``data`` holds its runs; ``async for`` goes
    through every run of this page and the following ones, fetching pages as needed."""

    __slots__ = ()
    _run = AsyncRun

    async def next_page(self) -> AsyncRunPage | None:
        """The following page, or None on the last one."""
        return await self._fetch(self.next_cursor) if self.next_cursor else None

    async def iter_pages(self) -> AsyncIterator[AsyncRunPage]:
        """This page and the following ones."""
        page: AsyncRunPage | None = self
        while page is not None:
            yield page
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[AsyncRun]:
        async for page in self.iter_pages():
            for run in page.data:
                yield run
