"""``Stream`` and ``AsyncStream``: iterators over a native event stream.

The native side hands over *batches* (all events of one network read, already parsed from
JSON in Rust), so Python pays one boundary crossing per read, not per event. The connection
is closed on ``close()``/``aclose()``, on leaving a ``with`` block, at the end of the stream,
on an error, and when the stream object is garbage collected.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

from ._native import NativeStream
from .types import ChunkMessage, CompletionChunk

__all__ = ["Stream", "AsyncStream", "FinalMessage"]

T = TypeVar("T")


class FinalMessage:
    """What a finished stream produced: the accumulated text, structured content and message."""

    __slots__ = ("chunks", "finish_reason", "message", "structured_content", "text")

    def __init__(self) -> None:
        self.text: str = ""
        self.structured_content: Any = None
        self.message: ChunkMessage | None = None
        self.finish_reason: str | None = None
        self.chunks: int = 0

    def _add(self, chunk: CompletionChunk) -> None:
        self.chunks += 1
        delta = chunk.text
        if delta:
            self.text += delta
        reason = chunk.finish_reason
        if reason:
            self.finish_reason = reason
        raw = chunk.get("message")
        if raw is not None:
            self.message = ChunkMessage(raw)
            if raw.get("structured_content") is not None:
                self.structured_content = raw["structured_content"]

    @property
    def content(self) -> Any:
        """The accumulated message content as the server reports it, else the joined text."""
        if self.message is not None and self.message.content is not None:
            return self.message.content
        return self.text

    def __repr__(self) -> str:
        return f"FinalMessage(text={self.text[:60]!r}, finish_reason={self.finish_reason!r}, chunks={self.chunks})"


class _Base(Generic[T]):
    def __init__(self, native: NativeStream, cast: Callable[[Any], T]) -> None:
        self._native = native
        self._cast = cast
        self._batch: list[Any] = []
        self._pos = 0
        self._final = FinalMessage()
        self._done = False

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` of the streaming response."""
        return self._native.request_id

    def _pop(self) -> T | None:
        if self._pos < len(self._batch):
            item = self._cast(self._batch[self._pos])
            self._pos += 1
            if isinstance(item, CompletionChunk):
                self._final._add(item)
            return item
        return None

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


class Stream(_Base[T], Iterator[T]):
    """A synchronous stream: ``for chunk in stream``. Waits release the GIL; Ctrl-C works."""

    def __iter__(self) -> Stream[T]:
        return self

    def __next__(self) -> T:
        while True:
            item = self._pop()
            if item is not None:
                return item
            if self._done or not self._refill(self._native.next_batch()):
                raise StopIteration

    def __enter__(self) -> Stream[T]:
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

    def until_done(self) -> Stream[T]:
        """Consumes the rest of the stream (raising its error, if any)."""
        for _ in self:
            pass
        return self

    def final(self) -> FinalMessage:
        """Consumes the rest and returns the accumulated text, message and structured content."""
        self.until_done()
        return self._final


class AsyncStream(_Base[T], AsyncIterator[T]):
    """An asynchronous stream: ``async for chunk in stream``. Cancelling the awaiting task
    stops the wait promptly; ``aclose()`` (or ``async with``) closes the connection."""

    def __aiter__(self) -> AsyncStream[T]:
        return self

    async def __anext__(self) -> T:
        while True:
            item = self._pop()
            if item is not None:
                return item
            if self._done or not self._refill(await self._native.anext_batch()):
                raise StopAsyncIteration

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def aclose(self) -> None:
        """Closes the connection (the async spelling of ``close()``)."""
        self.close()

    async def text(self) -> AsyncIterator[str]:
        """The text deltas only, skipping chunks without text."""
        async for chunk in self:
            if isinstance(chunk, CompletionChunk):
                delta = chunk.text
                if delta:
                    yield delta

    async def until_done(self) -> AsyncStream[T]:
        """Consumes the rest of the stream (raising its error, if any)."""
        async for _ in self:
            pass
        return self

    async def final(self) -> FinalMessage:
        """Consumes the rest and returns the accumulated text, message and structured content."""
        await self.until_done()
        return self._final
