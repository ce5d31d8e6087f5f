"""The file half of the emulator facade: what canvases saw of their files, and the vault.

with Emulator() as emu:
    seen = []
    canvas = emu.add_canvas(template="{{doc}}", reply=lambda r: seen.extend(r.files) or "ok")
    emu.client().completions.create(canvas_id=canvas.id, variables={"doc": File("a.pdf")})
    print(seen[0].name, seen[0].size, seen[0].sha256)
    print(emu.files)                       # what /v3/files created and its PUTs received
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._models import Field, Model

if TYPE_CHECKING:
    from .._native import NativeEmulator

__all__ = ["ReplyFile", "StoredFile", "FilesEmulatorMixin"]


class ReplyFile(Model):
    """One file reference of a completion, as the emulator resolved it.

    ``source`` is ``"inline"`` (a decoded ``data:`` URL), ``"vault"`` (an upload, by
    ``vault://`` id or legacy download URL) or ``"url"`` (taken as given; not fetched).
    ``variable`` names the variable (``"message-0"`` for message content), ``used_at`` is
    ``"variables"`` or ``"messages"``. ``name`` is the file name when the wire carries one
    (uploads, URLs); inline content has none. ``text`` is the content of text files (first
    64 KiB); ``sha256`` and ``size`` are of the exact bytes received.
    """

    _repr_fields = ("variable", "source", "name", "mime_type", "size")

    variable: Field[str]
    used_at: Field[str]
    source: Field[str]
    name: Field[str | None]
    mime_type: Field[str | None]
    size: Field[int | None]
    sha256: Field[str | None]
    text: Field[str | None]
    range: Field[list[int] | None]
    parser_type: Field[str | None]
    id: Field[str | None]
    url: Field[str | None]


class StoredFile(Model):
    """A file in the emulated vault: created by ``POST /v3/files`` (or ``/v2/file``), with
    what its upload URL received (``uploaded``, ``mime_type``, ``size``, ``sha256``, ``text``;
    ``uploads`` counts completed PUTs, so a retried upload shows 2)."""

    _repr_fields = ("id", "file_name", "uploaded", "size")

    id: Field[str]
    file_name: Field[str | None]
    uploaded: Field[bool]
    mime_type: Field[str | None]
    size: Field[int | None]
    sha256: Field[str | None]
    text: Field[str | None]
    uploads: Field[int]
    file_url: Field[str]
    created_ms: Field[int]


class FilesEmulatorMixin:
    _native: NativeEmulator

    @property
    def files(self) -> list[StoredFile]:
        """Every file created in the emulated vault, oldest first."""
        return [StoredFile(f) for f in self._native.files()]

    def add_file(
        self, content: bytes, *, id: str | None = None, name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Puts a file in the vault as if it had been uploaded, so a call can pass
        ``File("vault://<id>")`` without uploading first (a random id unless ``id`` is given)."""
        return StoredFile(self._native.add_file(bytes(content), id=id, name=name, mime_type=mime_type))

    def stored_file(self, file_id: str) -> StoredFile:
        """The vault file with this id (or ``vault://`` URL); KeyError if there is none."""
        file_id = file_id.removeprefix("vault://")
        for f in self._native.files():
            if f["id"] == file_id:
                return StoredFile(f)
        raise KeyError(file_id)
