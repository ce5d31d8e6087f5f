"""``client.files``: upload a file to the vault explicitly, and look one up."""

from __future__ import annotations

from .. import _docs
from .._base import OPTION_NAMES, AsyncResource, RequestOptions, SyncResource, split_params
from .._exceptions import InvalidRequestError
from .._files import File, FileInfo, UploadedFile
from .._typing_lite import TYPE_CHECKING
from .._upload_progress import progress_option

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from typing_extensions import Unpack

    from .._files import FileInput
    from .._upload_progress import Progress

__all__ = ["Files", "AsyncFiles"]


def _upload_body(file: File | FileInput, name: str | None, mime_type: str | None) -> dict[str, Any]:
    """The ``files.upload`` arguments: the ``File`` travels to the core, which opens and streams it."""
    if isinstance(file, File):
        if name is not None or mime_type is not None:
            raise InvalidRequestError("set name/mime_type on the File itself: File(source, name=..., mime_type=...)")
        return {"file": file}
    return {"file": File(file, name=name, mime_type=mime_type)}


class UploadParams(RequestOptions, total=False):
    """What ``files.upload`` takes besides the file: its name and type, a progress sink, and
    the per-call options."""

    name: str | None
    mime_type: str | None
    progress: Progress


_UPLOAD_ARGS = frozenset(UploadParams.__optional_keys__) - OPTION_NAMES


def _upload(file: File | FileInput, params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Progress]:
    """``upload``'s op arguments, its options and its progress sink."""
    args, options = split_params(params, _UPLOAD_ARGS, "upload")
    return _upload_body(file, args.get("name"), args.get("mime_type")), options, args.get("progress")


class Files(SyncResource):
    def upload(self, file: File | FileInput, **params: Unpack[UploadParams]) -> UploadedFile:
        """Uploads local content (``POST /v3/files``, then a streamed ``PUT``) and returns its
        vault reference, usable as a variable value. ``file`` is a ``File`` or anything
        ``File`` accepts (a path, bytes, a binary file object); ``name`` and ``mime_type``
        name it when ``file`` does not (a ``File`` carries its own). Takes the per-call
        options. Raises ``FileUploadError`` when either step fails.

        ``progress=True`` shows a bar while the content is sent (tqdm when installed, else a
        line on stderr); a callable is called as ``progress(sent_bytes, total_bytes)``: once
        with 0, about every 1% and at the end with the total, never going back (also across
        a retried PUT), from the thread driving the upload. Bytes are counted by the core as
        they are streamed."""
        body, options, progress = _upload(file, params)
        with progress_option(progress, body["file"].name) as extra:
            return UploadedFile(*self._call("files.upload", body, options, **extra))

    def retrieve(self, file_id: str, **options: Unpack[RequestOptions]) -> FileInfo:
        """The vault file ``file_id`` (``GET /v3/files/{id}``; ``file_id`` may be a
        ``vault://`` URL). Takes the per-call options."""
        data, _ = self._call("files.retrieve", {"id": file_id}, options)
        return FileInfo(data)


class AsyncFiles(AsyncResource):
    async def upload(self, file: File | FileInput, **params: Unpack[UploadParams]) -> UploadedFile:
        """Async twin of ``Client.files.upload`` (a ``progress`` callable is called from a
        worker thread of the core, not from the event loop)."""
        body, options, progress = _upload(file, params)
        with progress_option(progress, body["file"].name) as extra:
            return UploadedFile(*await self._call("files.upload", body, options, **extra))

    async def retrieve(self, file_id: str, **options: Unpack[RequestOptions]) -> FileInfo:
        """Async twin of ``Client.files.retrieve``."""
        data, _ = await self._call("files.retrieve", {"id": file_id}, options)
        return FileInfo(data)


_docs.share(AsyncFiles, Files)
