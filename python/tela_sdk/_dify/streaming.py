"""``DifyStream`` and ``AsyncDifyStream``: Dify's typed stream events, and what they add up to,
over the API-agnostic base (``tela_sdk._streaming``).

The native core applies Dify's stream rules (``event: ping`` skipped, an ``error`` event
raised as ``StreamError``, the end at EOF or ``tts_message_end``) and adds up the answer as
events pass (``dify::stream`` in the core: ``message``/``agent_message`` text appended,
``message_replace`` replacing everything before, usage and files from ``message_end``, the
audio). These classes type the events and make ``DifyFinal`` from the core's totals.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from typing import Any

from .. import _streaming
from .._native import NativeStream
from .._tela.streaming import AsyncStream, FinalMessage, Stream
from ..dify_types import (
    AnswerReplaced,
    DifyEvent,
    DifyFile,
    DifyMessageEvent,
    DifyMessageReplaceEvent,
    DifyMetadata,
    DifyRetrieverResource,
    DifyUsage,
    dify_event,
)

__all__ = ["DifyStream", "AsyncDifyStream", "DifyFinal"]


class DifyFinal(FinalMessage):
    """What a finished Dify stream produced: the answer (after any moderation replace),
    usage, citations, files and text-to-speech audio. ``text`` is the answer, and
    ``finish_reason`` is ``"message_end"`` once the server said the answer is complete."""

    __slots__ = ("audio", "conversation_id", "files", "message_id", "metadata", "replaced", "task_id")

    def __init__(
        self,
        *,
        answer: str,
        events: int,
        ended: bool,
        message_id: str | None,
        task_id: str | None,
        conversation_id: str | None,
        metadata: DifyMetadata | None,
        files: list[DifyFile],
        replaced: bool,
        audio: bytes,
    ) -> None:
        super().__init__(answer, None, None, "message_end" if ended else None, events)
        self.message_id = message_id
        self.task_id = task_id
        self.conversation_id = conversation_id
        self.metadata = metadata
        self.files = files
        self.replaced = replaced
        self.audio = audio

    @property
    def answer(self) -> str:
        return self.text

    @property
    def usage(self) -> DifyUsage | None:
        return self.metadata.usage if self.metadata is not None else None

    @property
    def retriever_resources(self) -> list[DifyRetrieverResource]:
        if self.metadata is None:
            return []
        return self.metadata.retriever_resources or []

    def _fields(self) -> dict[str, Any]:
        # `audio` is base64 text, so the dict stays JSON-ready.
        return {
            **super()._fields(),
            "answer": self.answer,
            "message_id": self.message_id,
            "task_id": self.task_id,
            "conversation_id": self.conversation_id,
            "metadata": self.metadata.to_dict() if self.metadata is not None else None,
            "files": [f.to_dict() for f in self.files],
            "replaced": self.replaced,
            "audio": _b64encode(self.audio),
        }

    def __repr__(self) -> str:
        return (
            f"DifyFinal(answer={self.text[:60]!r}, message_id={self.message_id!r}, "
            f"finish_reason={self.finish_reason!r}, events={self.chunks})"
        )


def _final(totals: dict[str, Any]) -> DifyFinal:
    """The ``final()`` of a Dify stream, from the totals the core kept as events passed."""
    metadata = totals["metadata"]
    files = totals["files"]
    return DifyFinal(
        answer=totals["answer"],
        events=totals["events"],
        ended=totals["ended"],
        message_id=totals["message_id"],
        task_id=totals["task_id"],
        conversation_id=totals["conversation_id"],
        metadata=DifyMetadata(metadata) if isinstance(metadata, dict) else None,
        files=[DifyFile(f) for f in files if isinstance(f, dict)] if isinstance(files, list) else [],
        replaced=totals["replaced"],
        audio=totals["audio"],
    )


def _text_piece(event: DifyEvent) -> str | None:
    if isinstance(event, DifyMessageReplaceEvent):
        return AnswerReplaced(event.get("answer") or "")
    if isinstance(event, DifyMessageEvent):
        answer: str | None = event.get("answer")
        return answer or None
    return None


class _Live:
    """What a Dify stream knows before it ends, from the core's totals so far (the events
    handed over)."""

    _native: NativeStream

    @property
    def task_id(self) -> str | None:
        """The task id of this answer, once the first event arrived (``None`` before)."""
        task_id: str | None = self._native.tally("task_id")
        return task_id

    @property
    def answer(self) -> str:
        """The answer so far (after any moderation replace): of every event read from the
        connection, which may run a few events ahead of the one in hand."""
        answer: str = self._native.tally("answer")
        return answer


class DifyStream(_Live, _streaming.Stream[DifyEvent, DifyFinal]):
    """A synchronous stream of typed Dify events: ``for event in stream``.

    ``task_id`` (for ``stop``) is known from the first event on.
    """

    def __init__(self, native: NativeStream) -> None:
        super().__init__(native, dify_event, _final)

    def text(self) -> Iterator[str]:
        """The answer text as it arrives. On ``message_replace`` it yields an
        ``AnswerReplaced`` (a str): the whole new answer, voiding what came before."""
        for event in self:
            piece = _text_piece(event)
            if piece is not None:
                yield piece


class AsyncDifyStream(_Live, _streaming.AsyncStream[DifyEvent, DifyFinal]):
    """An asynchronous stream of typed Dify events: ``async for event in stream``."""

    def __init__(self, native: NativeStream) -> None:
        super().__init__(native, dify_event, _final)

    async def text(self) -> AsyncGenerator[str, None]:
        """The answer text as it arrives; ``AnswerReplaced`` on ``message_replace``. Closes
        the stream if it ends by an exception (a cancellation, or ``aclose()`` of this iterator)."""
        try:
            async for event in self:
                piece = _text_piece(event)
                if piece is not None:
                    yield piece
        except BaseException:
            self.close()
            raise


# A Dify stream is still a ``tela_sdk.Stream`` / ``AsyncStream`` to ``isinstance``, as when it
# subclassed them (the ABCs' virtual subclasses: nothing else is shared).
Stream.register(DifyStream)
AsyncStream.register(AsyncDifyStream)


def _b64encode(data: bytes) -> str:
    import base64  # lazy: not needed to import tela_sdk

    return base64.b64encode(data).decode("ascii")
