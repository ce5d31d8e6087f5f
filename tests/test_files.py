"""Files: every input kind, both delivery paths, options, lists, messages, bad input, upload
failures and retries, concurrency, async. Each test asserts what the emulator received
(sha256, size, text), over real TCP."""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import io
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
from typing import Any

import pytest

from tela_sdk import (
    AsyncClient,
    Client,
    File,
    FileUploadError,
    InvalidRequestError,
    NotFoundError,
    UploadedFile,
)
from tela_sdk import _files as files_module
from tela_sdk.testing import Canvas, Emulator, ReplyFile, ReplyRequest

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
MiB = 1 << 20


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Seen:
    """A canvas whose callback records the files of every call."""

    def __init__(self, emulator: Emulator) -> None:
        self.calls: list[ReplyRequest] = []
        self.canvas: Canvas = emulator.add_canvas(template="Read {{doc}}", reply=self._reply)

    def _reply(self, request: ReplyRequest) -> str:
        self.calls.append(request)
        return request.prompt

    @property
    def files(self) -> list[ReplyFile]:
        return list(self.calls[-1].files)

    @property
    def id(self) -> str:
        return self.canvas.id


@pytest.fixture
def seen(emulator: Emulator) -> Seen:
    return Seen(emulator)


@pytest.fixture
def tmp(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path


def write(path: pathlib.Path, data: bytes) -> pathlib.Path:
    path.write_bytes(data)
    return path


def sent_body(emulator: Emulator) -> Any:
    posts = [r for r in emulator.requests if r.method == "POST" and r.path == "/v2/chat/completions"]
    assert posts, "no completion was sent"
    return posts[-1].body


def paths(emulator: Emulator) -> list[tuple[str, str]]:
    return [
        (r.method, r.path.split("/uploads/")[0] + ("/uploads/" if "/uploads/" in r.path else ""))
        for r in emulator.requests
    ]


# ---- every input kind reaches the canvas byte for byte ------------------------------


def test_path_str_and_pathlike(client: Client, seen: Seen, tmp: pathlib.Path) -> None:
    p = write(tmp / "invoice.pdf", PDF)
    client.completions.create(canvas_id=seen.id, variables={"doc": File(str(p))})
    (f,) = seen.files
    assert (f.source, f.mime_type, f.size, f.sha256) == ("inline", "application/pdf", len(PDF), sha(PDF))
    client.completions.create(canvas_id=seen.id, variables={"doc": File(p)})
    assert seen.files[0].sha256 == sha(PDF)
    assert (File(p).name, File(p).kind, File(p).path) == ("invoice.pdf", "path", str(p))


def test_bytes_bytearray_memoryview(client: Client, seen: Seen) -> None:
    data = b"hello \xe2\x9c\x93 world"
    for source in (data, bytearray(data), memoryview(b"xx" + data)[2:]):
        file = File(source)
        assert (file.kind, file.name, file.mime_type, file.size) == ("bytes", "file.txt", "text/plain", len(data))
        client.completions.create(canvas_id=seen.id, variables={"doc": file})
        (f,) = seen.files
        assert (f.sha256, f.text, f.mime_type) == (sha(data), data.decode(), "text/plain")


def test_bytearray_is_copied_when_the_file_is_built(client: Client, seen: Seen) -> None:
    buf = bytearray(b"before")
    file = File(buf, name="a.txt")
    buf[:] = b"AFTER!"
    client.completions.create(canvas_id=seen.id, variables={"doc": file})
    assert seen.files[0].text == "before"


def test_file_object_on_disk_is_sent_from_its_path(client: Client, seen: Seen, tmp: pathlib.Path) -> None:
    p = write(tmp / "scan.png", b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    with open(p, "rb") as fh:
        file = File(fh)
    assert (file.kind, file.name, file.mime_type, file.path) == ("path", "scan.png", "image/png", str(p))
    client.completions.create(canvas_id=seen.id, variables={"doc": file})
    assert seen.files[0].sha256 == sha(p.read_bytes())


def test_file_object_at_an_offset_sends_the_rest(client: Client, seen: Seen, tmp: pathlib.Path) -> None:
    p = write(tmp / "notes.txt", b"skip this|keep this")
    with open(p, "rb") as fh:
        fh.read(10)
        file = File(fh)
    assert (file.kind, file.name) == ("stream", "notes.txt")
    client.completions.create(canvas_id=seen.id, variables={"doc": file})
    assert seen.files[0].text == "keep this"


def test_in_memory_and_unseekable_streams(client: Client, seen: Seen) -> None:
    class Pipe(io.RawIOBase):
        """A stream that cannot seek or tell, and returns short reads."""

        def __init__(self, data: bytes) -> None:
            self._left = data

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            n = min(len(b), 3, len(self._left))
            b[:n] = self._left[:n]
            self._left = self._left[n:]
            return n

    for stream in (io.BytesIO(b"in memory"), Pipe(b"through a pipe")):
        expected = stream.getvalue() if isinstance(stream, io.BytesIO) else b"through a pipe"
        file = File(stream)
        assert (file.kind, file.path) == ("stream", None)
        client.completions.create(canvas_id=seen.id, variables={"doc": file})
        assert seen.files[0].text == expected.decode()


def test_real_pipe(client: Client, seen: Seen) -> None:
    r, w = os.pipe()
    data = os.urandom(300_000)

    def feed() -> None:
        os.write(w, data)
        os.close(w)

    writer = threading.Thread(target=feed)
    writer.start()
    with os.fdopen(r, "rb") as fh:
        file = File(fh, name="blob.bin")
    writer.join()
    client.completions.create(canvas_id=seen.id, variables={"doc": file})
    (f,) = seen.files
    assert (f.sha256, f.size, f.mime_type) == (sha(data), len(data), "application/octet-stream")


def test_large_streams_spool_to_a_temp_file_deleted_with_the_file(
    client: Client, seen: Seen, tmp: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_module, "_SPOOL_LIMIT", 1000)
    monkeypatch.setattr(files_module, "_READ_CHUNK", 300)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    data = os.urandom(5000)
    file = File(io.BytesIO(data), mime_type="application/pdf")
    spooled = list(tmp.glob("tela-sdk-*.spool"))
    assert [s.read_bytes() for s in spooled] == [data]
    assert (file.name, file.size) == ("file.pdf", 5000)
    client.completions.create(canvas_id=seen.id, variables={"doc": file})
    assert seen.files[0].sha256 == sha(data)
    del file
    gc.collect()
    assert not list(tmp.glob("tela-sdk-*.spool"))


def test_urls_are_sent_as_given(client: Client, seen: Seen, emulator: Emulator) -> None:
    inline = "data:text/plain;base64," + base64.b64encode(b"inline text").decode()
    client.completions.create(
        canvas_id=seen.id,
        variables={"doc": [File("https://example.com/docs/report.pdf"), File(inline)]},
    )
    assert sent_body(emulator)["variables"]["doc"] == [
        {"file_url": "https://example.com/docs/report.pdf"},
        {"file_url": inline},
    ]
    url, data = seen.files
    assert (url.source, url.name, url.url) == ("url", "report.pdf", "https://example.com/docs/report.pdf")
    assert (data.source, data.text) == ("inline", "inline text")
    assert File(inline).size == len(b"inline text")


def test_names_and_types_can_be_given(client: Client, seen: Seen, emulator: Emulator) -> None:
    file = File(b"a,b\n1,2\n", name="table.csv", upload="vault")
    assert (file.name, file.mime_type) == ("table.csv", "text/csv")
    client.completions.create(canvas_id=seen.id, variables={"doc": file})
    assert (seen.files[0].name, seen.files[0].mime_type) == ("table.csv", "text/csv")
    file = File(PDF, name="x", mime_type="application/octet-stream", upload="vault")
    client.completions.create(canvas_id=seen.id, variables={"doc": file})
    assert (seen.files[0].name, seen.files[0].mime_type) == ("x", "application/octet-stream")


def test_to_data_url_is_standard_base64(tmp: pathlib.Path) -> None:
    data = os.urandom(100_001)
    p = write(tmp / "r.bin", data)
    expect = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    assert File(p).to_data_url() == expect
    assert File(data).to_data_url() == expect


def test_to_data_url_of_a_file_encoded_in_parallel_parts_is_a_normal_str(tmp: pathlib.Path) -> None:
    # Over 16 MiB: the core encodes it in several threads, straight into the str returned.
    data = os.urandom(17 * 1024 * 1024 + 2)
    p = write(tmp / "big.bin", data)
    url = File(p, mime_type="application/pdf").to_data_url()
    expect = "data:application/pdf;base64," + base64.b64encode(data).decode()
    assert type(url) is str
    assert len(url) == len(expect)
    assert url == expect
    again = File(p, mime_type="application/pdf").to_data_url()
    assert again == url
    assert again is not url
    assert {url: 1}[expect] == 1  # hashes like the equal str built by Python
    assert (url + "x").endswith(expect[-10:] + "x")


_PEAK_PROBE = """
import os, sys
from tela_sdk import File
def kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
f = File(sys.argv[1], mime_type="application/pdf")
with open("/proc/self/clear_refs", "w") as c:
    c.write("5")  # VmHWM := VmRSS
base = kib("VmRSS")
url = f.to_data_url()
print(kib("VmHWM") - base, len(url))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="peak RSS reset needs Linux /proc")
def test_to_data_url_holds_only_the_url_itself_in_memory(tmp: pathlib.Path) -> None:
    # The encoding is written straight into the str returned: no bytes copy, no decode.
    p = write(tmp / "peak.bin", os.urandom(48 * 1024 * 1024))
    out = subprocess.run([sys.executable, "-c", _PEAK_PROBE, str(p)], capture_output=True, text=True, check=True)
    peak, encoded = map(int, out.stdout.split())
    assert peak < encoded * 1.5, f"peak {peak} bytes for a {encoded}-byte data URL"


# ---- serialization: options, lists, messages ---------------------------------------


def test_options_are_sent_snake_case_only_when_given(client: Client, seen: Seen, emulator: Emulator) -> None:
    client.completions.create(
        canvas_id=seen.id,
        variables={
            "doc": File(b"one", name="a.txt", range=(0, 2), parser_type="fast"),
            "other": File("https://x.com/b.pdf", range=(1, 1)),
            "plain": File(b"two", name="b.txt"),
        },
    )
    sent = sent_body(emulator)["variables"]
    assert sent["doc"]["options"] == {"range": [0, 2], "parser_type": "fast"}
    assert sent["other"] == {"file_url": "https://x.com/b.pdf", "options": {"range": [1, 1]}}
    assert set(sent["plain"]) == {"file_url"}
    first = seen.files[0]
    assert (first.range, first.parser_type) == ([0, 2], "fast")


def test_lists_of_files_and_the_same_file_twice(client: Client, seen: Seen, emulator: Emulator) -> None:
    shared = File(b"shared bytes", name="s.txt", upload="vault")
    client.completions.create(
        canvas_id=seen.id,
        variables={"doc": [File(b"first", name="1.txt"), shared, File(PDF, name="p.pdf")], "again": shared},
    )
    doc = sent_body(emulator)["variables"]["doc"]
    assert isinstance(doc, list)
    assert len(doc) == 3
    assert doc[1] == sent_body(emulator)["variables"]["again"]
    assert [f.variable for f in seen.files] == ["doc", "doc", "doc", "again"]
    assert [f.text for f in seen.files][:2] == ["first", "shared bytes"]
    assert len([f for f in emulator.files if f.file_name == "s.txt"]) == 1  # uploaded once


def test_files_in_messages(client: Client, seen: Seen, emulator: Emulator) -> None:
    client.completions.create(
        canvas_id=seen.id,
        variables={"doc": "text"},
        messages=[
            {"role": "user", "content": File(b"as content", name="c.txt")},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "and"}, File(PDF, name="d.pdf")]},
        ],
    )
    sent = sent_body(emulator)["messages"]
    assert sent[0]["content"]["file_url"].startswith("data:text/plain;base64,")
    assert sent[2]["content"][0] == {"type": "text", "text": "and"}
    assert sent[2]["content"][1]["file_url"].startswith("data:application/pdf;base64,")
    assert [(f.used_at, f.variable, f.sha256) for f in seen.files] == [
        ("messages", "message-0", sha(b"as content")),
        ("messages", "message-2", sha(PDF)),
    ]


def test_template_shows_uploaded_names(client: Client, seen: Seen) -> None:
    out = client.completions.create(canvas_id=seen.id, variables={"doc": File(PDF, name="inv.pdf", upload="vault")})
    assert out.content == "Read [file: inv.pdf]"


def test_streaming_create_takes_files(client: Client, seen: Seen) -> None:
    with client.completions.create(canvas_id=seen.id, variables={"doc": File(PDF, upload="vault")}, stream=True) as s:
        text = "".join(s.text())
    assert text == "Read [file: file.pdf]"
    assert seen.files[0].sha256 == sha(PDF)


# ---- the two delivery paths and how they are chosen --------------------------------


def test_auto_inlines_small_and_uploads_large(client: Client, seen: Seen, emulator: Emulator) -> None:
    small = os.urandom(4 * MiB)
    large = os.urandom(4 * MiB + 1)
    client.completions.create(canvas_id=seen.id, variables={"doc": [File(small), File(large)]})
    doc = sent_body(emulator)["variables"]["doc"]
    assert doc[0]["file_url"] == "data:application/octet-stream;base64," + base64.b64encode(small).decode()
    assert doc[1]["file_url"].startswith("vault://")
    stored = emulator.stored_file(doc[1]["file_url"])
    assert (stored.size, stored.sha256, stored.file_name) == (len(large), sha(large), "file.bin")
    assert [f.sha256 for f in seen.files] == [sha(small), sha(large)]


def test_auto_keeps_the_whole_inline_body_bounded(client: Client, seen: Seen, emulator: Emulator) -> None:
    parts = [os.urandom(7 * MiB // 2 + i) for i in range(6)]
    client.completions.create(canvas_id=seen.id, variables={"doc": [File(p) for p in parts]})
    kinds = [ref["file_url"].split(":")[0] for ref in sent_body(emulator)["variables"]["doc"]]
    assert kinds == ["data", "data", "data", "data", "vault", "vault"]  # 16 MiB of inline per request
    assert [f.sha256 for f in seen.files] == [sha(p) for p in parts]


def test_client_and_file_modes(emulator: Emulator, seen: Seen) -> None:
    big = os.urandom(5 * MiB)
    with emulator.client(upload="inline") as inline_client:
        assert inline_client.upload == "inline"
        inline_client.completions.create(
            canvas_id=seen.id, variables={"doc": File(big), "v": File(b"x", upload="vault")}
        )
        sent = sent_body(emulator)["variables"]
        assert sent["doc"]["file_url"].startswith("data:")
        assert sent["v"]["file_url"].startswith("vault://")
        vault_client = inline_client.with_options(upload="vault")
        assert vault_client.upload == "vault"
        assert inline_client.with_options(max_retries=1).upload == "inline"
        vault_client.completions.create(
            canvas_id=seen.id, variables={"doc": File(b"tiny"), "i": File(b"inline", upload="inline")}
        )
        sent = sent_body(emulator)["variables"]
        assert sent["doc"]["file_url"].startswith("vault://")
        assert sent["i"]["file_url"].startswith("data:")
    with pytest.raises(InvalidRequestError, match=r"upload=.sometimes. is not a delivery mode"):
        Client(api_key="k", base_url=emulator.url, upload="sometimes")  # type: ignore[arg-type]


def test_a_file_forced_inline_past_the_limit_warns(
    emulator: Emulator, client: Client, seen: Seen, tmp: pathlib.Path
) -> None:
    import warnings

    from tela_sdk import TelaWarning

    big = write(tmp / "scan.pdf", PDF + os.urandom(4 * MiB))
    says = r'"scan.pdf" \(4.0 MiB\) is sent inline because of File\(\.\.\., upload="inline"\)'
    with pytest.warns(TelaWarning, match=says) as rec:
        client.completions.create(canvas_id=seen.id, variables={"doc": File(big, upload="inline")})
    assert rec[0].filename == __file__
    assert sent_body(emulator)["variables"]["doc"]["file_url"].startswith("data:")  # still sent as asked
    with emulator.client(upload="inline") as inline_client:
        with pytest.warns(TelaWarning, match="because of the client's upload=.inline."):
            inline_client.completions.create(canvas_id=seen.id, variables={"doc": File(os.urandom(5 * MiB))})
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # small files, and auto, say nothing
            inline_client.completions.create(canvas_id=seen.id, variables={"doc": File(b"small")})
            client.completions.create(canvas_id=seen.id, variables={"doc": File(big)})


async def test_a_file_forced_inline_past_the_limit_warns_async(emulator: Emulator, seen: Seen) -> None:
    from tela_sdk import TelaWarning

    async with emulator.async_client() as aclient:
        with pytest.warns(TelaWarning, match="past the 4 MiB inline limit") as rec:
            await aclient.completions.create(
                canvas_id=seen.id, variables={"doc": File(os.urandom(5 * MiB), upload="inline")}
            )
    assert rec[0].filename == __file__


def test_upload_wire(emulator: Emulator, client: Client, tmp: pathlib.Path) -> None:
    data = os.urandom(70_000)
    p = write(tmp / "photo.jpg", b"\xff\xd8\xff\xe0" + data)
    uploaded = client.files.upload(p)
    assert isinstance(uploaded, UploadedFile)
    assert uploaded.file_url == f"vault://{uploaded.id}"
    assert uploaded.request_id
    assert (uploaded.name, uploaded.mime_type, uploaded.size) == ("photo.jpg", "image/jpeg", len(data) + 4)
    create, put = emulator.requests
    assert (create.method, create.path, create.body) == ("POST", "/v3/files", {"fileName": "photo.jpg"})
    assert create.headers["x-compatibility-date"] == "2025-07-23"
    assert create.headers["authorization"].startswith("Bearer ")
    assert (put.method, put.path) == ("PUT", f"/uploads/{uploaded.id}")
    assert put.headers["content-type"] == "image/jpeg"
    assert put.headers["content-length"] == str(len(data) + 4)
    assert "authorization" not in put.headers  # the upload URL is the credential; the key stays home
    stored = emulator.stored_file(uploaded.id)
    assert (stored.sha256, stored.uploads) == (sha(p.read_bytes()), 1)
    info = client.files.retrieve(uploaded.file_url)
    assert (info.id, info.get("fileName"), info.get("size")) == (uploaded.id, "photo.jpg", len(data) + 4)


def test_uploaded_file_and_vault_urls_are_variable_values(client: Client, seen: Seen, emulator: Emulator) -> None:
    uploaded = client.files.upload(File(b"stored once", name="s.txt", range=(0, 0)))
    assert uploaded.options == {"range": [0, 0]}
    client.completions.create(canvas_id=seen.id, variables={"doc": uploaded, "again": File(uploaded.file_url)})
    sent = sent_body(emulator)["variables"]
    assert sent["doc"] == {"file_url": uploaded.file_url, "options": {"range": [0, 0]}}
    assert sent["again"] == {"file_url": uploaded.file_url}
    assert [(f.source, f.text) for f in seen.files] == [("vault", "stored once"), ("vault", "stored once")]
    assert client.files.upload(uploaded.file_url).id == uploaded.id  # already stored: no new upload
    with pytest.raises(InvalidRequestError, match="public URL"):
        client.files.upload("https://example.com/a.pdf")


def test_unknown_vault_id_is_a_404(client: Client, seen: Seen) -> None:
    with pytest.raises(NotFoundError, match="Uploaded file not found"):
        client.completions.create(canvas_id=seen.id, variables={"doc": File("vault://never-uploaded")})


def test_legacy_v2_file_download_url_is_recognized(emulator: Emulator, client: Client, seen: Seen) -> None:
    import json
    import urllib.request

    req = urllib.request.Request(
        emulator.url + "/v2/file", method="POST", headers={"Authorization": f"Bearer {emulator.api_key}"}
    )
    with urllib.request.urlopen(req) as resp:
        urls = json.load(resp)
    put = urllib.request.Request(
        urls["upload_url"], data=b"legacy", method="PUT", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(put) as resp:
        assert resp.status == 200
    client.completions.create(canvas_id=seen.id, variables={"doc": File(urls["download_url"])})
    assert (seen.files[0].source, seen.files[0].text) == ("vault", "legacy")


def _legacy_file(emulator: Emulator) -> dict[str, str]:
    import json
    import urllib.request

    req = urllib.request.Request(
        emulator.url + "/v2/file", method="POST", headers={"Authorization": f"Bearer {emulator.api_key}"}
    )
    with urllib.request.urlopen(req) as resp:
        urls: dict[str, str] = json.load(resp)
    return urls


def test_legacy_download_url_serves_the_uploaded_bytes(emulator: Emulator) -> None:
    # protocol.md §5.4: the real download_url is a fetchable file URL.
    import urllib.error
    import urllib.request

    urls = _legacy_file(emulator)
    with pytest.raises(urllib.error.HTTPError) as before:  # not uploaded yet: a missing file
        urllib.request.urlopen(urls["download_url"])
    assert before.value.code == 404
    content = bytes(range(256)) * 3
    put = urllib.request.Request(
        urls["upload_url"], data=content, method="PUT", headers={"Content-Type": "application/pdf"}
    )
    with urllib.request.urlopen(put) as resp:
        assert resp.status == 200
    with urllib.request.urlopen(urls["download_url"]) as resp:  # no key, like a storage URL
        assert (resp.read(), resp.headers["Content-Type"]) == (content, "application/pdf")


def test_legacy_download_url_never_uploaded_is_a_404(emulator: Emulator, client: Client, seen: Seen) -> None:
    urls = _legacy_file(emulator)
    with pytest.raises(NotFoundError, match="Uploaded file not found"):
        client.completions.create(canvas_id=seen.id, variables={"doc": File(urls["download_url"])})


# ---- bad input fails before any request --------------------------------------------


def test_bad_inputs_fail_at_construction(emulator: Emulator, tmp: pathlib.Path) -> None:
    empty = write(tmp / "empty.pdf", b"")
    cases: list[tuple[Any, dict[str, Any], str]] = [
        ("not a path or url.pdf", {}, "neither a URL"),
        (tmp / "missing.pdf", {}, "file not found"),
        (str(tmp / "missing.pdf"), {}, "neither a URL"),
        (tmp, {}, "is a directory"),
        (empty, {}, "is empty"),
        (b"", {}, "empty"),
        (io.BytesIO(b""), {}, "is empty"),
        ("ftp://example.com/a.pdf", {}, "unsupported scheme"),
        ("data:text/plain;base64,***", {}, "not valid base64"),
        (b"x", {"range": (3, 1)}, "first_page"),
        (b"x", {"range": (0,)}, "range must be"),
        (b"x", {"mime_type": "pdf"}, "not a MIME type"),
        (b"x", {"name": "dir/a.pdf"}, "plain file name"),
        (b"x", {"parser_type": ""}, "parser_type"),
        (b"x", {"upload": "sometimes"}, "delivery mode"),
    ]
    for source, options, message in cases:
        with pytest.raises(InvalidRequestError, match=message):
            File(source, **options)
    assert emulator.requests == []


def test_bad_file_objects(tmp: pathlib.Path) -> None:
    p = write(tmp / "t.txt", b"text")
    with open(p, encoding="utf-8") as text_mode, pytest.raises(InvalidRequestError, match="text mode"):
        File(text_mode)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="text mode"):
        File(io.StringIO("x"))  # type: ignore[arg-type]
    with open(tmp / "w.bin", "wb") as write_only, pytest.raises(InvalidRequestError, match="not readable"):
        File(write_only)
    closed = open(p, "rb")  # noqa: SIM115
    closed.close()
    with pytest.raises(InvalidRequestError, match="closed"):
        File(closed)
    with pytest.raises(TypeError, match="binary file object"):
        File(12345)  # type: ignore[arg-type]


def test_unreadable_file(tmp_path: pathlib.Path) -> None:
    folder = pathlib.Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o755)
        secret = write(folder / "secret.pdf", PDF)
        secret.chmod(0o000)
        code = (
            "from tela_sdk import File, InvalidRequestError\n"
            f"try:\n    File({str(secret)!r})\nexcept InvalidRequestError as e:\n    print(e)\n"
        )
        # Root reads any file: drop the capabilities that allow it in a child process.
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
        out = subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert "cannot read" in out.stdout, out.stdout + out.stderr
        assert "permission denied" in out.stdout
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_file_deleted_before_sending_fails_before_any_request(
    client: Client, seen: Seen, emulator: Emulator, tmp: pathlib.Path
) -> None:
    p = write(tmp / "gone.pdf", PDF)
    file = File(p)
    p.unlink()
    emulator.clear_requests()
    with pytest.raises(InvalidRequestError, match="file not found"):
        client.completions.create(canvas_id=seen.id, variables={"doc": [File(b"fine", upload="vault"), file]})
    assert emulator.requests == []


def test_invalid_request_uploads_nothing(client: Client, emulator: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="canvas_id"):
        client.completions.create(variables={"doc": File(b"x", upload="vault")})
    assert emulator.requests == []


# ---- upload failures and retries ----------------------------------------------------


def test_create_failure_is_not_retried_and_nothing_is_sent(emulator: Emulator, seen: Seen) -> None:
    emulator.fail(500, path="/v3/files", times=5)
    with emulator.client(max_retries=2) as c, pytest.raises(FileUploadError) as info:
        c.completions.create(canvas_id=seen.id, variables={"doc": File(b"x", name="x.txt", upload="vault")})
    e = info.value
    assert (e.status_code, e.stage, e.file_name, e.code) == (500, "POST /v3/files", "x.txt", "INTERNAL_SERVER_ERROR")
    assert e.body["status"] == 500
    assert e.request_id
    assert [(r.method, r.path) for r in emulator.requests] == [("POST", "/v3/files")]  # a create: not retried


def test_put_failure_raises_and_the_completion_is_not_sent(emulator: Emulator, client: Client, seen: Seen) -> None:
    emulator.fail(502, path="/uploads/", times=5)
    with pytest.raises(FileUploadError) as info:
        client.completions.create(canvas_id=seen.id, variables={"doc": File(PDF, upload="vault")})
    assert (info.value.status_code, info.value.stage) == (502, "PUT to the upload URL")
    assert "token=" not in str(info.value)  # the presigned URL's credential is not shown
    assert [r.method for r in emulator.requests] == ["POST", "PUT"]


def test_put_is_retried(emulator: Emulator, seen: Seen) -> None:
    data = os.urandom(200_000)
    emulator.fail(503, path="/uploads/", times=1)
    emulator.fail(path="/uploads/", drop=True, times=1)
    with emulator.client(max_retries=3) as c:
        c.completions.create(canvas_id=seen.id, variables={"doc": File(data, upload="vault")})
    assert [r.method for r in emulator.requests if r.path != "/v2/chat/completions"] == ["POST", "PUT", "PUT", "PUT"]
    (stored,) = emulator.files
    assert (stored.sha256, stored.uploads) == (sha(data), 1)
    assert seen.files[0].sha256 == sha(data)


def test_files_upload_failure(emulator: Emulator, client: Client) -> None:
    emulator.fail(403, path="/v3/files")
    with pytest.raises(FileUploadError) as info:
        client.files.upload(b"x")
    assert info.value.status_code == 403


def test_uploads_run_concurrently_four_at_a_time(emulator: Emulator, seen: Seen) -> None:
    emulator.fail(path="/uploads/", delay=1.0, times=6)  # no status: only slows each PUT down
    with emulator.client() as c:
        c.completions.create(
            canvas_id=seen.id, variables={"doc": [File(f"file {i}".encode(), upload="vault") for i in range(6)]}
        )
    puts = sorted(r.time_ms for r in emulator.requests if r.method == "PUT")
    assert len(puts) == 6
    assert puts[3] - puts[0] < 1000  # four in flight together
    assert puts[4] - puts[0] >= 990  # the fifth waited for a slot
    assert [f.text for f in seen.files] == [f"file {i}" for i in range(6)]


# ---- async --------------------------------------------------------------------------


@pytest.fixture
def afiles(tmp: pathlib.Path) -> pathlib.Path:
    return write(tmp / "a.pdf", PDF)


async def test_async_client(aclient: AsyncClient, seen: Seen, emulator: Emulator, afiles: pathlib.Path) -> None:
    big = os.urandom(5 * MiB)
    out = await aclient.completions.create(
        canvas_id=seen.id,
        variables={"doc": [File(afiles), File(big), File(io.BytesIO(b"stream"))]},
        messages=[{"role": "user", "content": File(b"msg", name="m.txt")}],
    )
    assert out.content.startswith("Read [file: inline data], [file: file.bin], [file: inline data]")
    assert [f.sha256 for f in seen.files] == [sha(PDF), sha(big), sha(b"stream"), sha(b"msg")]
    uploaded = await aclient.files.upload(afiles)
    assert emulator.stored_file(uploaded.id).sha256 == sha(PDF)
    info = await aclient.files.retrieve(uploaded.id)
    assert info.id == uploaded.id
    emulator.fail(500, path="/uploads/")
    with pytest.raises(FileUploadError):
        await aclient.files.upload(b"fails")
    results = await asyncio.gather(
        *(aclient.completions.create(canvas_id=seen.id, variables={"doc": File(PDF, upload="vault")}) for _ in range(3))
    )
    assert all(r.content == "Read [file: file.pdf]" for r in results)


def test_preloaded_vault_files(emulator: Emulator, client: Client, seen: Seen) -> None:
    stored = emulator.add_file(b"already there", id="fixed-id", name="pre.txt", mime_type="text/plain")
    assert (stored.file_url, stored.uploaded, stored.sha256) == ("vault://fixed-id", True, sha(b"already there"))
    client.completions.create(canvas_id=seen.id, variables={"doc": File("vault://fixed-id")})
    assert (seen.files[0].name, seen.files[0].text) == ("pre.txt", "already there")
    with pytest.raises(ValueError, match="already in the vault"):
        emulator.add_file(b"again", id="fixed-id")


def test_example_runs() -> None:
    example = pathlib.Path(__file__).resolve().parent.parent / "examples" / "files.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELA_", "DIFY_"))}
    out = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert "document: vault  name=invoice.pdf  type=application/pdf" in out.stdout
    assert "message-0: inline" in out.stdout


def test_submit_takes_files_too(client: Client, seen: Seen, emulator: Emulator) -> None:
    uploaded = client.files.upload(b"for a run", name="run.txt")
    client.completions.submit(canvas_id=seen.id, variables={"doc": [uploaded, File(b"local", upload="vault")]})
    sent = sent_body(emulator)["variables"]["doc"]
    assert sent[0] == {"file_url": uploaded.file_url}
    assert emulator.stored_file(sent[1]["file_url"]).text == "local"


def test_a_failing_stream_leaves_no_spool_file(tmp: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "_SPOOL_LIMIT", 10)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))

    class Broken(io.RawIOBase):
        reads = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            self.reads += 1
            if self.reads > 3:
                raise OSError("device went away")
            b[:8] = b"x" * 8
            return 8

    with pytest.raises(InvalidRequestError, match="device went away"):
        File(Broken())
    assert not list(tmp.glob("tela-sdk-*.spool"))
