"""``dify.with_raw_response``: the Dify calls, each returning a ``RawResponse``. Each
method is the ordinary one of both faces, wrapped (``_raw.raw_method``): the parameters,
types and docs are the ordinary method's; one class serves the sync and the async face."""

from __future__ import annotations

from typing import TypeVar

from .._raw import Async, RawFace, Sync, raw_method
from .client import AsyncDifyClient, DifyClient
from .conversations import AsyncDifyConversations, DifyConversations
from .files import AsyncDifyFiles, DifyFiles
from .messages import AsyncDifyChatMessages as AsyncChat
from .messages import AsyncDifyCompletionMessages as AsyncCompletion
from .messages import AsyncDifyMessages as AsyncMessages
from .messages import DifyChatMessages as Chat
from .messages import DifyCompletionMessages as Completion
from .messages import DifyMessages as Messages

__all__ = ["DifyWithRawResponse", "AsyncDifyWithRawResponse"]

_M = TypeVar("_M", Sync, Async)


class CompletionMessagesWithRawResponse(RawFace[_M]):
    """``dify.completion_messages`` with each call's status and headers (no ``stream``)."""

    create = raw_method(Completion.create, AsyncCompletion.create)
    stop = raw_method(Completion.stop, AsyncCompletion.stop)


class ChatMessagesWithRawResponse(RawFace[_M]):
    """``dify.chat_messages`` with each call's status and headers (no ``stream``)."""

    create = raw_method(Chat.create, AsyncChat.create)
    stop = raw_method(Chat.stop, AsyncChat.stop)


class FilesWithRawResponse(RawFace[_M]):
    """``dify.files`` with each call's status and headers (``preview``'s are the file's)."""

    upload = raw_method(DifyFiles.upload, AsyncDifyFiles.upload)
    preview = raw_method(DifyFiles.preview, AsyncDifyFiles.preview)


class ConversationsWithRawResponse(RawFace[_M]):
    """``dify.conversations`` with each call's status and headers."""

    list = raw_method(DifyConversations.list, AsyncDifyConversations.list)
    rename = raw_method(DifyConversations.rename, AsyncDifyConversations.rename)
    delete = raw_method(DifyConversations.delete, AsyncDifyConversations.delete)


class MessagesWithRawResponse(RawFace[_M]):
    """``dify.messages`` (history, feedback) with each call's status and headers."""

    list = raw_method(Messages.list, AsyncMessages.list)
    feedback = raw_method(Messages.feedback, AsyncMessages.feedback)


class _DifyWithRawResponse(RawFace[_M]):
    """``dify.with_raw_response``: ``.completion_messages``, ``.chat_messages``, ``.files``,
    ``.conversations``, ``.messages`` and the app's ``parameters()``, ``meta()``, ``info()``
    and ``site()``, whose calls return a ``RawResponse`` (awaited on the async client)."""

    parameters = raw_method(DifyClient.parameters, AsyncDifyClient.parameters)
    meta = raw_method(DifyClient.meta, AsyncDifyClient.meta)
    info = raw_method(DifyClient.info, AsyncDifyClient.info)
    site = raw_method(DifyClient.site, AsyncDifyClient.site)

    def __init__(self, client: DifyClient | AsyncDifyClient) -> None:
        super().__init__(client)
        self.completion_messages: CompletionMessagesWithRawResponse[_M] = CompletionMessagesWithRawResponse(
            client.completion_messages
        )
        self.chat_messages: ChatMessagesWithRawResponse[_M] = ChatMessagesWithRawResponse(client.chat_messages)
        self.files: FilesWithRawResponse[_M] = FilesWithRawResponse(client.files)
        self.conversations: ConversationsWithRawResponse[_M] = ConversationsWithRawResponse(client.conversations)
        self.messages: MessagesWithRawResponse[_M] = MessagesWithRawResponse(client.messages)


DifyWithRawResponse = _DifyWithRawResponse[Sync]
AsyncDifyWithRawResponse = _DifyWithRawResponse[Async]
