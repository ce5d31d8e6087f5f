"""``client.files``: upload a file to the vault explicitly, and look one up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ._completions import _options
from ._exceptions import InvalidRequestError
from ._files import File, FileInfo, FileInput, UploadedFile
from ._timeout import TimeoutTypes

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["Files", "AsyncFiles"]


def _as_file(file: File | FileInput, name: str | None, mime_type: str | None) -> File:
    if isinstance(file, File):
        if name is not None or mime_type is not None:
            raise InvalidRequestError("set name/mime_type on the File itself: File(source, name=..., mime_type=...)")
        return file
    return File(file, name=name, mime_type=mime_type)


class Files:
    def __init__(self, client: Client) -> None:
        self._client = client

    def upload(
        self,
        file: File | FileInput,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> UploadedFile:
        """Uploads local content (``POST /v3/files``, then a streamed ``PUT``) and returns its
        vault reference, usable as a variable value. ``file`` is a ``File`` or anything
        ``File`` accepts. Raises ``FileUploadError`` when either step fails."""
        native = self._client._live()
        data, request_id = native.call(
            "files.upload",
            {"file": _as_file(file, name, mime_type)},
            **_options(None, extra_headers, None, timeout, max_retries),
        )
        return UploadedFile(data, request_id)

    def retrieve(
        self,
        file_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> FileInfo:
        """``GET /v3/files/{id}`` (``file_id`` may be a ``vault://`` URL)."""
        native = self._client._live()
        data, _ = native.call(
            "files.retrieve", {"id": file_id}, **_options(None, extra_headers, None, timeout, max_retries)
        )
        return FileInfo(data)


class AsyncFiles:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def upload(
        self,
        file: File | FileInput,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> UploadedFile:
        """Async twin of ``Client.files.upload``."""
        native = self._client._live()
        data, request_id = await native.acall(
            "files.upload",
            {"file": _as_file(file, name, mime_type)},
            **_options(None, extra_headers, None, timeout, max_retries),
        )
        return UploadedFile(data, request_id)

    async def retrieve(
        self,
        file_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> FileInfo:
        """Async twin of ``Client.files.retrieve``."""
        native = self._client._live()
        data, _ = await native.acall(
            "files.retrieve", {"id": file_id}, **_options(None, extra_headers, None, timeout, max_retries)
        )
        return FileInfo(data)
