"""``DifyStream`` and ``AsyncDifyStream``: Dify's typed stream events, and what they add up to.

The native core already applies Dify's stream rules (``event: ping`` skipped, an ``error``
event raised as ``StreamError``, the end at EOF or ``tts_message_end``); these classes only
type the events and accumulate the answer: ``message``/``agent_message`` text appended,
``message_replace`` replacing everything before, usage and files from ``message_end``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from types import TracebackType
from typing import Any

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


class _Accumulator:
    """Tracks one Dify stream on the raw event fields (cheap per event)."""

    __slots__ = (
        "audio",
        "conversation_id",
        "end_files",
        "ended",
        "event_files",
        "events",
        "message_id",
        "metadata",
        "parts",
        "replaced",
        "task_id",
    )

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.replaced = False
        self.ended = False
        self.events = 0
        self.message_id: str | None = None
        self.task_id: str | None = None
        self.conversation_id: str | None = None
        self.metadata: dict[str, Any] | None = None
        self.event_files: list[dict[str, Any]] = []
        self.end_files: list[Any] | None = None
        self.audio = bytearray()

    def add(self, event: Any) -> None:
        """Takes the raw event dict (or a typed event: both answer ``get``)."""
        self.events += 1
        name = event.get("event")
        if self.message_id is None:
            self.message_id = event.get("message_id")
            self.task_id = event.get("task_id")
        if self.conversation_id is None:
            self.conversation_id = event.get("conversation_id")
        if name == "message" or name == "agent_message":
            answer = event.get("answer")
            if answer:
                self.parts.append(answer)
        elif name == "message_replace":
            self.parts = [event.get("answer") or ""]
            self.replaced = True
        elif name == "message_file":
            self.event_files.append(
                {
                    "related_id": event.get("id"),
                    "type": event.get("type"),
                    "url": event.get("url"),
                    "belongs_to": event.get("belongs_to"),
                }
            )
        elif name == "message_end":
            self.ended = True
            metadata = event.get("metadata")
            self.metadata = metadata if isinstance(metadata, dict) else None
            files = event.get("files")
            if isinstance(files, list) and files:
                self.end_files = files
        elif name == "tts_message" or name == "tts_message_end":
            audio = event.get("audio")
            if audio:
                import base64  # lazy: not needed to import tela_sdk

                self.audio += base64.b64decode(audio)

    @property
    def answer(self) -> str:
        return "".join(self.parts)

    def final(self) -> DifyFinal:
        files = self.end_files if self.end_files is not None else self.event_files
        return DifyFinal(
            answer=self.answer,
            events=self.events,
            ended=self.ended,
            message_id=self.message_id,
            task_id=self.task_id,
            conversation_id=self.conversation_id,
            metadata=DifyMetadata(self.metadata) if self.metadata is not None else None,
            files=[DifyFile(f) for f in files if isinstance(f, dict)],
            replaced=self.replaced,
            audio=bytes(self.audio),
        )


def _text_piece(event: DifyEvent) -> str | None:
    if isinstance(event, DifyMessageReplaceEvent):
        return AnswerReplaced(event.get("answer") or "")
    if isinstance(event, DifyMessageEvent):
        answer: str | None = event.get("answer")
        return answer or None
    return None


class DifyStream(Stream[DifyEvent]):
    """A synchronous stream of typed Dify events: ``for event in stream``.

    ``task_id`` (for ``stop``) is known from the first event on.
    """

    def __init__(self, native: NativeStream) -> None:
        self._dify = _Accumulator()
        super().__init__(native, dify_event, self._dify)

    def __iter__(self) -> DifyStream:
        return self

    def __enter__(self) -> DifyStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def task_id(self) -> str | None:
        """The task id of this answer, once the first event arrived (``None`` before)."""
        return self._dify.task_id

    @property
    def answer(self) -> str:
        """The answer so far (after any moderation replace)."""
        return self._dify.answer

    def text(self) -> Iterator[str]:
        """The answer text as it arrives. On ``message_replace`` it yields an
        ``AnswerReplaced`` (a str): the whole new answer, voiding what came before."""
        for event in self:
            piece = _text_piece(event)
            if piece is not None:
                yield piece

    def final(self) -> DifyFinal:
        """Consumes the rest and returns the answer, usage, citations, files and audio."""
        self.until_done()
        return self._dify.final()


class AsyncDifyStream(AsyncStream[DifyEvent]):
    """An asynchronous stream of typed Dify events: ``async for event in stream``."""

    def __init__(self, native: NativeStream) -> None:
        self._dify = _Accumulator()
        super().__init__(native, dify_event, self._dify)

    def __aiter__(self) -> AsyncDifyStream:
        return self

    async def __aenter__(self) -> AsyncDifyStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def task_id(self) -> str | None:
        """The task id of this answer, once the first event arrived (``None`` before)."""
        return self._dify.task_id

    @property
    def answer(self) -> str:
        """The answer so far (after any moderation replace)."""
        return self._dify.answer

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

    async def final(self) -> DifyFinal:
        """Consumes the rest and returns the answer, usage, citations, files and audio."""
        await self.until_done()
        return self._dify.final()


def _b64encode(data: bytes) -> str:
    import base64  # lazy: not needed to import tela_sdk

    return base64.b64encode(data).decode("ascii")
