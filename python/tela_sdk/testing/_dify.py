"""The Dify half of the emulator facade: apps, their clients, and what they received.

with Emulator() as emu:
    app = emu.add_dify_app(template="Translate: {{text}}", answer="Hola", user_input_form=["text"])
    dify = emu.dify_client(app)          # DifyClient(base_url=emu.dify_url, api_key=app.api_key)
    print(dify.completion_messages.create(inputs={"text": "Hello"}, user="u1").answer)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._dify.client import AsyncDifyClient, DifyClient
from .._models import Field, Model
from ._reply import dispatched

if TYPE_CHECKING:
    from .._native import NativeEmulator

__all__ = ["DifyApp", "DifyAnswerRequest", "DifyUpload", "DifyFeedback", "DifyEmulatorMixin"]


@dataclass(frozen=True)
class DifyApp:
    """A registered Dify app: use its ``api_key`` with ``DifyClient(base_url=emu.dify_url)``."""

    id: str
    api_key: str = field(repr=False)
    api_keys: list[str] = field(default_factory=list, repr=False)
    mode: str = "completion"
    name: str = ""


class DifyAnswerRequest(Model):
    """What an answer callback sees about the message it answers."""

    app_id: Field[str]
    mode: Field[str]
    inputs: Field[dict[str, Any]]
    query: Field[str]
    user: Field[str]
    #: The files the app received (uploads carry ``filename``, ``size``, ``sha256``).
    files: Field[list[dict[str, Any]]]
    conversation_id: Field[str | None]
    #: The app's template rendered with the inputs (and ``{{query}}``).
    prompt: Field[str]
    headers: Field[dict[str, str]]


class DifyUpload(Model):
    """A file uploaded to an app, as the emulator received it."""

    _repr_fields = ("name", "size", "user")

    id: Field[str]
    app_id: Field[str]
    user: Field[str]
    name: Field[str]
    size: Field[int]
    extension: Field[str]
    mime_type: Field[str]
    sha256: Field[str]
    created_at: Field[int]


class DifyFeedback(Model):
    """The rating currently held for a message."""

    _repr_fields = ("message_id", "rating", "user")

    message_id: Field[str]
    app_id: Field[str]
    user: Field[str]
    rating: Field[str]
    content: Field[str | None]


DifyAnswer = str | Callable[[DifyAnswerRequest], Any] | None


def _form_item(item: str | Mapping[str, Any]) -> dict[str, Any]:
    """A plain name is a required text input; a dict is Dify's own form item."""
    if isinstance(item, str):
        return {"text-input": {"variable": item, "label": item, "required": True, "default": ""}}
    return dict(item)


class DifyEmulatorMixin:
    """Dify methods of ``tela_sdk.testing.Emulator``."""

    _native: NativeEmulator

    @property
    def url(self) -> str:  # provided by Emulator
        raise NotImplementedError

    @property
    def dify_url(self) -> str:
        """The Dify base URL to give a client: ``http://127.0.0.1:PORT/v1``."""
        return self.url + "/v1"

    def add_dify_app(
        self,
        *,
        api_key: str | None = None,
        api_keys: Sequence[str] = (),
        id: str | None = None,
        mode: str = "completion",
        name: str | None = None,
        description: str = "",
        tags: Sequence[str] = (),
        author_name: str | None = None,
        template: str = "",
        answer: DifyAnswer = None,
        user_input_form: Sequence[str | Mapping[str, Any]] = (),
        opening_statement: str = "",
        suggested_questions: Sequence[str] = (),
        answer_files: Sequence[Mapping[str, Any]] = (),
        retriever_resources: Sequence[Mapping[str, Any]] = (),
        tool_icons: Mapping[str, Any] | None = None,
        stream: Mapping[str, Any] | None = None,
        moderation: str | Mapping[str, Any] | None = None,
        tts: bool = False,
        error: Mapping[str, Any] | None = None,
        max_concurrent: int | None = None,
        api_enabled: bool = True,
        file_upload_enabled: bool = True,
        upload_limits: Mapping[str, int] | None = None,
        extension_blacklist: Sequence[str] = (),
    ) -> DifyApp:
        """Registers a Dify app, served under ``dify_url`` with its own key (``app-...``,
        generated unless ``api_key``/``api_keys`` are given).

        ``mode``: ``completion`` (default), ``chat``, ``agent-chat`` or ``advanced-chat``.
        ``template`` is the prompt, with ``{{var}}`` filled from ``inputs`` (and ``{{query}}``).
        ``answer``: None echoes the rendered template; a str is rendered the same way; a
        callable gets a ``DifyAnswerRequest`` and returns the answer text.
        ``user_input_form``: variable names (required text inputs) or Dify's own items
        (``{"select": {"variable", "options", "required"}}``), enforced like Dify does.
        ``stream`` tunes streaming: ``chunk_size`` (4), ``delay_ms``, ``start_delay_ms``,
        ``json_style`` (``"compact"`` or ``"spaced"``), ``ping_interval_ms`` (10000),
        ``ping_first``, ``error_after``, ``drop_after``. ``moderation`` (the replacement text,
        or ``{"answer", "reason"}``) replaces the answer with ``message_replace``; ``tts``
        adds ``tts_message`` events; ``error`` (``{"status", "code", "message"}``) fails every
        answer; ``max_concurrent`` answers at once, then 429; ``api_enabled=False`` gives 403;
        ``upload_limits`` in bytes (``file``, ``image``, ``audio``, ``video``).
        """
        keys = list(api_keys)
        if api_key is not None:
            keys.insert(0, api_key)
        spec: dict[str, Any] = {
            "api_keys": keys,
            "mode": mode,
            "description": description,
            "tags": list(tags),
            "template": template,
            "user_input_form": [_form_item(i) for i in user_input_form],
            "opening_statement": opening_statement,
            "suggested_questions": list(suggested_questions),
            "answer_files": [dict(f) for f in answer_files],
            "retriever_resources": [dict(r) for r in retriever_resources],
            "tool_icons": dict(tool_icons or {}),
            "tts": tts,
            "api_enabled": api_enabled,
            "file_upload_enabled": file_upload_enabled,
            "extension_blacklist": list(extension_blacklist),
        }
        for key, value in (
            ("id", id),
            ("name", name),
            ("author_name", author_name),
            ("max_concurrent", max_concurrent),
        ):
            if value is not None:
                spec[key] = value
        if stream:
            spec["stream"] = dict(stream)
        if moderation is not None:
            spec["moderation"] = {"answer": moderation} if isinstance(moderation, str) else dict(moderation)
        if error is not None:
            spec["error"] = dict(error)
        if upload_limits:
            spec["upload_limits"] = dict(upload_limits)
        callback: Callable[..., Any] | None = None
        if callable(answer):
            user_fn = answer

            def answer_one(request: dict[str, Any]) -> Any:
                return user_fn(DifyAnswerRequest(request))

            callback = dispatched(answer_one)

        elif answer is not None:
            spec["answer"] = answer
        info = self._native.add_dify_app(spec, callback)
        return DifyApp(info["id"], info["api_key"], list(info["api_keys"]), info["mode"], info["name"])

    def dify_client(self, app: DifyApp | str, **options: Any) -> DifyClient:
        """A ``DifyClient`` for ``app`` (or an API key) pointed at this emulator."""
        options.setdefault("api_key", app.api_key if isinstance(app, DifyApp) else app)
        options.setdefault("trust_env", False)  # loopback: HTTP_PROXY must not apply
        return DifyClient(base_url=self.dify_url, **options)

    def async_dify_client(self, app: DifyApp | str, **options: Any) -> AsyncDifyClient:
        """An ``AsyncDifyClient`` for ``app`` (or an API key) pointed at this emulator."""
        options.setdefault("api_key", app.api_key if isinstance(app, DifyApp) else app)
        options.setdefault("trust_env", False)  # loopback: HTTP_PROXY must not apply
        return AsyncDifyClient(base_url=self.dify_url, **options)

    @property
    def dify_uploads(self) -> list[DifyUpload]:
        """Every file uploaded to a Dify app so far, oldest first."""
        return [DifyUpload(u) for u in self._native.dify_uploads()]

    @property
    def dify_feedbacks(self) -> list[DifyFeedback]:
        """The ratings currently held for Dify messages."""
        return [DifyFeedback(f) for f in self._native.dify_feedbacks()]
