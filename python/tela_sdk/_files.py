"""``tela_sdk.File``: a file for canvas variables and messages, from whatever the user holds.

    File("invoice.pdf")                      # a path (str or PathLike)
    File(b"%PDF-1.7 ...", name="a.pdf")      # bytes, bytearray, memoryview
    File(open("scan.png", "rb"))             # a binary file object, seekable or not
    File("https://example.com/a.pdf")        # sent as is (also vault:// and data: URLs)

Checks, MIME sniffing, base64 and uploads happen in the native core, streamed from disk with
the GIL released. Whether local content is inlined or uploaded is decided when it is sent
(``upload="auto"``: inline up to 4 MiB, upload above; or ``"inline"`` / ``"vault"``).
"""

from __future__ import annotations

import io
import os
import stat

from ._exceptions import InvalidRequestError
from ._models import Field, Model, ResponseModel
from ._native import NativeFile
from ._typing_lite import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # with the aliases below, for annotations only (they are strings)
    from typing import Any, Literal

    UploadMode = Literal["auto", "inline", "vault"]

__all__ = ["File", "BinaryReadable", "UploadedFile", "FileInfo"]  # and, for type checkers, FileInput and UploadMode


class BinaryReadable(Protocol):
    """A binary file object: ``open(path, "rb")``, ``io.BytesIO``, a socket or pipe reader..."""

    def read(self, size: int = ..., /) -> bytes | None: ...


if TYPE_CHECKING:
    FileInput = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryReadable

#: Streams are read in chunks of this size (they need the GIL, so Python reads them).
_READ_CHUNK = 1 << 20
#: Stream content up to this size stays in memory; beyond it, it is spooled to a temporary
#: file so memory stays bounded and the upload knows its length.
_SPOOL_LIMIT = 8 << 20


class File:
    """A file to send in ``variables`` or ``messages``.

    ``source`` is a URL (``https://``, ``http://``, ``vault://``, ``data:``), a path (``str`` or
    ``PathLike``), ``bytes``/``bytearray``/``memoryview``, or a binary file object. ``name`` and
    ``mime_type`` default to the path's or are sniffed from the content; ``range=(first_page,
    last_page)`` (0-indexed, inclusive) and ``parser_type`` are sent as the file's options;
    ``upload`` overrides the client's delivery mode for this file.

    Bad input fails here, before any request: a string that is neither a URL nor an existing
    path, a missing, empty, unreadable file or a directory, a text-mode file object.
    """

    __slots__ = ("__weakref__", "_kind", "_native")

    def __init__(
        self,
        source: FileInput,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        range: tuple[int, int] | None = None,
        parser_type: str | None = None,
        upload: UploadMode | None = None,
    ) -> None:
        options: dict[str, Any] = {
            "name": name,
            "mime_type": mime_type,
            "range": _range(range),
            "parser_type": parser_type,
            "upload": upload,
        }
        self._kind: str | None = None
        if isinstance(source, File):
            raise InvalidRequestError("source is already a File; pass File(...) as is")
        if isinstance(source, (str, os.PathLike, bytes, bytearray)):
            self._native = NativeFile(source, **options)
        elif isinstance(source, memoryview):
            self._native = NativeFile(source.tobytes(), **options)
        elif callable(getattr(source, "read", None)):
            self._native = self._from_stream(source, options)
        else:
            raise InvalidRequestError(
                "File() takes a URL or path (str), an os.PathLike, bytes, bytearray, memoryview "
                f"or a binary file object; got {type(source).__name__}"
            )

    def _from_stream(self, f: Any, options: dict[str, Any]) -> NativeFile:
        """A file object. One with a real file on disk behind it (``open(path, "rb")`` at
        position 0) is sent from that path, read by the core without the GIL. Any other (a
        pipe, a socket, ``BytesIO``, a decompressing reader) can only be read through Python,
        so it is read here once, in chunks: kept in memory up to 8 MiB, spooled to a temporary
        file beyond (deleted with this ``File``). Reading it now makes the ``File`` a value that
        can be sent again (a retry, a second call) even when the stream cannot be rewound."""
        label = _stream_label(f)
        if isinstance(f, io.TextIOBase):
            raise InvalidRequestError(f"{label} is opened in text mode; files are sent as bytes: open it with 'rb'.")
        if getattr(f, "closed", False):
            raise InvalidRequestError(f"{label} is closed.")
        readable = getattr(f, "readable", None)
        if callable(readable) and not readable():
            raise InvalidRequestError(f"{label} is not readable (opened for writing?); open it with 'rb'.")
        if options["name"] is None:
            options["name"] = _stream_name(f)
        path = _disk_path(f)
        if path is not None:
            import pathlib  # lazy, like every module only some calls need

            return NativeFile(pathlib.Path(path), **options)  # a PathLike is a path, never a URL
        self._kind = "stream"
        data, spooled = _drain(f, label)
        if spooled is not None:
            import weakref

            weakref.finalize(self, _unlink, spooled)
            return NativeFile(spooled, spooled=True, **options)
        return NativeFile(data, **options)

    @property
    def kind(self) -> str:
        """``"url"``, ``"path"``, ``"bytes"`` or ``"stream"``."""
        return self._kind or self._native.kind

    @property
    def name(self) -> str | None:
        """The file name sent with an upload (from the path, or sniffed: ``file.pdf``)."""
        return self._native.name

    @property
    def mime_type(self) -> str | None:
        return self._native.mime_type

    @property
    def size(self) -> int | None:
        """Bytes of content, when known without a request (None for http(s)/vault URLs)."""
        return self._native.size

    @property
    def url(self) -> str | None:
        """The URL, for a file sent as is."""
        return self._native.url

    @property
    def path(self) -> str | None:
        return None if self._kind == "stream" else _str_or_none(self._native.path)

    @property
    def range(self) -> tuple[int, int] | None:
        return self._native.range

    @property
    def parser_type(self) -> str | None:
        return self._native.parser_type

    @property
    def upload(self) -> UploadMode | None:
        mode = self._native.upload
        return None if mode is None else _upload_mode(mode)

    def to_data_url(self) -> str:
        """The content as a ``data:<mime>;base64,...`` URL (what ``upload="inline"`` sends)."""
        return self._native.data_url()

    def __tela_json__(self) -> NativeFile:
        return self._native

    def __repr__(self) -> str:
        parts = []
        url = self.url
        if url is not None:
            parts.append(f"url={url if len(url) <= 60 else url[:48] + '...'!r}")
        for key in ("name", "mime_type", "size", "range", "parser_type", "upload"):
            value = getattr(self, key)
            if value is not None and not (key == "name" and url is not None):
                parts.append(f"{key}={value!r}")
        return f"File({', '.join(parts)})"


class UploadedFile(ResponseModel):
    """A file stored in the vault by ``client.files.upload()``. Pass it as a variable value
    (or message content) like a ``File``: it is sent as ``{"file_url": "vault://<id>"}``."""

    id: Field[str]
    file_url: Field[str]
    name: Field[str | None]
    mime_type: Field[str | None]
    size: Field[int | None]
    options: Field[dict[str, Any] | None]

    def __tela_json__(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"file_url": self.file_url}
        if self.options:
            ref["options"] = dict(self.options)
        return ref


class FileInfo(Model):
    """``GET /v3/files/{id}``: what the server says about a stored file (shape undocumented;
    every field it sends is kept)."""

    id: Field[str]


def _as_file(value: Any, at: str) -> File | None:
    """The ``File`` for a value that is a file by its type, met in ``variables`` or
    ``messages`` (called by the native JSON conversion for objects it does not know): an
    ``os.PathLike`` (``pathlib.Path``), ``bytes``/``bytearray``/``memoryview``, or a binary
    file object (``io.BufferedIOBase``/``io.RawIOBase``, or anything with ``read`` and a
    ``mode`` containing ``"b"``). ``None`` for anything else. A ``str`` never reaches here:
    it is sent as text, never read as a path. A text-mode file object is an error naming
    where it was (``variables["doc"]: ... open it with 'rb'``)."""
    if isinstance(value, io.TextIOBase):
        raise InvalidRequestError(
            f"{at}: {_stream_label(value)} is opened in text mode; files are sent as bytes: open it with 'rb'."
        )
    mode = getattr(value, "mode", None)
    binary_stream = isinstance(value, (io.BufferedIOBase, io.RawIOBase)) or (
        callable(getattr(value, "read", None)) and isinstance(mode, str) and "b" in mode
    )
    if not (isinstance(value, (os.PathLike, bytes, bytearray, memoryview)) or binary_stream):
        return None
    try:
        return File(value)
    except InvalidRequestError as e:
        raise InvalidRequestError(f"{at}: {e}") from None


def _range(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        first, last = value
    except (TypeError, ValueError):
        raise InvalidRequestError(f"range must be (first_page, last_page), got {value!r}") from None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (first, last)):
        raise InvalidRequestError(f"range must be two ints (first_page, last_page), got {value!r}")
    return (first, last)


def _upload_mode(mode: str) -> UploadMode:
    if mode == "inline":
        return "inline"
    if mode == "vault":
        return "vault"
    return "auto"


def _str_or_none(value: Any) -> str | None:
    return None if value is None else os.fsdecode(value)


def _stream_label(f: Any) -> str:
    name = getattr(f, "name", None)
    return f"the file object {name!r}" if isinstance(name, str) else f"the {type(f).__name__} object"


def _stream_name(f: Any) -> str | None:
    """The base name of a file object's ``name`` when it is a path (not ``<stdin>``, not an fd)."""
    name = getattr(f, "name", None)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    if not isinstance(name, str) or not name or (name.startswith("<") and name.endswith(">")):
        return None
    return os.path.basename(name) or None


def _disk_path(f: Any) -> str | None:
    """The path of the regular file behind ``f``, when ``f`` is at its start and its ``name``
    still names that same file; else None (then the stream is read through Python)."""
    try:
        st = os.fstat(f.fileno())
        name = f.name
        if not stat.S_ISREG(st.st_mode) or not isinstance(name, (str, bytes)) or f.tell() != 0:
            return None
        path = os.path.abspath(os.fsdecode(name))
        return path if os.path.samestat(os.stat(path), st) else None
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def _drain(f: Any, label: str) -> tuple[bytes, str | None]:
    """Reads ``f`` to its end: ``(content, None)`` up to the spool limit, else ``(b"", path)``
    of a temporary file holding it (removed again if reading fails)."""
    import inspect  # lazy: neither is needed to import tela_sdk
    import tempfile

    chunks: list[bytes] = []
    size = 0
    spool: Any = None
    try:
        while True:
            try:
                chunk = f.read(_READ_CHUNK)
            except (OSError, ValueError) as e:
                raise InvalidRequestError(f"cannot read {label}: {e}") from e
            if inspect.isawaitable(chunk):
                if inspect.iscoroutine(chunk):
                    chunk.close()
                raise InvalidRequestError(f"{label} is an async file object; pass its path instead.")
            if isinstance(chunk, str):
                raise InvalidRequestError(
                    f"{label} returned text, not bytes; files are sent as bytes: open it with 'rb'."
                )
            if chunk is None:
                raise InvalidRequestError(f"{label} is non-blocking and had no data ready; pass a blocking stream.")
            if not chunk:
                break
            size += len(chunk)
            if spool is None and size <= _SPOOL_LIMIT:
                chunks.append(bytes(chunk))
                continue
            if spool is None:
                spool = tempfile.NamedTemporaryFile(prefix="tela-sdk-", suffix=".spool", delete=False)  # noqa: SIM115 - closed below
                spool.writelines(chunks)
                chunks = []
            spool.write(chunk)
    except BaseException:
        if spool is not None:
            spool.close()
            _unlink(spool.name)
        raise
    if spool is not None:
        spool.close()
        return b"", spool.name
    if not chunks:
        raise InvalidRequestError(
            f"{label} is empty (nothing left to read from its current position); Tela rejects empty files."
        )
    return b"".join(chunks), None


def _unlink(path: str) -> None:
    try:  # noqa: SIM105 - contextlib is not imported by `import tela_sdk`
        os.unlink(path)
    except OSError:
        pass  # already gone, or the temporary directory is being cleaned
