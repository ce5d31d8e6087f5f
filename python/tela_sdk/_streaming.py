"""The stream base, sync and async: iterators over a native event stream. Knows no API.

The native side hands over *batches* (every event that has arrived, already parsed from JSON
in Rust, and built as its native type when the API has one), so Python pays one boundary
crossing per hand-over, not per event, and serves the events from its buffer. The core tallies
what the stream adds up to as batches pass, by the API's rules; ``final()`` turns those totals
into the API's result. The connection is closed on ``close()``/``aclose()``, on leaving a
``with`` block, at the end of the stream, on an error, and when the stream object is garbage
collected.

An API's stream (``_tela/streaming.py``, ``_dify/streaming.py``) subclasses ``Stream`` and
``AsyncStream`` with its event type and its result type, and hands in two functions: ``cast``,
which types one parsed event (``None`` when the native side already built it), and
``finish``, which makes the result of ``final()`` from the totals.
"""

from __future__ import annotations

import sys

from ._closing import Closing
from ._native import NativeStream
from ._typing_lite import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import asyncio
    from collections.abc import AsyncIterator, Callable, Iterator
    from types import FrameType, TracebackType
    from typing import Any

    from typing_extensions import Self
else:  # the bases collections.abc re-exports, without importing collections
    from _collections_abc import AsyncIterator, Iterator

__all__ = ["AsyncStream", "Stream"]

_E = TypeVar("_E")
_F = TypeVar("_F")


class _Base(Generic[_E, _F]):
    def __init__(
        self,
        native: NativeStream,
        cast: Callable[[Any], _E] | None,
        finish: Callable[[dict[str, Any]], _F],
    ) -> None:
        self._native = native
        self._cast = cast
        self._finish = finish
        self._batch: list[Any] = []
        self._pos = 0
        self._done = False

    def _final(self) -> _F:
        return self._finish(self._native.tally())

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` of the streaming response."""
        return self._native.request_id

    def _refill(self, batch: list[Any] | None) -> bool:
        if batch is None:
            self._done = True
            self._native.close()
            return False
        self._batch = batch
        self._pos = 0
        return True

    def close(self) -> None:
        """Stops reading and closes the connection. Safe to call more than once."""
        self._done = True
        self._native.close()

    def __del__(self) -> None:
        # The native stream can outlive this wrapper (an awaited asyncio Future keeps its
        # result until pyo3 flushes deferred references), so close it explicitly.
        native = getattr(self, "_native", None)
        if native is not None:
            native.close()


class Stream(_Base[_E, _F], Iterator[_E], Closing):
    """A synchronous stream: ``for event in stream``. Waits release the GIL; Ctrl-C works."""

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> _E:
        while True:
            pos = self._pos
            batch = self._batch
            if pos < len(batch):
                self._pos = pos + 1
                if self._cast is None:  # built natively: served as it is
                    event: _E = batch[pos]
                    return event
                return self._cast(batch[pos])
            if self._done or not self._refill(self._native.next_batch()):
                raise StopIteration

    def until_done(self) -> Self:
        """Consumes the rest of the stream (raising its error, if any)."""
        for _ in self:
            pass
        return self

    def final(self) -> _F:
        """Consumes the rest and returns what the stream added up to."""
        self.until_done()
        return self._final()


class AsyncStream(_Base[_E, _F], AsyncIterator[_E]):
    """An asynchronous stream: ``async for event in stream``.

    Reads are cancel-safe, like ``asyncio.Queue.get``: a read cancelled by a timeout
    (``asyncio.wait_for``, ``asyncio.timeout``) leaves its events for the next read. When the
    *task* reading the stream is cancelled instead (``task.cancel()``, a web framework
    dropping a disconnected client's handler), the connection is closed, ``async with`` or not.
    """

    # Reads that had to wait; tells a cancelled read's check whether reading went on.
    _reads = 0

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> _E:
        while True:
            pos = self._pos
            batch = self._batch
            if pos < len(batch):
                self._pos = pos + 1
                if self._cast is None:  # built natively: served as it is
                    event: _E = batch[pos]
                    return event
                return self._cast(batch[pos])
            if self._done:
                raise StopAsyncIteration
            native = self._native
            ready = native.poll_batch()
            if ready is False:
                import asyncio  # already loaded (a loop runs): a dict lookup, off the fast path

                self._reads += 1
                try:
                    # The wait carries no events: they stay in the native stream until
                    # poll_batch takes them, so a cancelled wait loses nothing.
                    while ready is False:
                        await native.wait_batch()
                        ready = native.poll_batch()
                except asyncio.CancelledError:
                    self._read_cancelled(sys._getframe())
                    raise
            if not self._refill(ready):
                raise StopAsyncIteration

    def _read_cancelled(self, frame: FrameType) -> None:
        """Decides, once the cancellation has propagated, whether reading is over."""
        import asyncio

        task = asyncio.current_task()
        if task is None:
            return
        if getattr(task.get_coro(), "cr_frame", None) is frame:
            # A task made just for this read (``wait_for`` wraps one on Python <= 3.11,
            # ``create_task(stream.__anext__())``): its end is no sign; its creator reads on or not.
            return
        task.get_loop().call_soon(self._after_cancel, task, self._reads)

    def _after_cancel(self, task: asyncio.Task[Any], reads: int) -> None:
        if self._done or self._reads != reads:
            return  # closed already, or another read started: the stream is still in use
        if task.done():
            if task.cancelled():
                self.close()
            return
        cancelling = getattr(task, "cancelling", None)
        if cancelling is not None:
            # 3.11+: a timeout that fired has uncancelled the task by now; a task.cancel()
            # that is still unwinding (or being handled) has not.
            if cancelling():
                self.close()
            return
        # 3.10 has no cancelling(): decide when the task ends.
        task.add_done_callback(lambda t: self._after_cancel(t, reads))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def aclose(self) -> None:
        """Closes the connection (the async spelling of ``close()``)."""
        self.close()

    async def until_done(self) -> Self:
        """Consumes the rest of the stream (raising its error, if any); closes it if this
        ends by an exception (a cancellation or timeout, say)."""
        try:
            async for _ in self:
                pass
        except BaseException:
            self.close()
            raise
        return self

    async def final(self) -> _F:
        """Consumes the rest and returns what the stream added up to."""
        await self.until_done()
        return self._final()
