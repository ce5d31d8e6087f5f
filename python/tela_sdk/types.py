"""Result types. Attribute access follows the JSON the API returns; unknown fields are kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from ._base import NOT_GIVEN
from ._exceptions import RunFailedError, RunNotFinishedError, TelaError
from ._models import Model, ResponseModel
from ._native import ChunkChoice, ChunkModel, CompletionChunk, Delta

if TYPE_CHECKING:
    from ._tela.client import AsyncClient, Client

__all__ = [
    "FunctionCall",
    "ToolCall",
    "Message",
    "Choice",
    "Usage",
    "Completion",
    "ChunkModel",
    "Delta",
    "ChunkChoice",
    "ChunkMessage",
    "CompletionChunk",
    "RunStatus",
    "RunInformation",
    "RunOutput",
    "RunFile",
    "RunInput",
    "BaseRun",
    "Run",
    "AsyncRun",
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


class Completion(ResponseModel):
    """A finished canvas run (``chat.completion``)."""

    _repr_fields = ("id", "content", "request_id")

    id: str
    object: str
    created: int
    model: str | None
    choices: list[Choice]
    usage: Usage | None

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


class ChunkMessage(Model):
    """The message accumulated so far, as the server reports it in every chunk."""

    role: str | None
    content: Any
    function_call: FunctionCall | None
    tool_calls: list[ToolCall] | None
    structured_content: Any


# Stream chunks are native (built per event in the batch hand-over, hot fields read in Rust):
# they keep the models' behaviour (attribute access to every field, get(), to_dict(), repr,
# pickling, read-only) without a Python object walk per chunk. See src/chunks.rs. Imported
# above: ChunkModel (their base), Delta, ChunkChoice, CompletionChunk.


# --- async runs (protocol.md §4.1) ---------------------------------------------------------------

RunStatus = Literal["created", "running", "succeeded", "failed"]


#: "Not given": the native core applies its default (a 10-minute wait deadline). The same
#: object as every other "not given" of the SDK (``tela_sdk._base.NOT_GIVEN``).
DEFAULT: Any = NOT_GIVEN


class RunInformation(Model):
    """Cost and usage of a finished run, as the API reports them (``duration`` in ms)."""

    duration: float | None
    cost: float | None
    input_tokens: int | None
    output_tokens: int | None


class RunOutput(Model):
    """``output_content`` of a finished run."""

    role: str | None
    #: Text, or a dict when the canvas has a structured Output Format.
    content: Any
    tool_calls: list[ToolCall] | None
    information: RunInformation | None
    has_structured_output: bool | None
    input_messages: Any


class RunFile(Model):
    """A file the run read, from its variables or messages."""

    name: str | None
    used_at: str | None
    parsed_content: str | None
    url: str | None
    type: str | None


class RunInput(Model):
    """``input_content``: what the run was given."""

    variables: dict[str, Any] | None
    messages: list[Message] | None
    files: list[RunFile] | None


class BaseRun(ResponseModel):
    """An async canvas run: what ``submit``, ``retrieve``, ``wait``, ``list`` and webhooks
    return. Its life is ``created`` -> ``running`` -> ``succeeded`` | ``failed``.

    ``Run`` (from ``Client``) and ``AsyncRun`` (from ``AsyncClient``) add ``wait()`` and
    ``refresh()`` through the client that made them.
    """

    __slots__ = ("_client",)
    _repr_fields = ("id", "status", "content")

    id: str
    status: RunStatus
    input_content: RunInput | None
    output_content: RunOutput | None
    raw_input: dict[str, Any] | None
    raw_output: Any
    #: Why a ``failed`` run failed, when the API says (its shape is not documented).
    error: Any
    compatibility_date: str | None
    prompt_version_id: str | None
    prompt_application_id: str | None
    workspace_id: str | None
    created_at: str | None
    updated_at: str | None
    deleted_at: str | None

    def __init__(self, data: dict[str, Any], request_id: str | None = None, client: Any = None) -> None:
        super().__init__(data, request_id)
        object.__setattr__(self, "_client", client)

    @property
    def done(self) -> bool:
        """True once the run is ``succeeded`` or ``failed``; it never changes after that."""
        return self._data.get("status") in ("succeeded", "failed")

    @property
    def content(self) -> Any:
        """``output_content.content``: text, a dict for structured output, or None if unfinished."""
        return (self._data.get("output_content") or {}).get("content")

    def result(self) -> Any:
        """The content of a succeeded run. Raises ``RunFailedError`` for a failed run and
        ``RunNotFinishedError`` while it is still ``created`` or ``running``."""
        status = self._data.get("status")
        if status == "succeeded":
            return self.content
        if status == "failed":
            raise self._failure()
        raise RunNotFinishedError(
            f"Run {self.id} is still {status!r}, so it has no result yet; call wait() first (or refresh() later)."
        )

    def _failure(self) -> RunFailedError:
        error = self._data.get("error")
        reason = error.get("message") if isinstance(error, dict) else error
        code = error.get("code") if isinstance(error, dict) else None
        message = f"Run {self.id} failed: {reason}" if reason else f"Run {self.id} failed (the API gave no reason)"
        return RunFailedError(message, run=self, code=code, body=self._data, request_id=self._request_id)

    def _bound_client(self) -> Any:
        if self._client is None:
            raise TelaError(
                f"This {type(self).__name__} has no client (it came from a webhook, or was built by hand): "
                "use client.completions.retrieve(run.id) or client.completions.wait(run) instead."
            )
        return self._client


class Run(BaseRun):
    """A run made by a ``Client``: ``wait()`` and ``refresh()`` use that client."""

    __slots__ = ()

    def refresh(self) -> Run:
        """The run as it is now (a new object; this one does not change)."""
        client: Client = self._bound_client()
        return client.completions.retrieve(self.id)

    def wait(
        self,
        *,
        timeout: float | None = DEFAULT,
        poll_interval: float | None = None,
        on_status: Callable[[Run], object] | None = None,
    ) -> Run:
        """Polls until the run is final and returns it; see ``Completions.wait``."""
        client: Client = self._bound_client()
        return client.completions.wait(self, timeout=timeout, poll_interval=poll_interval, on_status=on_status)


class AsyncRun(BaseRun):
    """A run made by an ``AsyncClient``: ``await run.wait()`` and ``await run.refresh()``."""

    __slots__ = ()

    async def refresh(self) -> AsyncRun:
        """The run as it is now (a new object; this one does not change)."""
        client: AsyncClient = self._bound_client()
        return await client.completions.retrieve(self.id)

    async def wait(
        self,
        *,
        timeout: float | None = DEFAULT,
        poll_interval: float | None = None,
        on_status: Callable[[AsyncRun], object] | None = None,
    ) -> AsyncRun:
        """Polls until the run is final and returns it; see ``AsyncCompletions.wait``."""
        client: AsyncClient = self._bound_client()
        return await client.completions.wait(self, timeout=timeout, poll_interval=poll_interval, on_status=on_status)
