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

    __slots__ = ("__weakref__", "_native")

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
        if isinstance(source, File):
            raise InvalidRequestError("source is already a File; pass File(...) as is")
        native = _native_file(source, options, given=True)
        if native is None:
            raise InvalidRequestError(
                "File() takes a URL or path (str), an os.PathLike, bytes, bytearray, memoryview "
                f"or a binary file object; got {type(source).__name__}"
            )
        self._native = native

    @property
    def kind(self) -> str:
        """``"url"``, ``"path"``, ``"bytes"`` or ``"stream"``."""
        return self._native.kind

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
        return _str_or_none(self._native.path)

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


def classify_file(value: Any, at: str | None = None, *, given: bool = False) -> NativeFile | None:
    """The native file for a value where files are accepted without ``File(...)``: in a
    call's arguments (the native JSON conversion asks here for each object that is not JSON)
    and as the argument of ``files.upload`` (``given=True``: the value is meant as a file).
    A ``File`` is its own; an ``os.PathLike`` (``pathlib.Path``), ``bytes``/``bytearray``/
    ``memoryview``, or a binary file object (``io.BufferedIOBase``/``io.RawIOBase``, or
    anything with ``read`` and a ``mode`` containing ``"b"``; any object with ``read`` when
    ``given``) is read as ``File(value)`` would. ``None`` for anything else; a ``str`` is
    never a file here (it is text, never read as a path). A text-mode file object, or a file
    that cannot be read, is an error that starts with ``at`` when given
    (``variables["doc"]: ... open it with 'rb'``)."""
    if isinstance(value, File):
        return value._native
    if isinstance(value, str):
        return None
    try:
        return _native_file(value, {}, given=given)
    except InvalidRequestError as e:
        if at is None:
            raise
        raise InvalidRequestError(f"{at}: {e}") from None


def _native_file(source: Any, options: dict[str, Any], *, given: bool) -> NativeFile | None:
    """What is a file: the one rule behind ``File(source)`` (``given``: the user says it is a
    file, so a ``str`` is a URL or path and anything with ``read`` is a stream) and
    ``classify_file`` (not given: only values that are files by their type). ``None`` when
    ``source`` is not a file."""
    if isinstance(source, io.TextIOBase):
        raise InvalidRequestError(
            f"{_stream_label(source)} is opened in text mode; files are sent as bytes: open it with 'rb' (binary mode)."
        )
    if isinstance(source, (os.PathLike, bytes, bytearray)) or (given and isinstance(source, str)):
        return NativeFile(source, **options)
    if isinstance(source, memoryview):
        return NativeFile(source.tobytes(), **options)
    if callable(getattr(source, "read", None)) and (given or _binary_stream(source)):
        return _from_stream(source, options)
    return None


def _binary_stream(value: Any) -> bool:
    """A binary file object by its type or its ``mode`` (``"rb"``...)."""
    mode = getattr(value, "mode", None)
    return isinstance(value, (io.BufferedIOBase, io.RawIOBase)) or (isinstance(mode, str) and "b" in mode)


def _from_stream(f: Any, options: dict[str, Any]) -> NativeFile:
    """A file object. One with a real file on disk behind it (``open(path, "rb")`` at
    position 0) is sent from that path, read by the core without the GIL. Any other (a
    pipe, a socket, ``BytesIO``, a decompressing reader) can only be read through Python,
    so it is read here once, in chunks: kept in memory up to 8 MiB, spooled to a temporary
    file beyond (owned by the native file: removed once nothing uses it). Reading it now
    makes the ``File`` a value that can be sent again (a retry, a second call) even when the
    stream cannot be rewound."""
    label = _stream_label(f)
    if getattr(f, "closed", False):
        raise InvalidRequestError(f"{label} is closed.")
    readable = getattr(f, "readable", None)
    if callable(readable) and not readable():
        raise InvalidRequestError(f"{label} is not readable (opened for writing?); open it with 'rb'.")
    if options.get("name") is None:
        options["name"] = _stream_name(f)
    path = _disk_path(f)
    if path is not None:
        import pathlib  # lazy, like every module only some calls need

        return NativeFile(pathlib.Path(path), **options)  # a PathLike is a path, never a URL
    data, spooled = _drain(f, label)
    return NativeFile(data if spooled is None else spooled, stream=True, **options)


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
