"""``dify.with_raw_response``: the Dify calls, each returning a ``RawResponse``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _docs
from .._raw import RawResponse, _no_stream, call_async, call_sync
from ..dify_types import DifyChatCompletion, DifyCompletion, DifyUploadedFile
from .files import AsyncDifyFiles, DifyFiles, UploadInput
from .messages import (
    AsyncDifyChatMessages,
    AsyncDifyCompletionMessages,
    ChatMessageParams,
    CompletionMessageParams,
    DifyChatMessages,
    DifyCompletionMessages,
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


class DifyWithRawResponse:
    """``dify.with_raw_response``: ``.completion_messages``, ``.chat_messages`` and
    ``.files`` whose calls return a ``RawResponse``."""

    def __init__(self, client: DifyClient) -> None:
        self.completion_messages = DifyCompletionMessagesWithRawResponse(client.completion_messages)
        self.chat_messages = DifyChatMessagesWithRawResponse(client.chat_messages)
        self.files = DifyFilesWithRawResponse(client.files)


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


class AsyncDifyWithRawResponse:
    """``async_dify.with_raw_response``: awaited calls returning a ``RawResponse``."""

    def __init__(self, client: AsyncDifyClient) -> None:
        self.completion_messages = AsyncDifyCompletionMessagesWithRawResponse(client.completion_messages)
        self.chat_messages = AsyncDifyChatMessagesWithRawResponse(client.chat_messages)
        self.files = AsyncDifyFilesWithRawResponse(client.files)


_docs.share(AsyncDifyCompletionMessagesWithRawResponse, DifyCompletionMessagesWithRawResponse)
_docs.share(AsyncDifyChatMessagesWithRawResponse, DifyChatMessagesWithRawResponse)
_docs.share(AsyncDifyFilesWithRawResponse, DifyFilesWithRawResponse)
