"""Dify result and event types. Attribute access follows Dify's JSON; unknown fields are kept.

Prices arrive as decimal strings and are read as ``decimal.Decimal`` (never float), so sums
of many answers stay exact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ._exceptions import APIResponseValidationError
from ._models import Field, Model, ResponseModel

if TYPE_CHECKING:
    from decimal import Decimal

__all__ = [
    "DifyUsage",
    "DifyRetrieverResource",
    "DifyMetadata",
    "DifyFile",
    "DifyCompletion",
    "DifyChatCompletion",
    "DifyEvent",
    "DifyMessageEvent",
    "DifyAgentMessageEvent",
    "DifyAgentThoughtEvent",
    "DifyMessageFileEvent",
    "DifyMessageReplaceEvent",
    "DifyMessageEndEvent",
    "DifyTTSMessageEvent",
    "DifyTTSMessageEndEvent",
    "DifyWorkflowEvent",
    "DifyUploadedFile",
    "DifyInputField",
    "DifySystemParameters",
    "DifyParameters",
    "DifyMeta",
    "DifyAppInfo",
    "DifyResult",
    "DifySite",
    "DifyFilePreview",
    "DifyConversation",
    "DifyConversationPage",
    "DifyMessageFile",
    "DifyHistoryMessage",
    "DifyMessagePage",
    "AnswerReplaced",
    "dify_event",
]


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None:
        return None
    from decimal import Decimal, InvalidOperation  # lazy: decimal is not needed to import tela_sdk

    try:
        # Through str: a float sent by a non-conforming server keeps its shortest decimal form.
        return Decimal(str(value))
    except InvalidOperation:
        raise APIResponseValidationError(f"usage.{field} is not a decimal number: {value!r}") from None


class DifyUsage(Model):
    """Token usage and cost of one answer. Prices are ``Decimal``; ``latency`` is seconds."""

    _repr_fields: ClassVar[tuple[str, ...]] = (
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "total_price",
        "currency",
    )

    prompt_tokens: Field[int | None]
    completion_tokens: Field[int | None]
    total_tokens: Field[int | None]
    currency: Field[str | None]
    latency: Field[float | None]

    @property
    def prompt_unit_price(self) -> Decimal | None:
        return _decimal(self._data.get("prompt_unit_price"), "prompt_unit_price")

    @property
    def prompt_price_unit(self) -> Decimal | None:
        return _decimal(self._data.get("prompt_price_unit"), "prompt_price_unit")

    @property
    def prompt_price(self) -> Decimal | None:
        return _decimal(self._data.get("prompt_price"), "prompt_price")

    @property
    def completion_unit_price(self) -> Decimal | None:
        return _decimal(self._data.get("completion_unit_price"), "completion_unit_price")

    @property
    def completion_price_unit(self) -> Decimal | None:
        return _decimal(self._data.get("completion_price_unit"), "completion_price_unit")

    @property
    def completion_price(self) -> Decimal | None:
        return _decimal(self._data.get("completion_price"), "completion_price")

    @property
    def total_price(self) -> Decimal | None:
        return _decimal(self._data.get("total_price"), "total_price")


class DifyRetrieverResource(Model):
    """A citation from the app's knowledge base."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("position", "dataset_name", "document_name", "score")

    id: Field[str | None]
    message_id: Field[str | None]
    position: Field[int | None]
    dataset_id: Field[str | None]
    dataset_name: Field[str | None]
    document_id: Field[str | None]
    document_name: Field[str | None]
    data_source_type: Field[str | None]
    segment_id: Field[str | None]
    score: Field[float | None]
    hit_count: Field[int | None]
    word_count: Field[int | None]
    segment_position: Field[int | None]
    index_node_hash: Field[str | None]
    content: Field[str | None]
    summary: Field[str | None]
    created_at: Field[int | None]


class DifyMetadata(Model):
    usage: Field[DifyUsage | None]
    retriever_resources: Field[list[DifyRetrieverResource] | None]
    annotation_reply: Field[Any]


class DifyFile(Model):
    """A file of an answer (``message_end.files``), usually one the app generated."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("type", "filename", "url")

    related_id: Field[str | None]
    type: Field[str | None]
    filename: Field[str | None]
    extension: Field[str | None]
    mime_type: Field[str | None]
    size: Field[int | None]
    transfer_method: Field[str | None]
    url: Field[str | None]
    upload_file_id: Field[str | None]
    remote_url: Field[str | None]
    belongs_to: Field[str | None]


class DifyCompletion(ResponseModel):
    """A blocking answer of a completion app."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("message_id", "answer", "request_id")

    event: Field[str | None]
    task_id: Field[str]
    id: Field[str]
    message_id: Field[str]
    mode: Field[str | None]
    answer: Field[str]
    metadata: Field[DifyMetadata | None]
    created_at: Field[int | None]

    @property
    def usage(self) -> DifyUsage | None:
        """``metadata.usage``: tokens, prices (``Decimal``) and latency."""
        metadata = self.metadata
        return metadata.usage if metadata is not None else None

    @property
    def retriever_resources(self) -> list[DifyRetrieverResource]:
        """``metadata.retriever_resources`` (citations); empty when the app has none."""
        metadata = self.metadata
        return (metadata.retriever_resources or []) if metadata is not None else []


class DifyChatCompletion(DifyCompletion):
    """A blocking answer of a chat app: pass ``conversation_id`` on to continue it."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("message_id", "conversation_id", "answer", "request_id")

    conversation_id: Field[str]


# Stream events. `event` selects the class (`dify_event`); every event has `task_id`,
# `message_id` and `created_at` (chat apps add `conversation_id`).


class DifyEvent(Model):
    """A stream event of a type without its own class (its fields stay readable)."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("event", "message_id")

    event: Field[str]
    task_id: Field[str | None]
    message_id: Field[str | None]
    conversation_id: Field[str | None]
    created_at: Field[int | None]


class DifyMessageEvent(DifyEvent):
    """``message``: a piece of the answer text; join ``answer`` in order."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("event", "answer")

    id: Field[str | None]
    answer: Field[str]
    from_variable_selector: Field[Any]


class DifyAgentMessageEvent(DifyMessageEvent):
    """``agent_message``: a piece of an agent app's answer text."""


class DifyAgentThoughtEvent(DifyEvent):
    """``agent_thought``: an agent step (thought, tool call and its observation)."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("event", "position", "tool", "thought")

    id: Field[str | None]
    position: Field[int | None]
    thought: Field[str | None]
    observation: Field[str | None]
    tool: Field[str | None]
    tool_input: Field[str | None]
    message_files: Field[list[str] | None]


class DifyMessageFileEvent(DifyEvent):
    """``message_file``: a file the app produced (e.g. an image)."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("event", "type", "url")

    id: Field[str | None]
    type: Field[str | None]
    belongs_to: Field[str | None]
    url: Field[str | None]


class DifyMessageReplaceEvent(DifyEvent):
    """``message_replace``: moderation replaced the whole answer; replace, do not append."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("event", "answer", "reason")

    answer: Field[str]
    reason: Field[str | None]


class DifyMessageEndEvent(DifyEvent):
    """``message_end``: the answer text is complete; carries usage, citations and files."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("event", "message_id")

    id: Field[str | None]
    metadata: Field[DifyMetadata | None]
    files: Field[list[DifyFile] | None]

    @property
    def usage(self) -> DifyUsage | None:
        metadata = self.metadata
        return metadata.usage if metadata is not None else None


class DifyTTSMessageEvent(DifyEvent):
    """``tts_message``: a chunk of text-to-speech audio (base64 MP3)."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("event",)

    audio: Field[str | None]

    @property
    def audio_bytes(self) -> bytes:
        """The decoded audio chunk."""
        import base64  # lazy: not needed to import tela_sdk

        return base64.b64decode(self._data.get("audio") or "")


class DifyTTSMessageEndEvent(DifyTTSMessageEvent):
    """``tts_message_end``: the audio is complete (the last event of a stream)."""


class DifyWorkflowEvent(DifyEvent):
    """Chatflow progress: ``workflow_started``, ``node_started``, ``node_finished``,
    ``workflow_finished``, ``iteration_*``, ``loop_*``, ... with their ``data``."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("event", "workflow_run_id")

    workflow_run_id: Field[str | None]
    data: Field[dict[str, Any] | None]


_EVENT_TYPES: dict[str, type[DifyEvent]] = {
    "message": DifyMessageEvent,
    "agent_message": DifyAgentMessageEvent,
    "agent_thought": DifyAgentThoughtEvent,
    "message_file": DifyMessageFileEvent,
    "message_replace": DifyMessageReplaceEvent,
    "message_end": DifyMessageEndEvent,
    "tts_message": DifyTTSMessageEvent,
    "tts_message_end": DifyTTSMessageEndEvent,
}


def dify_event(data: Any) -> DifyEvent:
    """The typed event for one parsed stream payload, chosen by its ``event`` field."""
    if not isinstance(data, dict):
        raise APIResponseValidationError(f"the server sent a stream event that is not a JSON object: {data!r:.200}")
    name = data.get("event")
    cls = _EVENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        cls = DifyWorkflowEvent if "workflow_run_id" in data else DifyEvent
    return cls(data)


class AnswerReplaced(str):
    """What ``stream.text()`` yields for ``message_replace``: the whole new answer. Text
    yielded before it is void; show this instead (``isinstance(piece, AnswerReplaced)``)."""

    __slots__ = ()


class DifyUploadedFile(ResponseModel):
    """A file stored by ``files.upload``. Pass it in ``files=[...]`` (or as the value of a
    file input) and the SDK sends the ``local_file`` reference Dify expects."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("id", "name", "size", "mime_type")

    id: Field[str]
    name: Field[str | None]
    size: Field[int | None]
    extension: Field[str | None]
    mime_type: Field[str | None]
    created_by: Field[str | None]
    created_at: Field[int | None]
    preview_url: Field[str | None]
    source_url: Field[str | None]

    def __tela_json__(self) -> dict[str, Any]:
        # The core recognises an upload record and turns it into a local_file reference.
        return dict(self._data)


class DifyInputField(Model):
    """One variable of the app's input form, flattened: ``type`` is the form control
    (``text-input``, ``paragraph``, ``select``, ``number``, ``file``, ...)."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("variable", "type", "required")

    type: Field[str]
    variable: Field[str]
    label: Field[str | None]
    required: Field[bool | None]
    default: Field[Any]
    options: Field[list[str] | None]
    max_length: Field[int | None]


class DifySystemParameters(Model):
    """Upload size limits in MB."""

    file_size_limit: Field[int | None]
    image_file_size_limit: Field[int | None]
    audio_file_size_limit: Field[int | None]
    video_file_size_limit: Field[int | None]
    workflow_file_upload_limit: Field[int | None]


class DifyParameters(ResponseModel):
    """``GET /parameters``: the app's input form and features."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("opening_statement",)

    opening_statement: Field[str | None]
    suggested_questions: Field[list[str] | None]
    suggested_questions_after_answer: Field[dict[str, Any] | None]
    speech_to_text: Field[dict[str, Any] | None]
    text_to_speech: Field[dict[str, Any] | None]
    retriever_resource: Field[dict[str, Any] | None]
    annotation_reply: Field[dict[str, Any] | None]
    more_like_this: Field[dict[str, Any] | None]
    user_input_form: Field[list[dict[str, Any]] | None]
    sensitive_word_avoidance: Field[dict[str, Any] | None]
    file_upload: Field[dict[str, Any] | None]
    system_parameters: Field[DifySystemParameters | None]

    @property
    def input_fields(self) -> list[DifyInputField]:
        """``user_input_form`` flattened: one ``DifyInputField`` per variable."""
        out: list[DifyInputField] = []
        for item in self._data.get("user_input_form") or []:
            if isinstance(item, dict) and len(item) == 1:
                ((kind, entry),) = item.items()
                if isinstance(entry, dict):
                    out.append(DifyInputField({"type": kind, **entry}))
        return out


class DifyMeta(ResponseModel):
    """``GET /meta``: icons of the app's tools (URL, or ``{"background", "content"}``)."""

    tool_icons: Field[dict[str, Any] | None]


class DifyAppInfo(ResponseModel):
    """``GET /info``: the app's name, description, tags and mode."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("name", "mode")

    name: Field[str | None]
    description: Field[str | None]
    tags: Field[list[str] | None]
    mode: Field[str | None]
    author_name: Field[str | None]


class DifyResult(ResponseModel):
    """``{"result": "success"}`` of stop and feedback."""

    result: Field[str | None]


class DifySite(ResponseModel):
    """``GET /site``: the app's WebApp settings. Every field is optional: older servers send
    fewer, and Dify documents no required one."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("title",)

    title: Field[str | None]
    chat_color_theme: Field[str | None]
    chat_color_theme_inverted: Field[bool | None]
    icon_type: Field[str | None]
    icon: Field[str | None]
    icon_background: Field[str | None]
    icon_url: Field[str | None]
    description: Field[str | None]
    copyright: Field[str | None]
    privacy_policy: Field[str | None]
    custom_disclaimer: Field[str | None]
    default_language: Field[str | None]
    show_workflow_steps: Field[bool | None]
    use_icon_as_answer_icon: Field[bool | None]


class DifyFilePreview(ResponseModel):
    """``GET /files/{file_id}/preview``: an uploaded file's bytes (``content``), its
    ``mime_type`` (the answer's ``Content-Type``) and, when the server names it (it does with
    ``as_attachment=True``), its ``file_name``. ``to_dict()`` holds the content as base64."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("mime_type", "file_name", "size")

    mime_type: Field[str]
    file_name: Field[str | None]

    @property
    def content(self) -> bytes:
        """The file's bytes."""
        import base64

        return base64.b64decode(self._data.get("content") or "")

    @property
    def size(self) -> int:
        """How many bytes ``content`` holds."""
        text = self._data.get("content") or ""
        return len(text) * 3 // 4 - text[-2:].count("=")


class DifyConversation(ResponseModel):
    """A chat conversation, as ``conversations.list`` and ``conversations.rename`` give it
    (times in Unix seconds)."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("id", "name")

    id: Field[str]
    name: Field[str | None]
    inputs: Field[dict[str, Any] | None]
    status: Field[str | None]
    introduction: Field[str | None]
    created_at: Field[int | None]
    updated_at: Field[int | None]


class DifyConversationPage(ResponseModel):
    """One page of ``conversations.list``: ``data``, and ``has_more`` (then pass the last
    item's id as ``last_id`` for the next page)."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("limit", "has_more")

    limit: Field[int | None]
    has_more: Field[bool]
    data: Field[list[DifyConversation]]


class DifyMessageFile(Model):
    """A file attached to a message in the history (``belongs_to``: ``user`` or ``assistant``)."""

    id: Field[str]
    type: Field[str | None]
    url: Field[str | None]
    belongs_to: Field[str | None]


class DifyHistoryMessage(Model):
    """One exchange of a conversation's history: the user's ``query`` and the app's ``answer``."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("id", "query", "answer")

    id: Field[str]
    conversation_id: Field[str | None]
    inputs: Field[dict[str, Any] | None]
    query: Field[str | None]
    answer: Field[str | None]
    message_files: Field[list[DifyMessageFile] | None]
    feedback: Field[dict[str, Any] | None]
    retriever_resources: Field[list[DifyRetrieverResource] | None]
    created_at: Field[int | None]


class DifyMessagePage(ResponseModel):
    """One page of ``messages.list``, oldest first; when ``has_more``, pass ``data[0].id`` as
    ``first_id`` for the page before it."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("limit", "has_more")

    limit: Field[int | None]
    has_more: Field[bool]
    data: Field[list[DifyHistoryMessage]]
