"""``client.with_raw_response``: the Tela calls, each returning a ``RawResponse``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _docs
from .._base import RequestOptions
from .._files import File, FileInfo, UploadedFile
from .._raw import RawResponse, _no_stream, call_async, call_sync
from ..types import AsyncRun, Completion, Run
from .completions import AsyncCompletions, Completions, RunParams, SubmitParams
from .files import AsyncFiles, Files

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._files import FileInput
    from .client import AsyncClient, Client

__all__ = ["WithRawResponse", "AsyncWithRawResponse"]


class CompletionsWithRawResponse:
    """``client.completions`` with each call's status and headers (no ``stream``)."""

    def __init__(self, completions: Completions) -> None:
        self._completions = completions

    def create(self, **params: Unpack[RunParams]) -> RawResponse[Completion]:
        """``completions.create(...)`` (without ``stream``) as a ``RawResponse``; its
        ``parse()`` is the ``Completion``. Takes what ``create`` takes: ``canvas_id``,
        ``version_id``, ``application_id``, ``environment_name``, ``variables``,
        ``messages``, ``override``, ``tags``, ``label`` and the per-call options."""
        _no_stream(params)
        return call_sync(self._completions, Completions.create, **params)

    def submit(self, **params: Unpack[SubmitParams]) -> RawResponse[Run]:
        """``completions.submit(...)`` as a ``RawResponse`` of the ``Run``. Takes what
        ``submit`` takes: ``canvas_id``, ``version_id``, ``application_id``,
        ``environment_name``, ``variables``, ``messages``, ``override``, ``tags``,
        ``label``, ``webhook_url`` and the per-call options."""
        return call_sync(self._completions, Completions.submit, **params)

    def retrieve(self, run_id: str, **options: Unpack[RequestOptions]) -> RawResponse[Run]:
        """``completions.retrieve(run_id)`` as a ``RawResponse`` of the ``Run``."""
        return call_sync(self._completions, Completions.retrieve, run_id, **options)


class FilesWithRawResponse:
    """``client.files`` with each call's status and headers."""

    def __init__(self, files: Files) -> None:
        self._files = files

    def upload(
        self,
        file: File | FileInput,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[UploadedFile]:
        """``files.upload(file, name=..., mime_type=...)`` as a ``RawResponse``."""
        return call_sync(self._files, Files.upload, file, name=name, mime_type=mime_type, **options)

    def retrieve(self, file_id: str, **options: Unpack[RequestOptions]) -> RawResponse[FileInfo]:
        """``files.retrieve(file_id)`` as a ``RawResponse``."""
        return call_sync(self._files, Files.retrieve, file_id, **options)


class WithRawResponse:
    """``client.with_raw_response``: ``.completions`` and ``.files`` whose calls return a
    ``RawResponse`` (``status_code``, ``headers``, ``request_id``, ``parse()``)."""

    def __init__(self, client: Client) -> None:
        self.completions = CompletionsWithRawResponse(client.completions)
        self.files = FilesWithRawResponse(client.files)


class AsyncCompletionsWithRawResponse:
    """Async twin of ``CompletionsWithRawResponse``."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self._completions = completions

    async def create(self, **params: Unpack[RunParams]) -> RawResponse[Completion]:
        """Async twin of ``client.with_raw_response.completions.create``."""
        _no_stream(params)
        return await call_async(self._completions, AsyncCompletions.create, **params)

    async def submit(self, **params: Unpack[SubmitParams]) -> RawResponse[AsyncRun]:
        """Async twin of ``client.with_raw_response.completions.submit``."""
        return await call_async(self._completions, AsyncCompletions.submit, **params)

    async def retrieve(self, run_id: str, **options: Unpack[RequestOptions]) -> RawResponse[AsyncRun]:
        """Async twin of ``client.with_raw_response.completions.retrieve``."""
        return await call_async(self._completions, AsyncCompletions.retrieve, run_id, **options)


class AsyncFilesWithRawResponse:
    """Async twin of ``FilesWithRawResponse``."""

    def __init__(self, files: AsyncFiles) -> None:
        self._files = files

    async def upload(
        self,
        file: File | FileInput,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[UploadedFile]:
        """Async twin of ``client.with_raw_response.files.upload``."""
        return await call_async(self._files, AsyncFiles.upload, file, name=name, mime_type=mime_type, **options)

    async def retrieve(self, file_id: str, **options: Unpack[RequestOptions]) -> RawResponse[FileInfo]:
        """Async twin of ``client.with_raw_response.files.retrieve``."""
        return await call_async(self._files, AsyncFiles.retrieve, file_id, **options)


class AsyncWithRawResponse:
    """``async_client.with_raw_response``: awaited calls returning a ``RawResponse``."""

    def __init__(self, client: AsyncClient) -> None:
        self.completions = AsyncCompletionsWithRawResponse(client.completions)
        self.files = AsyncFilesWithRawResponse(client.files)


_docs.share(AsyncCompletionsWithRawResponse, CompletionsWithRawResponse)
_docs.share(AsyncFilesWithRawResponse, FilesWithRawResponse)
