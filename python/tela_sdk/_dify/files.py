"""``dify.files``: upload one file for a user (``POST /files/upload``, multipart), and read an
uploaded file back (``GET /files/{file_id}/preview``)."""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from os import PathLike
from typing import IO, TYPE_CHECKING, Any, Union

from .. import _docs
from .._base import OPTION_NAMES, AsyncResource, RequestOptions, SyncResource, given, split_params
from .._exceptions import InvalidRequestError
from .._files import File, classify_file
from ..dify_types import DifyFilePreview, DifyUploadedFile

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DifyFiles", "AsyncDifyFiles", "UploadInput"]

#: What ``files.upload`` takes: a path, bytes (with ``filename=``), a binary file object, or a ``File``.
UploadInput = Union[str, "PathLike[str]", bytes, bytearray, memoryview, IO[bytes], File]


_NEEDS_NAME = 'uploading bytes needs filename="..." (Dify takes the file type from its extension).'


def _upload_body(file: UploadInput, user: str | None, filename: str | None, mime_type: str | None) -> dict[str, Any]:
    """The upload's file, recognised as everywhere else (``classify_file``; here a ``str`` is a
    path): the core opens it and streams it as the multipart part (a path from disk; a stream
    was read in chunks and spooled past 8 MiB)."""
    body: dict[str, Any] = given(user=user, filename=filename, mime_type=mime_type)
    native = classify_file(pathlib.Path(file) if isinstance(file, str) else file, "cannot upload", given=True)
    if native is None:
        raise InvalidRequestError(
            "files.upload(...) takes a path (str or PathLike), bytes with filename=..., a binary file "
            f"object or a tela_sdk.File; got {type(file).__name__}."
        )
    if filename is None and not native.named and not isinstance(file, File):
        raise InvalidRequestError(_NEEDS_NAME)  # a File would name it file.bin
    body["file"] = native
    return body


class UploadParams(RequestOptions, total=False):
    """What ``files.upload`` takes besides the file: whose it is, its name and type, and the
    per-call options."""

    user: str | None
    filename: str | None
    mime_type: str | None


_UPLOAD_ARGS = frozenset(UploadParams.__optional_keys__) - OPTION_NAMES


def _upload(file: UploadInput, params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    args, options = split_params(params, _UPLOAD_ARGS, "upload")
    return _upload_body(file, args.get("user"), args.get("filename"), args.get("mime_type")), options


class DifyFiles(SyncResource):
    """``POST /files/upload``."""

    def upload(self, file: UploadInput, **params: Unpack[UploadParams]) -> DifyUploadedFile:
        """Uploads ``file`` (a path, bytes or a binary file object) for ``user`` (only that
        user can use it) and returns its record;
        pass the record in ``files=[...]``. A path is streamed from disk (multipart); bytes
        need ``filename=``. ``mime_type`` defaults to a guess from the filename. Takes the
        per-call options."""
        return DifyUploadedFile(*self._call("dify.files.upload", *_upload(file, params)))

    def preview(
        self, file_id: str, *, as_attachment: bool = False, **options: Unpack[RequestOptions]
    ) -> DifyFilePreview:
        """The bytes of the uploaded file ``file_id`` (the ``id`` of ``files.upload``):
        ``.content`` (bytes), ``.mime_type`` and, when the server names it
        (``as_attachment=True`` asks it to), ``.file_name``. Dify serves only files used in
        this app's messages. Takes the per-call options."""
        body = given(file_id=file_id, as_attachment=as_attachment or None)
        return DifyFilePreview(*self._call("dify.files.preview", body, options))


class AsyncDifyFiles(AsyncResource):
    """Async twin of ``DifyClient.files``."""

    async def upload(self, file: UploadInput, **params: Unpack[UploadParams]) -> DifyUploadedFile:
        """Async twin of ``DifyClient.files.upload`` (a path is streamed from disk by the core,
        off the event loop)."""
        return DifyUploadedFile(*await self._call("dify.files.upload", *_upload(file, params)))

    async def preview(
        self, file_id: str, *, as_attachment: bool = False, **options: Unpack[RequestOptions]
    ) -> DifyFilePreview:
        """Async twin of ``DifyClient.files.preview``."""
        body = given(file_id=file_id, as_attachment=as_attachment or None)
        return DifyFilePreview(*await self._call("dify.files.preview", body, options))


_docs.share(AsyncDifyFiles, DifyFiles)
