"""``dify.with_raw_response``: the Dify calls, each returning a ``RawResponse``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _docs
from .._raw import RawResponse, _no_stream, call_async, call_sync
from ..dify_types import (
    DifyChatCompletion,
    DifyCompletion,
    DifyConversation,
    DifyConversationPage,
    DifyFilePreview,
    DifyMessagePage,
    DifyResult,
    DifyUploadedFile,
)
from .conversations import AsyncDifyConversations, DifyConversations, SortBy
from .files import AsyncDifyFiles, DifyFiles, UploadInput
from .messages import (
    AsyncDifyChatMessages,
    AsyncDifyCompletionMessages,
    AsyncDifyMessages,
    ChatMessageParams,
    CompletionMessageParams,
    DifyChatMessages,
    DifyCompletionMessages,
    DifyMessages,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._base import RequestOptions
    from .client import AsyncDifyClient, DifyClient

__all__ = ["DifyWithRawResponse", "AsyncDifyWithRawResponse"]


class DifyCompletionMessagesWithRawResponse:
    """``dify.completion_messages`` with the call's status and headers (no ``stream``)."""

    def __init__(self, resource: DifyCompletionMessages) -> None:
        self._resource = resource

    def create(self, **params: Unpack[CompletionMessageParams]) -> RawResponse[DifyCompletion]:
        """``completion_messages.create(...)`` (without ``stream``) as a ``RawResponse``.
        Takes ``inputs``, ``user``, ``query``, ``files`` and the per-call options."""
        _no_stream(params)
        return call_sync(self._resource, DifyCompletionMessages.create, **params)


class DifyChatMessagesWithRawResponse:
    """``dify.chat_messages`` with the call's status and headers (no ``stream``)."""

    def __init__(self, resource: DifyChatMessages) -> None:
        self._resource = resource

    def create(self, **params: Unpack[ChatMessageParams]) -> RawResponse[DifyChatCompletion]:
        """``chat_messages.create(...)`` (without ``stream``) as a ``RawResponse``. Takes
        ``query``, ``user``, ``inputs``, ``conversation_id``, ``files``,
        ``auto_generate_name``, ``workflow_id`` and the per-call options."""
        _no_stream(params)
        return call_sync(self._resource, DifyChatMessages.create, **params)


class DifyFilesWithRawResponse:
    """``dify.files`` with the call's status and headers."""

    def __init__(self, resource: DifyFiles) -> None:
        self._resource = resource

    def upload(
        self,
        file: UploadInput,
        *,
        user: str | None = None,
        filename: str | None = None,
        mime_type: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[DifyUploadedFile]:
        """``files.upload(file, user=..., filename=..., mime_type=...)`` as a ``RawResponse``."""
        return call_sync(
            self._resource, DifyFiles.upload, file, user=user, filename=filename, mime_type=mime_type, **options
        )

    def preview(
        self, file_id: str, *, as_attachment: bool = False, **options: Unpack[RequestOptions]
    ) -> RawResponse[DifyFilePreview]:
        """``files.preview(file_id, as_attachment=...)`` as a ``RawResponse`` (its headers are
        the file's: ``content-type``, ``content-disposition``...)."""
        return call_sync(self._resource, DifyFiles.preview, file_id, as_attachment=as_attachment, **options)


class DifyConversationsWithRawResponse:
    """``dify.conversations`` with the call's status and headers."""

    def __init__(self, resource: DifyConversations) -> None:
        self._resource = resource

    def list(
        self,
        *,
        user: str | None = None,
        last_id: str | None = None,
        limit: int | None = None,
        sort_by: SortBy | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[DifyConversationPage]:
        """``conversations.list(...)`` as a ``RawResponse``."""
        return call_sync(
            self._resource, DifyConversations.list, user=user, last_id=last_id, limit=limit, sort_by=sort_by, **options
        )

    def rename(
        self,
        conversation_id: str,
        *,
        name: str | None = None,
        auto_generate: bool = False,
        user: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[DifyConversation]:
        """``conversations.rename(...)`` as a ``RawResponse``."""
        return call_sync(
            self._resource,
            DifyConversations.rename,
            conversation_id,
            name=name,
            auto_generate=auto_generate,
            user=user,
            **options,
        )

    def delete(
        self, conversation_id: str, *, user: str | None = None, **options: Unpack[RequestOptions]
    ) -> RawResponse[DifyResult]:
        """``conversations.delete(...)`` as a ``RawResponse`` (status 204 on current servers)."""
        return call_sync(self._resource, DifyConversations.delete, conversation_id, user=user, **options)


class DifyMessagesWithRawResponse:
    """``dify.messages`` history with the call's status and headers."""

    def __init__(self, resource: DifyMessages) -> None:
        self._resource = resource

    def list(
        self,
        conversation_id: str,
        *,
        user: str | None = None,
        first_id: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[DifyMessagePage]:
        """``messages.list(...)`` as a ``RawResponse``."""
        return call_sync(
            self._resource, DifyMessages.list, conversation_id, user=user, first_id=first_id, limit=limit, **options
        )


class DifyWithRawResponse:
    """``dify.with_raw_response``: ``.completion_messages``, ``.chat_messages``, ``.files``,
    ``.conversations`` and ``.messages`` (history) whose calls return a ``RawResponse``."""

    def __init__(self, client: DifyClient) -> None:
        self.completion_messages = DifyCompletionMessagesWithRawResponse(client.completion_messages)
        self.chat_messages = DifyChatMessagesWithRawResponse(client.chat_messages)
        self.files = DifyFilesWithRawResponse(client.files)
        self.conversations = DifyConversationsWithRawResponse(client.conversations)
        self.messages = DifyMessagesWithRawResponse(client.messages)


class AsyncDifyCompletionMessagesWithRawResponse:
    """Async twin of ``DifyCompletionMessagesWithRawResponse``."""

    def __init__(self, resource: AsyncDifyCompletionMessages) -> None:
        self._resource = resource

    async def create(self, **params: Unpack[CompletionMessageParams]) -> RawResponse[DifyCompletion]:
        """Async twin of ``dify.with_raw_response.completion_messages.create``."""
        _no_stream(params)
        return await call_async(self._resource, AsyncDifyCompletionMessages.create, **params)


class AsyncDifyChatMessagesWithRawResponse:
    """Async twin of ``DifyChatMessagesWithRawResponse``."""

    def __init__(self, resource: AsyncDifyChatMessages) -> None:
        self._resource = resource

    async def create(self, **params: Unpack[ChatMessageParams]) -> RawResponse[DifyChatCompletion]:
        """Async twin of ``dify.with_raw_response.chat_messages.create``."""
        _no_stream(params)
        return await call_async(self._resource, AsyncDifyChatMessages.create, **params)


class AsyncDifyFilesWithRawResponse:
    """Async twin of ``DifyFilesWithRawResponse``."""

    def __init__(self, resource: AsyncDifyFiles) -> None:
        self._resource = resource

    async def upload(
        self,
        file: UploadInput,
        *,
        user: str | None = None,
        filename: str | None = None,
        mime_type: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[DifyUploadedFile]:
        """Async twin of ``dify.with_raw_response.files.upload``."""
        return await call_async(
            self._resource, AsyncDifyFiles.upload, file, user=user, filename=filename, mime_type=mime_type, **options
        )

    async def preview(
        self, file_id: str, *, as_attachment: bool = False, **options: Unpack[RequestOptions]
    ) -> RawResponse[DifyFilePreview]:
        """Async twin of ``dify.with_raw_response.files.preview``."""
        return await call_async(self._resource, AsyncDifyFiles.preview, file_id, as_attachment=as_attachment, **options)


class AsyncDifyConversationsWithRawResponse:
    """Async twin of ``DifyConversationsWithRawResponse``."""

    def __init__(self, resource: AsyncDifyConversations) -> None:
        self._resource = resource

    async def list(
        self,
        *,
        user: str | None = None,
        last_id: str | None = None,
        limit: int | None = None,
        sort_by: SortBy | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[DifyConversationPage]:
        """Async twin of ``dify.with_raw_response.conversations.list``."""
        return await call_async(
            self._resource,
            AsyncDifyConversations.list,
            user=user,
            last_id=last_id,
            limit=limit,
            sort_by=sort_by,
            **options,
        )

    async def rename(
        self,
        conversation_id: str,
        *,
        name: str | None = None,
        auto_generate: bool = False,
        user: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[DifyConversation]:
        """Async twin of ``dify.with_raw_response.conversations.rename``."""
        return await call_async(
            self._resource,
            AsyncDifyConversations.rename,
            conversation_id,
            name=name,
            auto_generate=auto_generate,
            user=user,
            **options,
        )

    async def delete(
        self, conversation_id: str, *, user: str | None = None, **options: Unpack[RequestOptions]
    ) -> RawResponse[DifyResult]:
        """Async twin of ``dify.with_raw_response.conversations.delete``."""
        return await call_async(self._resource, AsyncDifyConversations.delete, conversation_id, user=user, **options)


class AsyncDifyMessagesWithRawResponse:
    """Async twin of ``DifyMessagesWithRawResponse``."""

    def __init__(self, resource: AsyncDifyMessages) -> None:
        self._resource = resource

    async def list(
        self,
        conversation_id: str,
        *,
        user: str | None = None,
        first_id: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[DifyMessagePage]:
        """Async twin of ``dify.with_raw_response.messages.list``."""
        return await call_async(
            self._resource,
            AsyncDifyMessages.list,
            conversation_id,
            user=user,
            first_id=first_id,
            limit=limit,
            **options,
        )


class AsyncDifyWithRawResponse:
    """``async_dify.with_raw_response``: awaited calls returning a ``RawResponse``."""

    def __init__(self, client: AsyncDifyClient) -> None:
        self.completion_messages = AsyncDifyCompletionMessagesWithRawResponse(client.completion_messages)
        self.chat_messages = AsyncDifyChatMessagesWithRawResponse(client.chat_messages)
        self.files = AsyncDifyFilesWithRawResponse(client.files)
        self.conversations = AsyncDifyConversationsWithRawResponse(client.conversations)
        self.messages = AsyncDifyMessagesWithRawResponse(client.messages)


_docs.share(AsyncDifyCompletionMessagesWithRawResponse, DifyCompletionMessagesWithRawResponse)
_docs.share(AsyncDifyChatMessagesWithRawResponse, DifyChatMessagesWithRawResponse)
_docs.share(AsyncDifyFilesWithRawResponse, DifyFilesWithRawResponse)
_docs.share(AsyncDifyConversationsWithRawResponse, DifyConversationsWithRawResponse)
_docs.share(AsyncDifyMessagesWithRawResponse, DifyMessagesWithRawResponse)
