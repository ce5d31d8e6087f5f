"""Result types. Attribute access follows the JSON the API returns; unknown fields are kept."""

from __future__ import annotations

from typing import Any

from ._models import Model

__all__ = [
    "FunctionCall",
    "ToolCall",
    "Message",
    "Choice",
    "Usage",
    "Completion",
    "Delta",
    "ChunkChoice",
    "ChunkMessage",
    "CompletionChunk",
]


class FunctionCall(Model):
    name: str | None
    arguments: str | None


class ToolCall(Model):
    name: str | None
    arguments: str | None


class Message(Model):
    role: str
    #: Text for ordinary canvases; a dict when the canvas has a structured Output Format.
    content: Any
    function_call: FunctionCall | None
    tool_calls: list[ToolCall] | None


class Choice(Model):
    index: int | None
    message: Message
    finish_reason: str | None


class Usage(Model):
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None


class Completion(Model):
    """A finished canvas run (``chat.completion``)."""

    __slots__ = ("_request_id",)
    _repr_fields = ("id", "content", "request_id")

    id: str
    object: str
    created: int
    model: str | None
    choices: list[Choice]
    usage: Usage | None

    def __init__(self, data: dict[str, Any], request_id: str | None = None) -> None:
        super().__init__(data)
        object.__setattr__(self, "_request_id", request_id)

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` of the response: quote it when reporting a problem."""
        request_id: str | None = self._request_id
        return request_id

    @property
    def content(self) -> Any:
        """The first choice's content: text, or a dict for structured output."""
        choices = self._data.get("choices") or []
        if not choices:
            return None
        return (choices[0].get("message") or {}).get("content")

    def parse(self, model: type[Any]) -> Any:
        """Validates the structured content into a pydantic model class (or any class with
        ``model_validate``); pydantic itself is not a dependency of tela_sdk."""
        validate = getattr(model, "model_validate", None)
        if validate is None:
            raise TypeError(f"{model!r} has no model_validate(); pass a pydantic model class")
        return validate(self.content)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data, self._request_id))


class Delta(Model):
    role: str | None
    content: str | None
    function_call: FunctionCall | None


class ChunkChoice(Model):
    index: int | None
    delta: Delta
    finish_reason: str | None


class ChunkMessage(Model):
    """The message accumulated so far, as the server reports it in every chunk."""

    role: str | None
    content: Any
    function_call: FunctionCall | None
    tool_calls: list[ToolCall] | None
    structured_content: Any


class CompletionChunk(Model):
    """One streamed chunk (``chat.completion.chunk``)."""

    _repr_fields = ("id", "text", "finish_reason")

    id: str | None
    object: str | None
    created: int | None
    model: str | None
    choices: list[ChunkChoice]
    message: ChunkMessage | None

    @property
    def text(self) -> str | None:
        """The first choice's text delta, if any."""
        choices = self._data.get("choices") or []
        if not choices:
            return None
        text: str | None = (choices[0].get("delta") or {}).get("content")
        return text

    @property
    def finish_reason(self) -> str | None:
        choices = self._data.get("choices") or []
        reason: str | None = choices[0].get("finish_reason") if choices else None
        return reason
