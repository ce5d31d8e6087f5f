"""``Stream`` and ``AsyncStream``: Tela's completion streams, over the API-agnostic base
(``tela_sdk._streaming``).

Tela chunks arrive as native ``CompletionChunk`` objects (built in the batch hand-over) and
the core tallies ``final()`` as they pass (``tela::stream`` in the core), so a chunk costs
Python one list index. This module adds only what is Tela's: ``text()`` over the chunks'
deltas, and ``FinalMessage``, made from the core's totals.
"""

from __future__ import annotations

from .. import _streaming
from .._native import NativeStream
from .._typing_lite import TYPE_CHECKING, TypeVar
from ..types import ChunkMessage, CompletionChunk

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Iterator
    from typing import Any

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


def _final(totals: dict[str, Any]) -> FinalMessage:
    """The ``final()`` of a Tela stream, from the totals the core kept as chunks passed."""
    message = totals["message"]
    return FinalMessage(
        totals["text"],
        ChunkMessage(message) if message is not None else None,
        totals["structured_content"],
        totals["finish_reason"],
        totals["chunks"],
    )


class Stream(_streaming.Stream[_T, FinalMessage]):
    """A synchronous stream of completion chunks: ``for chunk in stream``. Waits release the
    GIL; Ctrl-C works."""

    def __init__(self, native: NativeStream) -> None:
        super().__init__(native, None, _final)

    def text(self) -> Iterator[str]:
        """The text deltas only, skipping chunks without text."""
        for chunk in self:
            if isinstance(chunk, CompletionChunk):
                delta = chunk.text
                if delta:
                    yield delta


class AsyncStream(_streaming.AsyncStream[_T, FinalMessage]):
    """An asynchronous stream of completion chunks: ``async for chunk in stream``.

    Reads are cancel-safe, like ``asyncio.Queue.get``: a read cancelled by a timeout
    (``asyncio.wait_for``, ``asyncio.timeout``) leaves its events for the next read. When the
    *task* reading the stream is cancelled instead (``task.cancel()``, a web framework
    dropping a disconnected client's handler), the connection is closed, ``async with`` or not.
    """

    def __init__(self, native: NativeStream) -> None:
        super().__init__(native, None, _final)

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
