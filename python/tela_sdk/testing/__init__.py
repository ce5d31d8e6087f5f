"""A local emulator of the Tela API for tests, examples and your own test suites.

    from tela_sdk.testing import Emulator
    with Emulator() as emu:
        canvas = emu.add_canvas(template="Summarize: {{document}}", reply="A summary.")
        client = emu.client()
        print(client.completions.create(canvas_id=canvas.id, variables={"document": "..."}).content)

It is a real HTTP server on 127.0.0.1 (port 0 = a free port), so the client under test goes
over real TCP exactly as in production.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._closing import Closing
from .._models import Field, Model
from .._native import NativeEmulator
from .._tela.client import AsyncClient, Client
from ._cassette import Cassette, cassette
from ._dify import DifyAnswerRequest, DifyApp, DifyEmulatorMixin, DifyFeedback, DifyUpload
from ._either import (
    AsyncEmulatorClient,
    AsyncEmulatorDifyClient,
    EmulatorClient,
    EmulatorDifyClient,
    async_client_or_emulator,
    async_dify_client_or_emulator,
    client_or_emulator,
    dify_client_or_emulator,
)
from ._files import FilesEmulatorMixin, ReplyFile, StoredFile
from ._reply import dispatched

__all__ = [
    "Emulator",
    "Canvas",
    "RecordedRequest",
    "ReplyRequest",
    "ReplyFile",
    "StoredFile",
    "WebhookDelivery",
    "DEFAULT_API_KEY",
    "DEMO_CANVAS_ID",
    "DEMO_DIFY_KEY",
    "client_or_emulator",
    "async_client_or_emulator",
    "dify_client_or_emulator",
    "async_dify_client_or_emulator",
    "EmulatorClient",
    "AsyncEmulatorClient",
    "EmulatorDifyClient",
    "AsyncEmulatorDifyClient",
    "DifyApp",
    "DifyAnswerRequest",
    "DifyUpload",
    "DifyFeedback",
    "cassette",
    "Cassette",
]

DEFAULT_API_KEY = "test-key"
#: The demo canvas of ``Emulator.add_demos()``: variable ``document``.
DEMO_CANVAS_ID = "demo"
#: The demo Dify app's key, fixed so a standalone emulator can be used from another shell.
DEMO_DIFY_KEY = "app-demo"


@dataclass(frozen=True)
class Canvas:
    """A registered canvas: run it with ``canvas_id=canvas.id`` (or a version id)."""

    id: str
    production_version_id: str
    version_ids: list[str] = field(default_factory=list)
    #: Set when registered with ``application_id=``: submit(application_id=...) runs it.
    application_id: str | None = None


class RecordedRequest(Model):
    """A request the emulator received (the Authorization value is masked)."""

    _repr_fields = ("method", "path", "status")

    method: Field[str]
    path: Field[str]
    query: Field[str]
    headers: Field[dict[str, str]]
    body: Field[Any]
    body_len: Field[int]
    status: Field[int]
    time_ms: Field[int]


class WebhookDelivery(Model):
    """One attempt to POST a run's webhook (``status`` is None when the receiver could not
    be reached; ``delivered`` is True for the 2xx attempt)."""

    _repr_fields = ("run_id", "attempt", "status", "delivered")

    run_id: Field[str]
    url: Field[str]
    attempt: Field[int]
    status: Field[int | None]
    error: Field[str | None]
    delivered: Field[bool]
    payload: Field[Any]
    time_ms: Field[int]


class ReplyRequest(Model):
    """What a reply callback sees about the call it answers."""

    canvas_id: Field[str | None]
    version_id: Field[str | None]
    environment_name: Field[str | None]
    variables: Field[dict[str, Any]]
    messages: Field[list[Any]]
    override: Field[Any]
    prompt: Field[str]
    headers: Field[dict[str, str]]
    #: Every file reference of the call, resolved (name, MIME type, size, sha256, text...).
    files: Field[list[ReplyFile]]


Reply = str | Mapping[str, Any] | Callable[[ReplyRequest], Any] | None


class Emulator(DifyEmulatorMixin, FilesEmulatorMixin, Closing):
    """An in-process Tela API server. Use as a context manager, or call ``close()``.

    A canvas run whose template (or text reply) uses a variable the request did not send
    answers 400 ``MISSING_VARIABLES`` naming it (a ``BadRequestError`` with that ``code``),
    so a typo fails the test instead of leaving ``{{document}}`` in the reply. This is the
    emulator's check; ``allow_missing_variables=True`` here (every canvas) or on
    ``add_canvas`` (one canvas) turns it off.

    ``strict=True`` answers with only the fields the public Tela docs show, so a test cannot
    pass by reading one production may not send: a blocking completion is just ``id``,
    ``object``, ``created`` and ``choices[].message.{role, content}`` (``completion.model``,
    ``.usage``, ``choices[0].finish_reason`` and ``.index`` read None); stream chunks lose
    ``model``, ``index``, ``finish_reason``, ``logprobs``, ``function_call`` and
    ``tool_calls``; a finished run's ``raw_output`` is ``{}`` and a failed run carries no
    ``error``. Strict becomes the default in the next minor version: pass ``strict=False``
    to keep the extra fields.
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        api_keys: Sequence[str] | None = None,
        port: int = 0,
        allow_missing_variables: bool = False,
        strict: bool = False,
    ) -> None:
        keys = list(api_keys) if api_keys is not None else [api_key]
        self.api_key = keys[0] if keys else api_key
        self.strict = strict
        self._native = NativeEmulator(keys, port, allow_missing_variables, strict)

    @property
    def url(self) -> str:
        """The base URL to give a client (``http://127.0.0.1:PORT``)."""
        return self._native.base_url

    @property
    def port(self) -> int:
        return self._native.port

    def client(self, **options: Any) -> Client:
        """A ``Client`` pointed at this emulator with its API key."""
        options.setdefault("api_key", self.api_key)
        options.setdefault("trust_env", False)  # loopback: HTTP_PROXY must not apply
        return Client(base_url=self.url, **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An ``AsyncClient`` pointed at this emulator with its API key."""
        options.setdefault("api_key", self.api_key)
        options.setdefault("trust_env", False)  # loopback: HTTP_PROXY must not apply
        return AsyncClient(base_url=self.url, **options)

    def add_canvas(
        self,
        *,
        id: str | None = None,
        template: str = "",
        reply: Reply = None,
        versions: Sequence[Mapping[str, Any]] = (),
        environments: Mapping[str, str] | None = None,
        model: str | None = None,
        stream: Mapping[str, Any] | None = None,
        application_id: str | None = None,
        run: Mapping[str, Any] | None = None,
        allow_missing_variables: bool = False,
        title: str | None = None,
        project_id: str | None = None,
        variables: Sequence[Mapping[str, Any]] | None = None,
        output_schema: Mapping[str, Any] | None = None,
    ) -> Canvas:
        """Registers a canvas.

        ``reply``: None echoes the rendered template; a str is rendered with the variables
        (``{{name}}``); a dict is structured output; a callable gets a ``ReplyRequest`` and
        returns a str or a dict. ``versions`` are extra versions (``{"id", "template",
        "reply"}``), ``environments`` maps names to version ids, ``stream`` tunes streaming
        (``chunk_size``, ``delay_ms``, ``done``, ``crlf``, ``split_frames``, ``comments``,
        ``stall_after``/``stall_ms``, ``drop_after``, ``error_after``/``error_style``).
        ``application_id`` also registers the canvas as that Workstation app. ``run`` tunes
        async runs: ``created_ms`` (50) and ``running_ms`` (100) in each status, ``fail`` and
        ``fail_message`` to end them ``failed``, ``webhook`` (``"run"``, or ``"completion"``
        for the legacy ``chat.completion`` body), ``webhook_attempts`` (3),
        ``webhook_retry_ms`` (100, doubling), ``webhook_timeout_ms`` (5000).
        ``allow_missing_variables`` lets a run without a variable the template uses go ahead,
        leaving ``{{name}}`` in the text (default: 400 ``MISSING_VARIABLES``).

        What ``client.canvases`` reads (protocol.md §9): ``title`` and ``project_id`` of the
        canvas; ``variables`` of the promoted version, each ``{"name", "type"`` (``"text"``,
        ``"file"``...), ``"required"`` (True), ``"description"``, ``"allow_multimodal"}``
        (default: one required text variable per ``{{name}}`` of the template);
        ``output_schema``, its structured output's JSON Schema (default: off). ``versions``
        items take ``title``, ``variables`` and ``output_schema`` too. The versions are
        ordered as given (the promoted one first), so the last is the latest.
        """
        spec: dict[str, Any] = {"template": template, "versions": [dict(v) for v in versions]}
        if id is not None:
            spec["id"] = id
        if environments:
            spec["environments"] = dict(environments)
        if model is not None:
            spec["model"] = model
        if stream:
            spec["stream"] = dict(stream)
        if application_id is not None:
            spec["application_id"] = application_id
        if run:
            spec["run"] = dict(run)
        if allow_missing_variables:
            spec["allow_missing_variables"] = True
        if title is not None:
            spec["title"] = title
        if project_id is not None:
            spec["project_id"] = project_id
        if variables is not None:
            spec["variables"] = [dict(v) for v in variables]
        if output_schema is not None:
            spec["output_schema"] = dict(output_schema)
        callback: Callable[..., Any] | None = None
        if callable(reply):
            user_fn = reply

            def answer_one(request: dict[str, Any]) -> Any:
                return user_fn(ReplyRequest(request))

            callback = dispatched(answer_one)

        elif reply is not None:
            spec["reply"] = dict(reply) if isinstance(reply, Mapping) else reply
        info = self._native.add_canvas(spec, callback)
        return Canvas(info["id"], info["production_version_id"], list(info["version_ids"]), info.get("application_id"))

    def add_demos(self) -> None:
        """Registers the demo canvas ``demo`` (template ``Summarize: {{document}}``, reply
        ``Summary of: {{document}}``) and a Dify completion app with key ``app-demo`` (input
        ``text``, answer ``Echo: {{text}}``): what ``tela-sdk emulator`` and
        ``client_or_emulator()`` serve."""
        self.add_canvas(id=DEMO_CANVAS_ID, template="Summarize: {{document}}", reply="Summary of: {{document}}")
        self.add_dify_app(api_key=DEMO_DIFY_KEY, name="Demo", template="Echo: {{text}}", user_input_form=["text"])

    def fail(
        self,
        status: int | None = None,
        *,
        times: int = 1,
        path: str | None = "/v2/",
        method: str | None = None,
        retry_after: float | str | None = None,
        retry_after_ms: int | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        drop: bool = False,
    ) -> None:
        """Injects a fault into the next ``times`` matching requests: answer ``status``
        (with ``Retry-After``/``retry-after-ms``/``body``/``headers``), wait ``delay``
        seconds first, or ``drop`` the connection without any response."""
        fault: dict[str, Any] = {"times": times, "drop": drop, "delay_ms": int(delay * 1000)}
        for key, value in (
            ("status", status),
            ("path", path),
            ("method", method),
            ("retry_after_ms", retry_after_ms),
            ("body", body),
        ):
            if value is not None:
                fault[key] = value
        if retry_after is not None:
            fault["retry_after"] = str(retry_after)
        if headers:
            fault["headers"] = dict(headers)
        self._native.add_fault(fault)

    def clear_faults(self) -> None:
        self._native.clear_faults()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        return [RecordedRequest(r) for r in self._native.requests()]

    def clear_requests(self) -> None:
        self._native.clear_requests()

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every webhook delivery attempt so far, oldest first."""
        return [WebhookDelivery(d) for d in self._native.webhook_deliveries()]

    def clear_webhook_deliveries(self) -> None:
        self._native.clear_webhook_deliveries()

    def close(self) -> None:
        self._native.close()

    def __repr__(self) -> str:
        return f"Emulator(url={self.url!r})"
