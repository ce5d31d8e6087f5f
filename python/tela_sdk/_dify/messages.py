"""``dify.completion_messages``, ``dify.chat_messages`` and ``dify.messages``: run an app,
stop a streaming answer, rate an answer.

Each call's arguments become the core's op arguments once, in a builder shared by both
faces; request rules (``user`` required, file references, ``File`` values, ``response_mode``)
are checked in the core before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from .. import _docs
from .._base import NOT_GIVEN, OPTION_NAMES, AsyncResource, NotGiven, RequestOptions, SyncResource, given, split_params
from .._files import File
from ..dify_types import DifyChatCompletion, DifyCompletion, DifyMessagePage, DifyResult, DifyUploadedFile
from .streaming import AsyncDifyStream, DifyStream

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._operations import Operation

__all__ = [
    "DifyFileInput",
    "DifyCompletionMessages",
    "DifyChatMessages",
    "DifyMessages",
    "AsyncDifyCompletionMessages",
    "AsyncDifyChatMessages",
    "AsyncDifyMessages",
]

#: A file reference for ``files=[...]``: an upload result, a dict (``{"type", "url"}`` or
#: ``{"type", "upload_file_id"}``), or ``tela_sdk.File("https://...")``.
DifyFileInput = DifyUploadedFile | Mapping[str, Any] | File


class CompletionMessageParams(RequestOptions, total=False):
    """What ``completion_messages.create`` takes besides ``stream``."""

    inputs: Mapping[str, Any] | None
    user: str | None
    query: str | None
    files: Sequence[DifyFileInput] | None


class ChatMessageParams(RequestOptions, total=False):
    """What ``chat_messages.create`` takes besides ``stream``."""

    query: str | None
    user: str | None
    inputs: Mapping[str, Any] | None
    conversation_id: str | None
    files: Sequence[DifyFileInput] | None
    auto_generate_name: bool | None
    workflow_id: str | None


_COMPLETION_ARGS = frozenset(CompletionMessageParams.__optional_keys__) - OPTION_NAMES
_CHAT_ARGS = frozenset(ChatMessageParams.__optional_keys__) - OPTION_NAMES


def _message_body(params: Mapping[str, Any], args: frozenset[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The op arguments of a message and the call's options. Files (``File("https://...")``, and
    paths, bytes or streams, which Dify refuses until uploaded) are recognised by the native
    conversion and become references in the core, as in every call."""
    return split_params(params, args, "create")


class HistoryParams(RequestOptions, total=False):
    """What ``messages.list`` takes besides the conversation's id."""

    user: str | None
    first_id: str | None
    limit: int | None


class FeedbackParams(RequestOptions, total=False):
    """What ``messages.feedback`` takes besides the message's id and ``rating``."""

    user: str | None
    content: str | None


_HISTORY_ARGS = frozenset(HistoryParams.__optional_keys__) - OPTION_NAMES
_FEEDBACK_ARGS = frozenset(FeedbackParams.__optional_keys__) - OPTION_NAMES
#: What ``feedback`` sends as ``rating`` (None is meaningful: it revokes).
Rating = Literal["like", "dislike"] | NotGiven | None


def _history(conversation_id: str, params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    body, options = split_params(params, _HISTORY_ARGS, "list")
    return {**given(conversation_id=conversation_id), **body}, options


def _feedback(message_id: str, rating: Rating, params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    body, options = split_params(params, _FEEDBACK_ARGS, "feedback")
    body = {**given(message_id=message_id), **body}
    if rating is not NOT_GIVEN:
        body["rating"] = rating  # None is meaningful: it revokes
    return body, options


class _Stop(SyncResource):
    #: The op family: ``dify.completion_messages`` or ``dify.chat_messages``.
    _stop_op: Operation

    def stop(self, task_id: str, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifyResult:
        """Stops the streaming answer ``task_id`` (``stream.task_id``); the stream then ends with
        ``message_end``. Pass the same ``user`` as the answer: Dify ignores a stop from
        another user and still answers success."""
        return DifyResult(*self._call(self._stop_op, given(task_id=task_id, user=user), options))


class _AsyncStop(AsyncResource):
    _stop_op: Operation

    async def stop(self, task_id: str, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifyResult:
        """Async twin of ``DifyClient.completion_messages.stop`` (and ``chat_messages.stop``)."""
        return DifyResult(*await self._call(self._stop_op, given(task_id=task_id, user=user), options))


class DifyCompletionMessages(_Stop):
    """``POST /completion-messages`` of a completion (text generator) app."""

    _stop_op = "dify.completion_messages.stop"

    @overload
    def create(
        self,
        *,
        stream: Literal[False] = False,
        **params: Unpack[CompletionMessageParams],
    ) -> DifyCompletion: ...

    @overload
    def create(
        self,
        *,
        stream: Literal[True],
        **params: Unpack[CompletionMessageParams],
    ) -> DifyStream: ...

    @overload
    def create(
        self,
        *,
        stream: bool,
        **params: Unpack[CompletionMessageParams],
    ) -> DifyCompletion | DifyStream: ...

    def create(
        self,
        *,
        stream: bool = False,
        **params: Unpack[CompletionMessageParams],
    ) -> DifyCompletion | DifyStream:
        """Runs the app and returns its answer (or, with ``stream=True``, a stream of typed
        events).

        ``inputs`` are the app's variables (``parameters().input_fields``); ``user`` is your
        end user's id and is required. ``query`` is the user's text for apps that take one.
        ``files`` takes upload results, ``{"type", "url"}`` dicts or ``File("https://...")``.
        ``stream``: True returns a ``DifyStream`` of events (``.text()``, ``.final()``).
        Takes the per-call options (``extra_headers``, ``extra_query``, ``extra_body``,
        ``timeout``, ``max_retries``). The POST is retried only when the app cannot have
        started (connection refused, 429).
        """
        body, options = _message_body(params, _COMPLETION_ARGS)
        if stream:
            return DifyStream(self._stream("dify.completion_messages.create", body, options))
        return DifyCompletion(*self._call("dify.completion_messages.create", body, options))


class DifyChatMessages(_Stop):
    """``POST /chat-messages`` of a chat, agent or chatflow app."""

    _stop_op = "dify.chat_messages.stop"

    @overload
    def create(
        self,
        *,
        stream: Literal[False] = False,
        **params: Unpack[ChatMessageParams],
    ) -> DifyChatCompletion: ...

    @overload
    def create(
        self,
        *,
        stream: Literal[True],
        **params: Unpack[ChatMessageParams],
    ) -> DifyStream: ...

    @overload
    def create(
        self,
        *,
        stream: bool,
        **params: Unpack[ChatMessageParams],
    ) -> DifyChatCompletion | DifyStream: ...

    def create(
        self,
        *,
        stream: bool = False,
        **params: Unpack[ChatMessageParams],
    ) -> DifyChatCompletion | DifyStream:
        """Sends the user's message ``query`` and returns the answer (or, with
        ``stream=True``, a ``DifyStream``). ``user`` is your end user's id (required);
        ``inputs`` the app's variables. Leave ``conversation_id`` out to start a
        conversation; pass the answer's ``conversation_id`` to continue it.
        ``files`` takes upload results, ``{"type", "url"}`` dicts or ``File("https://...")``;
        ``auto_generate_name`` (default on) lets Dify title a new conversation;
        ``workflow_id`` picks a published chatflow version. Agent apps answer only with
        ``stream=True``. Takes the per-call options (``extra_headers``, ``extra_query``,
        ``extra_body``, ``timeout``, ``max_retries``)."""
        body, options = _message_body(params, _CHAT_ARGS)
        if stream:
            return DifyStream(self._stream("dify.chat_messages.create", body, options))
        return DifyChatCompletion(*self._call("dify.chat_messages.create", body, options))


class DifyMessages(SyncResource):
    """``POST /messages/{message_id}/feedbacks`` and ``GET /messages`` (a chat's history)."""

    def list(self, conversation_id: str, **params: Unpack[HistoryParams]) -> DifyMessagePage:
        """One page of the history of the chat conversation ``conversation_id`` as ``user`` sees it, oldest first:
        the ``limit`` (1-100, Dify's default 20) messages before ``first_id`` (the first id
        of the page you hold; leave it out for the latest page). ``page.has_more`` says
        whether older ones remain. Takes the per-call options."""
        return DifyMessagePage(*self._call("dify.messages.list", *_history(conversation_id, params)))

    def feedback(self, message_id: str, *, rating: Rating = NOT_GIVEN, **params: Unpack[FeedbackParams]) -> DifyResult:
        """Rates the answer ``message_id``: ``rating="like"`` or ``"dislike"`` (with
        optional ``content``, the user's words), or ``rating=None`` to revoke an earlier
        rating; ``user`` is the end user who rates. Takes the per-call options."""
        return DifyResult(*self._call("dify.messages.feedback", *_feedback(message_id, rating, params)))


class AsyncDifyCompletionMessages(_AsyncStop):
    """Async twin of ``DifyClient.completion_messages``."""

    _stop_op = "dify.completion_messages.stop"

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] = False,
        **params: Unpack[CompletionMessageParams],
    ) -> DifyCompletion: ...

    @overload
    async def create(
        self,
        *,
        stream: Literal[True],
        **params: Unpack[CompletionMessageParams],
    ) -> AsyncDifyStream: ...

    @overload
    async def create(
        self,
        *,
        stream: bool,
        **params: Unpack[CompletionMessageParams],
    ) -> DifyCompletion | AsyncDifyStream: ...

    async def create(
        self,
        *,
        stream: bool = False,
        **params: Unpack[CompletionMessageParams],
    ) -> DifyCompletion | AsyncDifyStream:
        """Async twin of ``DifyClient.completion_messages.create``."""
        body, options = _message_body(params, _COMPLETION_ARGS)
        if stream:
            return AsyncDifyStream(await self._stream("dify.completion_messages.create", body, options))
        return DifyCompletion(*await self._call("dify.completion_messages.create", body, options))


class AsyncDifyChatMessages(_AsyncStop):
    """Async twin of ``DifyClient.chat_messages``."""

    _stop_op = "dify.chat_messages.stop"

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] = False,
        **params: Unpack[ChatMessageParams],
    ) -> DifyChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        stream: Literal[True],
        **params: Unpack[ChatMessageParams],
    ) -> AsyncDifyStream: ...

    @overload
    async def create(
        self,
        *,
        stream: bool,
        **params: Unpack[ChatMessageParams],
    ) -> DifyChatCompletion | AsyncDifyStream: ...

    async def create(
        self,
        *,
        stream: bool = False,
        **params: Unpack[ChatMessageParams],
    ) -> DifyChatCompletion | AsyncDifyStream:
        """Async twin of ``DifyClient.chat_messages.create``."""
        body, options = _message_body(params, _CHAT_ARGS)
        if stream:
            return AsyncDifyStream(await self._stream("dify.chat_messages.create", body, options))
        return DifyChatCompletion(*await self._call("dify.chat_messages.create", body, options))


class AsyncDifyMessages(AsyncResource):
    """Async twin of ``DifyClient.messages``."""

    async def list(self, conversation_id: str, **params: Unpack[HistoryParams]) -> DifyMessagePage:
        """Async twin of ``DifyClient.messages.list``."""
        return DifyMessagePage(*await self._call("dify.messages.list", *_history(conversation_id, params)))

    async def feedback(
        self, message_id: str, *, rating: Rating = NOT_GIVEN, **params: Unpack[FeedbackParams]
    ) -> DifyResult:
        """Async twin of ``DifyClient.messages.feedback``."""
        return DifyResult(*await self._call("dify.messages.feedback", *_feedback(message_id, rating, params)))


_docs.share(_AsyncStop, _Stop)
_docs.share(AsyncDifyCompletionMessages, DifyCompletionMessages)
_docs.share(AsyncDifyChatMessages, DifyChatMessages)
_docs.share(AsyncDifyMessages, DifyMessages)
