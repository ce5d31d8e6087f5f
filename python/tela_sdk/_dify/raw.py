"""``dify.with_raw_response``: the Dify calls, each returning a ``RawResponse`` (the
parameters, types and docs are the ordinary method's: see ``_raw.raw_wrapper``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._raw import async_raw_wrapper, raw_wrapper

if TYPE_CHECKING:
    from .client import AsyncDifyClient, DifyClient
    from .conversations import AsyncDifyConversations, DifyConversations
    from .files import AsyncDifyFiles, DifyFiles
    from .messages import (
        AsyncDifyChatMessages,
        AsyncDifyCompletionMessages,
        AsyncDifyMessages,
        DifyChatMessages,
        DifyCompletionMessages,
        DifyMessages,
    )

__all__ = ["DifyWithRawResponse", "AsyncDifyWithRawResponse"]


class DifyCompletionMessagesWithRawResponse:
    """``dify.completion_messages`` with each call's status and headers (no ``stream``)."""

    def __init__(self, resource: DifyCompletionMessages) -> None:
        self.create = raw_wrapper(resource.create)
        self.stop = raw_wrapper(resource.stop)


class DifyChatMessagesWithRawResponse:
    """``dify.chat_messages`` with each call's status and headers (no ``stream``)."""

    def __init__(self, resource: DifyChatMessages) -> None:
        self.create = raw_wrapper(resource.create)
        self.stop = raw_wrapper(resource.stop)


class DifyFilesWithRawResponse:
    """``dify.files`` with each call's status and headers (``preview``'s are the file's)."""

    def __init__(self, resource: DifyFiles) -> None:
        self.upload = raw_wrapper(resource.upload)
        self.preview = raw_wrapper(resource.preview)


class DifyConversationsWithRawResponse:
    """``dify.conversations`` with each call's status and headers."""

    def __init__(self, resource: DifyConversations) -> None:
        self.list = raw_wrapper(resource.list)
        self.rename = raw_wrapper(resource.rename)
        self.delete = raw_wrapper(resource.delete)


class DifyMessagesWithRawResponse:
    """``dify.messages`` (history, feedback) with each call's status and headers."""

    def __init__(self, resource: DifyMessages) -> None:
        self.list = raw_wrapper(resource.list)
        self.feedback = raw_wrapper(resource.feedback)


class DifyWithRawResponse:
    """``dify.with_raw_response``: ``.completion_messages``, ``.chat_messages``, ``.files``,
    ``.conversations``, ``.messages`` and the app's ``parameters``, ``meta``, ``info`` and
    ``site``, whose calls return a ``RawResponse``."""

    def __init__(self, client: DifyClient) -> None:
        self.completion_messages = DifyCompletionMessagesWithRawResponse(client.completion_messages)
        self.chat_messages = DifyChatMessagesWithRawResponse(client.chat_messages)
        self.files = DifyFilesWithRawResponse(client.files)
        self.conversations = DifyConversationsWithRawResponse(client.conversations)
        self.messages = DifyMessagesWithRawResponse(client.messages)
        self.parameters = raw_wrapper(client.parameters)
        self.meta = raw_wrapper(client.meta)
        self.info = raw_wrapper(client.info)
        self.site = raw_wrapper(client.site)


class AsyncDifyCompletionMessagesWithRawResponse:
    """Async twin of ``DifyCompletionMessagesWithRawResponse``."""

    def __init__(self, resource: AsyncDifyCompletionMessages) -> None:
        self.create = async_raw_wrapper(resource.create)
        self.stop = async_raw_wrapper(resource.stop)


class AsyncDifyChatMessagesWithRawResponse:
    """Async twin of ``DifyChatMessagesWithRawResponse``."""

    def __init__(self, resource: AsyncDifyChatMessages) -> None:
        self.create = async_raw_wrapper(resource.create)
        self.stop = async_raw_wrapper(resource.stop)


class AsyncDifyFilesWithRawResponse:
    """Async twin of ``DifyFilesWithRawResponse``."""

    def __init__(self, resource: AsyncDifyFiles) -> None:
        self.upload = async_raw_wrapper(resource.upload)
        self.preview = async_raw_wrapper(resource.preview)


class AsyncDifyConversationsWithRawResponse:
    """Async twin of ``DifyConversationsWithRawResponse``."""

    def __init__(self, resource: AsyncDifyConversations) -> None:
        self.list = async_raw_wrapper(resource.list)
        self.rename = async_raw_wrapper(resource.rename)
        self.delete = async_raw_wrapper(resource.delete)


class AsyncDifyMessagesWithRawResponse:
    """Async twin of ``DifyMessagesWithRawResponse``."""

    def __init__(self, resource: AsyncDifyMessages) -> None:
        self.list = async_raw_wrapper(resource.list)
        self.feedback = async_raw_wrapper(resource.feedback)


class AsyncDifyWithRawResponse:
    """``async_dify.with_raw_response``: awaited calls returning a ``RawResponse``."""

    def __init__(self, client: AsyncDifyClient) -> None:
        self.completion_messages = AsyncDifyCompletionMessagesWithRawResponse(client.completion_messages)
        self.chat_messages = AsyncDifyChatMessagesWithRawResponse(client.chat_messages)
        self.files = AsyncDifyFilesWithRawResponse(client.files)
        self.conversations = AsyncDifyConversationsWithRawResponse(client.conversations)
        self.messages = AsyncDifyMessagesWithRawResponse(client.messages)
        self.parameters = async_raw_wrapper(client.parameters)
        self.meta = async_raw_wrapper(client.meta)
        self.info = async_raw_wrapper(client.info)
        self.site = async_raw_wrapper(client.site)
