"""``Stream`` and ``AsyncStream``: iterators over a native event stream.

The native side hands over *batches* (every event that has arrived, already parsed from JSON
in Rust), so Python pays one boundary crossing per hand-over, not per event, and serves the
events from its buffer. Tela chunks arrive as native ``CompletionChunk`` objects and the
core tallies ``final()`` as they pass, so a chunk costs Python one list index. The connection
is closed on ``close()``/``aclose()``, on leaving a ``with`` block, at the end of the stream,
on an error, and when the stream object is garbage collected.
"""

from __future__ import annotations

import sys

from .._native import NativeStream
from .._typing_lite import TYPE_CHECKING, Generic, Protocol, TypeVar
from ..types import ChunkMessage, CompletionChunk

if TYPE_CHECKING:
    import asyncio
    from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
    from types import FrameType, TracebackType
    from typing import Any
else:  # the bases collections.abc re-exports, without importing collections
    from _collections_abc import AsyncIterator, Iterator

__all__ = ["Stream", "AsyncStream", "FinalMessage"]

_T = TypeVar("_T")


class FinalMessage:
    """What a finished stream produced: the accumulated text, structured content and message."""

    __slots__ = ("chunks", "finish_reason", "message", "structured_content", "text")

    def __init__(
        self,
        text: str,
        message: ChunkMessage | None,
        structured_content: Any,
        finish_reason: str | None,
        chunks: int,
    ) -> None:
        self.text = text
        self.message = message
        self.structured_content = structured_content
        self.finish_reason = finish_reason
        self.chunks = chunks

    @property
    def content(self) -> Any:
        """What ``completion.content`` would be without streaming: the structured content (a
        dict) for a canvas with an Output Format, else the accumulated message content, else
        the joined text."""
        if self.structured_content is not None:
            return self.structured_content
        if self.message is not None and self.message.content is not None:
            return self.message.content
        return self.text

    def parse(self, model: type[_T]) -> _T:
        """The structured content as a ``model``, like ``Completion.parse``."""
        from .._structured import parse

        return parse(self.content, model)

    def _fields(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "content": self.content,
            "message": self.message.to_dict() if self.message is not None else None,
            "structured_content": self.structured_content,
            "finish_reason": self.finish_reason,
            "chunks": self.chunks,
        }

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready copy of every field, like the other results' ``to_dict()``."""
        import json  # lazy: json is not needed to import tela_sdk

        copy: dict[str, Any] = json.loads(json.dumps(self._fields()))
        return copy

    def to_json(self, *, indent: int | None = 2) -> str:
        """``to_dict()`` as JSON text, ``indent`` spaces deep (None: one line)."""
        import json

        return json.dumps(self._fields(), indent=indent, ensure_ascii=False)

    def __repr__(self) -> str:
        return f"FinalMessage(text={self.text[:60]!r}, finish_reason={self.finish_reason!r}, chunks={self.chunks})"


def _native_final(native: NativeStream) -> FinalMessage:
    """The ``final()`` of a Tela stream, from the totals the core kept as chunks passed."""
    tally = native.tally()
    if tally is None:  # not a Tela stream, or a wait holds it: nothing was tallied
        return FinalMessage("", None, None, None, 0)
    text, finish_reason, message, structured, chunks, _id, _usage = tally
    return FinalMessage(text, ChunkMessage(message) if message is not None else None, structured, finish_reason, chunks)


class Accumulator(Protocol):
    """Sees every raw event of a stream and builds the stream's ``final()``."""

    def add(self, raw: Any) -> None: ...

    def final(self) -> FinalMessage: ...


class _Base(Generic[_T]):
    def __init__(self, native: NativeStream, cast: Callable[[Any], _T], acc: Accumulator | None = None) -> None:
        self._native = native
        # Tela chunks arrive typed and tallied by the core: served as they are. Other APIs'
        # streams bring a cast and an accumulator that see every raw event.
        self._typed = acc is None and cast is CompletionChunk
        self._cast = cast
        self._acc = acc
        self._batch: list[Any] = []
        self._pos = 0
        self._done = False

    def _take(self, raw: Any) -> _T:
        """An event of a stream with a Python cast and accumulator (off the Tela fast path)."""
        if self._acc is not None:
            self._acc.add(raw)
        return self._cast(raw)

    def _final(self) -> FinalMessage:
        if self._acc is not None:
            return self._acc.final()
        return _native_final(self._native)

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


class Stream(_Base[_T], Iterator[_T]):
    """A synchronous stream: ``for chunk in stream``. Waits release the GIL; Ctrl-C works."""

    def __iter__(self) -> Stream[_T]:
        return self

    def __next__(self) -> _T:
        while True:
            pos = self._pos
            batch = self._batch
            if pos < len(batch):
                self._pos = pos + 1
                if self._typed:
                    chunk: _T = batch[pos]
                    return chunk
                return self._take(batch[pos])
            if self._done or not self._refill(self._native.next_batch()):
                raise StopIteration

    def __enter__(self) -> Stream[_T]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def text(self) -> Iterator[str]:
        """The text deltas only, skipping chunks without text."""
        for chunk in self:
            if isinstance(chunk, CompletionChunk):
                delta = chunk.text
                if delta:
                    yield delta

    def until_done(self) -> Stream[_T]:
        """Consumes the rest of the stream (raising its error, if any)."""
        for _ in self:
            pass
        return self

    def final(self) -> FinalMessage:
        """Consumes the rest and returns the accumulated text, message and structured content."""
        self.until_done()
        return self._final()


class AsyncStream(_Base[_T], AsyncIterator[_T]):
    """An asynchronous stream: ``async for chunk in stream``.

    Reads are cancel-safe, like ``asyncio.Queue.get``: a read cancelled by a timeout
    (``asyncio.wait_for``, ``asyncio.timeout``) leaves its events for the next read. When the
    *task* reading the stream is cancelled instead (``task.cancel()``, a web framework
    dropping a disconnected client's handler), the connection is closed, ``async with`` or not.
    """

    # Reads that had to wait; tells a cancelled read's check whether reading went on.
    _reads = 0

    def __aiter__(self) -> AsyncStream[_T]:
        return self

    async def __anext__(self) -> _T:
        while True:
            pos = self._pos
            batch = self._batch
            if pos < len(batch):
                self._pos = pos + 1
                if self._typed:
                    chunk: _T = batch[pos]
                    return chunk
                return self._take(batch[pos])
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

    async def __aenter__(self) -> AsyncStream[_T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def aclose(self) -> None:
        """Closes the connection (the async spelling of ``close()``)."""
        self.close()

    async def text(self) -> AsyncGenerator[str, None]:
        """The text deltas only, skipping chunks without text. Closes the stream if it ends
        by an exception (a cancellation, or ``aclose()`` of this iterator)."""
        try:
            async for chunk in self:
                if isinstance(chunk, CompletionChunk):
                    delta = chunk.text
                    if delta:
                        yield delta
        except BaseException:
            self.close()
            raise

    async def until_done(self) -> AsyncStream[_T]:
        """Consumes the rest of the stream (raising its error, if any); closes it if this
        ends by an exception (a cancellation or timeout, say)."""
        try:
            async for _ in self:
                pass
        except BaseException:
            self.close()
            raise
        return self

    async def final(self) -> FinalMessage:
        """Consumes the rest and returns the accumulated text, message and structured content."""
        await self.until_done()
        return self._final()
