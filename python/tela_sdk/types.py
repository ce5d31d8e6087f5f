"""Result types. Attribute access follows the JSON the API returns; unknown fields are kept."""

from __future__ import annotations

from . import _docs
from ._base import NOT_GIVEN, NotGiven
from ._exceptions import InvalidRequestError, RunFailedError, RunNotFinishedError, TaskFailedError, TelaError
from ._models import Field, Model, ResponseModel
from ._native import ChunkChoice, ChunkModel, CompletionChunk, Delta
from ._typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Final, Literal, TypeVar

    from ._tela.client import AsyncClient, Client

    _T = TypeVar("_T")

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
    "BaseTask",
    "Task",
    "AsyncTask",
    "Canvas",
    "CanvasVariable",
    "CanvasVersion",
    "EnvironmentPublication",
    "TaskEvent",
]


class FunctionCall(Model):
    name: Field[str | None]
    arguments: Field[str | None]


class ToolCall(Model):
    name: Field[str | None]
    arguments: Field[str | None]


class Message(Model):
    role: Field[str]
    #: Text for ordinary canvases; a dict when the canvas has a structured Output Format.
    content: Field[Any]
    function_call: Field[FunctionCall | None]
    tool_calls: Field[list[ToolCall] | None]


class Choice(Model):
    index: Field[int | None]
    message: Field[Message]
    finish_reason: Field[str | None]


class Usage(Model):
    prompt_tokens: Field[int | None]
    completion_tokens: Field[int | None]
    total_tokens: Field[int | None]


class Completion(ResponseModel):
    """A finished canvas run (``chat.completion``)."""

    _repr_fields = ("id", "content", "request_id")

    id: Field[str]
    object: Field[str]
    created: Field[int]
    model: Field[str | None]
    choices: Field[list[Choice]]
    usage: Field[Usage | None]

    @property
    def content(self) -> Any:
        """The first choice's content: text, or a dict for structured output."""
        choices = self._data.get("choices") or []
        if not choices:
            return None
        return (choices[0].get("message") or {}).get("content")

    def parse(self, model: type[_T]) -> _T:
        """The structured content as a ``model``: a pydantic model class, a dataclass or a
        TypedDict (a JSON string is decoded first). Raises ``tela_sdk.ParseError`` naming the
        first field that does not fit. pydantic is not a dependency of tela_sdk: only a
        pydantic target uses it."""
        from ._structured import parse  # lazy: json and dataclasses are not needed to import

        return parse(self.content, model)

    if not TYPE_CHECKING:
        # Hidden from type checkers, which already reject `for chunk in completion`. At run
        # time, looping over a Completion (``stream=True`` forgotten) would otherwise fall back
        # on __getitem__ and fail with a bare ``KeyError: 0``.
        def __iter__(self):
            raise _not_a_stream("for")

        def __aiter__(self):
            raise _not_a_stream("async for")


def _not_a_stream(loop: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"`{loop}` over a Completion: it is the finished answer, not a stream. Pass stream=True to "
        "completions.create(...) to iterate over chunks, or read completion.content."
    )


class ChunkMessage(Model):
    """The message accumulated so far, as the server reports it in every chunk."""

    role: Field[str | None]
    content: Field[Any]
    function_call: Field[FunctionCall | None]
    tool_calls: Field[list[ToolCall] | None]
    structured_content: Field[Any]


# Stream chunks are native (built per event in the batch hand-over, hot fields read in Rust):
# they keep the models' behaviour (attribute access to every field, get(), to_dict(), repr,
# pickling, read-only) without a Python object walk per chunk. See src/chunks.rs. Imported
# above: ChunkModel (their base), Delta, ChunkChoice, CompletionChunk.


# --- async runs (protocol.md §4.1) ---------------------------------------------------------------

if TYPE_CHECKING:
    RunStatus = Literal["created", "running", "succeeded", "failed"]
else:

    def __getattr__(name):
        """``RunStatus`` is built on first use (PEP 562), as ``import tela_sdk`` does not load
        typing; a pydantic model or FastAPI route annotated with it still sees the Literal."""
        if name != "RunStatus":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from typing import Literal

        value = globals()["RunStatus"] = Literal["created", "running", "succeeded", "failed"]
        return value


#: "Not given": the native core applies its default (a 10-minute wait deadline). The same
#: object as every other "not given" of the SDK (``tela_sdk._base.NOT_GIVEN``).
DEFAULT: Final = NOT_GIVEN


class RunInformation(Model):
    """Cost and usage of a finished run, as the API reports them (``duration`` in ms)."""

    duration: Field[float | None]
    cost: Field[float | None]
    input_tokens: Field[int | None]
    output_tokens: Field[int | None]


class RunOutput(Model):
    """``output_content`` of a finished run."""

    role: Field[str | None]
    #: Text, or a dict when the canvas has a structured Output Format.
    content: Field[Any]
    tool_calls: Field[list[ToolCall] | None]
    information: Field[RunInformation | None]
    has_structured_output: Field[bool | None]
    input_messages: Field[Any]


class RunFile(Model):
    """A file the run read, from its variables or messages."""

    name: Field[str | None]
    used_at: Field[str | None]
    parsed_content: Field[str | None]
    url: Field[str | None]
    type: Field[str | None]


class RunInput(Model):
    """``input_content``: what the run was given."""

    variables: Field[dict[str, Any] | None]
    messages: Field[list[Message] | None]
    files: Field[list[RunFile] | None]


class BaseRun(ResponseModel):
    """An async canvas run: what ``submit``, ``retrieve``, ``wait``, ``list`` and webhooks
    return. Its life is ``created`` -> ``running`` -> ``succeeded`` | ``failed``.

    ``Run`` (from ``Client``) and ``AsyncRun`` (from ``AsyncClient``) add ``wait()`` and
    ``refresh()`` through the client that made them.
    """

    __slots__ = ("_client",)
    _client: Any
    _repr_fields = ("id", "status", "content")

    id: Field[str]
    status: Field[RunStatus]
    input_content: Field[RunInput | None]
    output_content: Field[RunOutput | None]
    raw_input: Field[dict[str, Any] | None]
    raw_output: Field[Any]
    #: Why a ``failed`` run failed, when the API says (its shape is not documented).
    error: Field[Any]
    compatibility_date: Field[str | None]
    prompt_version_id: Field[str | None]
    prompt_application_id: Field[str | None]
    workspace_id: Field[str | None]
    created_at: Field[str | None]
    updated_at: Field[str | None]
    deleted_at: Field[str | None]

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
        timeout: float | NotGiven | None = DEFAULT,
        poll_interval: float | None = None,
        on_status: Callable[[Run], object] | None = None,
    ) -> Run:
        """Polls until the run is final and returns it (raises ``RunFailedError`` if it
        failed). ``timeout``: seconds to wait in all (default 10 minutes; None: no limit);
        ``poll_interval``: the first pause between polls (default 1 s, growing to 10 s);
        ``on_status(run)`` is called with every status change. See ``Completions.wait``."""
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
        timeout: float | NotGiven | None = DEFAULT,
        poll_interval: float | None = None,
        on_status: Callable[[AsyncRun], object] | None = None,
    ) -> AsyncRun:
        """Async twin of ``Run.wait``."""
        client: AsyncClient = self._bound_client()
        return await client.completions.wait(self, timeout=timeout, poll_interval=poll_interval, on_status=on_status)


_docs.share(AsyncRun, Run)


# --- Workstation tasks (protocol.md §4.3, §4.4) -----------------------------------------------


class BaseTask(ResponseModel):
    """A Workstation task: what ``client.tasks`` and ``completions.submit(application_id=...)``
    return. Tela's guide polls it with ``GET /task/{id}`` until it is ``completed`` or
    ``failed``; the status set is open (``validating``, ``approved``... are kept as strings). Keys arrive
    camelCase and read snake_case (``promptApplicationId`` is ``prompt_application_id``,
    also ``application_id``); unknown fields stay readable.

    ``Task`` (from ``Client``) and ``AsyncTask`` (from ``AsyncClient``) add ``wait()``.
    """

    __slots__ = ("_client",)
    _client: Any
    _repr_fields = ("id", "status", "output")

    id: Field[str]
    status: Field[str]
    name: Field[str | None]
    #: The completion run that produced the task's output, when the answer names it.
    completion_run_id: Field[str | None]
    prompt_application_id: Field[str | None]
    prompt_version_id: Field[str | None]
    output_content: Field[RunOutput | None]
    raw_input: Field[dict[str, Any] | None]
    #: Why a ``failed`` task failed, when the API says (its shape is not documented).
    error: Field[Any]
    tags: Field[list[str] | None]
    #: The task's number within its app.
    reference: Field[int | None]
    input_content: Field[RunInput | None]
    #: The output as the canvas produced it, before review edits.
    original_output_content: Field[RunOutput | None]
    #: As sent (its keys are not renamed): ``editedFields``, each review edit's ``path``,
    #: ``author``, ``editedAt`` and ``previousValue``, and more.
    metadata: Field[dict[str, Any] | None]
    approved_at: Field[str | None]
    approved_by: Field[str | None]
    created_by: Field[str | None]
    source_type: Field[str | None]
    workspace_id: Field[str | None]
    created_at: Field[str | None]
    updated_at: Field[str | None]

    def __init__(self, data: dict[str, Any], request_id: str | None = None, client: Any = None) -> None:
        super().__init__(data, request_id)
        object.__setattr__(self, "_client", client)

    @property
    def approved(self) -> bool:
        """True once a reviewer (or ``tasks.approve``) approved the task (``approvedAt`` is set)."""
        return self._data.get("approved_at") is not None

    @property
    def application_id(self) -> str | None:
        """The Workstation app's id (``promptApplicationId`` on the wire)."""
        value: str | None = self._data.get("prompt_application_id")
        return value

    @property
    def output(self) -> Any:
        """``outputContent.content``: a dict for structured output, text, or None while running."""
        return (self._data.get("output_content") or {}).get("content")

    def parse(self, model: type[_T]) -> _T:
        """The output as a ``model`` (a pydantic model class, a dataclass or a TypedDict), like
        ``Completion.parse``; raises ``tela_sdk.ParseError`` naming the first field that does
        not fit."""
        from ._structured import parse  # lazy: json and dataclasses are not needed to import

        return parse(self.output, model)

    def _failure(self) -> TaskFailedError:
        error = self._data.get("error")
        reason = error.get("message") if isinstance(error, dict) else error
        code = error.get("code") if isinstance(error, dict) else None
        message = f"Task {self.id} failed: {reason}" if reason else f"Task {self.id} failed (the API gave no reason)"
        return TaskFailedError(message, task=self, code=code, body=self._data, request_id=self._request_id)

    def _bound_client(self) -> Any:
        if self._client is None:
            raise TelaError(f"This {type(self).__name__} has no client (it was built by hand), so it cannot wait.")
        return self._client


class Task(BaseTask):
    """A task made by a ``Client``: ``wait()`` uses that client."""

    __slots__ = ()

    def wait(self, *, timeout: float | NotGiven | None = DEFAULT, poll_interval: float | None = None) -> Task:
        """Polls ``GET /task/{id}`` until the task leaves ``created``/``running`` and returns it;
        a ``failed`` task raises ``TaskFailedError`` (with ``.task``). ``timeout``: seconds
        to wait in all (default 10 minutes; None: no limit; past it, ``RunTimeoutError``);
        ``poll_interval``: the first pause between polls (default 1 s, growing to 10 s).
        Connection errors, 429 and 5xx answers are polled through until the deadline."""
        client: Client = self._bound_client()
        return client.completions._wait_task(self, timeout, poll_interval)


class AsyncTask(BaseTask):
    """A task made by an ``AsyncClient``: ``await task.wait()``."""

    __slots__ = ()

    async def wait(
        self, *, timeout: float | NotGiven | None = DEFAULT, poll_interval: float | None = None
    ) -> AsyncTask:
        """Async twin of ``Task.wait``."""
        client: AsyncClient = self._bound_client()
        return await client.completions._wait_task(self, timeout, poll_interval)


_docs.share(AsyncTask, Task)


# --- Canvases, versions and environments (protocol.md §9) --------------------------------------


class Canvas(ResponseModel):
    """A canvas (``GET /prompt/{id}``, a row of ``GET /prompt``). camelCase on the wire, read
    snake_case (``projectId`` is ``project_id``); unknown fields stay readable."""

    _repr_fields = ("id", "title", "project_id")

    id: Field[str]
    title: Field[str | None]
    #: None for a personal draft.
    project_id: Field[str | None]
    workspace_id: Field[str | None]
    #: The newest version as the list embeds it (an id or an object; not documented).
    last_version: Field[Any]
    created_at: Field[str | None]
    updated_at: Field[str | None]


class CanvasVariable(Model):
    """One variable of a canvas version: ``name``, ``type`` (``"text"``, ``"file"``, or any
    other string the API adds), ``required``, ``description`` and ``allow_multimodal``
    (``processingOptions.allowMultimodal``)."""

    _repr_fields = ("name", "type", "required")

    name: Field[str]
    type: Field[str]
    required: Field[bool | None]
    description: Field[str | None]
    processing_options: Field[dict[str, Any] | None]

    @property
    def allow_multimodal(self) -> bool | None:
        """Whether a file variable's content may reach the model as is (images, PDFs), when said."""
        options = self._data.get("processing_options")
        value = options.get("allow_multimodal") if isinstance(options, dict) else None
        return value if isinstance(value, bool) else None

    @property
    def is_file(self) -> bool:
        """True when the variable wants a file (``type == "file"``); every other type is text."""
        return self._data.get("type") == "file"


class CanvasVersion(ResponseModel):
    """A version of a canvas (``GET /prompt-version/{id}``, the promoted or latest version,
    a row of the history). camelCase on the wire, read snake_case; ``canvas_id`` is the
    wire's ``promptId``. History rows carry no ``content``, ``configuration`` or
    ``variables`` (None here): fetch ``canvases.version(id)`` for those."""

    _repr_fields = ("id", "canvas_id", "title", "promoted")

    id: Field[str]
    prompt_id: Field[str | None]
    title: Field[str | None]
    content: Field[Any]
    configuration: Field[dict[str, Any] | None]
    variables: Field[list[CanvasVariable] | None]
    promoted: Field[bool | None]
    draft: Field[bool | None]
    #: 1-based position among the canvas's versions, oldest first.
    version_index: Field[int | None]
    previous_version_id: Field[str | None]
    #: The environments serving this version (their item shape is not documented).
    environments: Field[list[Any] | None]
    messages: Field[Any]
    created_at: Field[str | None]
    updated_at: Field[str | None]

    @property
    def canvas_id(self) -> str | None:
        """The canvas this version belongs to (``promptId`` on the wire)."""
        value: str | None = self._data.get("prompt_id")
        return value

    @property
    def output_schema(self) -> dict[str, Any] | None:
        """The JSON Schema of the structured output (``configuration.structuredOutput.schema``)
        when structured output is enabled, else None."""
        config = self._data.get("configuration")
        structured = config.get("structured_output") if isinstance(config, dict) else None
        if not isinstance(structured, dict) or not structured.get("enabled"):
            return None
        schema = structured.get("schema")
        return schema if isinstance(schema, dict) else None

    @property
    def environment_names(self) -> list[str]:
        """The names of ``environments`` (items that are names, or objects with a ``name``)."""
        out: list[str] = []
        for env in self._data.get("environments") or ():
            name = (env.get("name") or env.get("env_name")) if isinstance(env, dict) else env
            if isinstance(name, str):
                out.append(name)
        return out


class EnvironmentPublication(ResponseModel):
    """What ``environments.publish`` answers: ``environment`` (as the API describes it) and
    ``version``, the version it now serves. The field names are assumed (protocol.md §9.4):
    ``to_dict()`` shows the whole answer."""

    environment: Field[dict[str, Any] | None]
    version: Field[CanvasVersion | None]


class TaskEvent(Model):
    """A Workstation task event, as an app's webhook delivers it (``webhooks.parse``):
    ``event`` is ``task.completed``, ``task.approved`` or ``task.failed`` (others are kept as
    strings), ``task`` the task (snake_case, without a client: fetch it again with
    ``client.tasks.get(event.task.id)`` to act on it), ``output`` its output."""

    _repr_fields = ("event", "id")

    #: The delivery's id.
    id: Field[str | None]
    event: Field[str]
    timestamp: Field[str | None]
    task: Field[BaseTask]
    input_content: Field[RunInput | None]
    output_content: Field[RunOutput | None]

    @property
    def output(self) -> Any:
        """``outputContent.content`` of the event (else the task's), or None."""
        out = self._data.get("output_content")
        if isinstance(out, dict) and "content" in out:
            return out["content"]
        task = self._data.get("task")
        return ((task or {}).get("output_content") or {}).get("content") if isinstance(task, dict) else None

    def parse(self, model: type[_T]) -> _T:
        """The output as a ``model``, like ``Task.parse``."""
        from ._structured import parse  # lazy: json and dataclasses are not needed to import

        return parse(self.output, model)
