"""Files given in ``variables``/``messages`` by their type alone: a ``pathlib.Path``, bytes,
or a binary file object is sent exactly as ``client.file(...)`` would be; a ``str`` stays
text and a text-mode file is a clear error before anything is sent."""

from __future__ import annotations

import hashlib
import io
import pathlib
from typing import Any

import pytest

from tela_sdk import AsyncClient, Client, InvalidRequestError
from tela_sdk.testing import Emulator, ReplyRequest

DATA = b"Invoice #1042: total 1,250 EUR\n"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def calls(emulator: Emulator) -> list[ReplyRequest]:
    return []


@pytest.fixture
def canvas_id(emulator: Emulator, calls: list[ReplyRequest]) -> str:
    def reply(request: ReplyRequest) -> str:
        calls.append(request)
        return "ok"

    return emulator.add_canvas(template="Read {{doc}}", reply=reply).id


def received(calls: list[ReplyRequest]) -> list[tuple[Any, ...]]:
    return [(f.variable, f.name, f.size, f.sha256) for f in calls[-1].files]


def test_path_bytes_and_binary_files_are_files(
    client: Client, canvas_id: str, calls: list[ReplyRequest], tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "invoice.txt"
    path.write_bytes(DATA)
    with path.open("rb") as opened:
        client.completions.create(
            canvas_id=canvas_id,
            variables={
                "doc": path,
                "raw": DATA,
                "buf": bytearray(DATA),
                "view": memoryview(DATA),
                "opened": opened,
                "stream": io.BytesIO(DATA),
                "list": [path, DATA],
            },
        )
    got = received(calls)
    assert len(got) == 8
    assert {size for _, _, size, _ in got} == {len(DATA)}
    assert {sha for *_, sha in got} == {digest(DATA)}
    # The same wire form as client.file(...): a file_url (inline data: URL here).
    assert calls[-1].variables["doc"]["file_url"].startswith("data:")
    assert calls[-1].variables["doc"] == calls[-1].variables["opened"]


def test_a_file_as_message_content(client: Client, canvas_id: str, calls: list[ReplyRequest]) -> None:
    client.completions.create(
        canvas_id=canvas_id, variables={"doc": "text"}, messages=[{"role": "user", "content": DATA}]
    )
    assert [(f.size, f.sha256) for f in calls[-1].files] == [(len(DATA), digest(DATA))]


def test_a_str_is_text_never_a_path(
    client: Client, canvas_id: str, calls: list[ReplyRequest], tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "invoice.txt").write_bytes(DATA)
    monkeypatch.chdir(tmp_path)
    client.completions.create(canvas_id=canvas_id, variables={"doc": "invoice.txt"})
    assert calls[-1].files == []
    assert calls[-1].variables["doc"] == "invoice.txt"


def test_text_mode_and_bad_files_fail_before_sending(
    client: Client, canvas_id: str, emulator: Emulator, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with path.open() as text, pytest.raises(InvalidRequestError, match=r"variables\[\"doc\"\]: .*text mode.*'rb'"):
        client.completions.create(canvas_id=canvas_id, variables={"doc": text})
    with pytest.raises(InvalidRequestError, match=r"variables\[\"doc\"\]\[0\]: .*missing\.pdf"):
        client.completions.create(canvas_id=canvas_id, variables={"doc": [tmp_path / "missing.pdf"]})
    with pytest.raises(InvalidRequestError, match=r"variables\[\"doc\"\]: .*empty"):
        client.completions.create(canvas_id=canvas_id, variables={"doc": b""})
    with pytest.raises(TypeError, match=r"cannot send a object object"):
        client.completions.create(canvas_id=canvas_id, variables={"doc": object()})
    assert emulator.requests == []


async def test_async_client_takes_them_too(
    aclient: AsyncClient, canvas_id: str, calls: list[ReplyRequest], tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(DATA)
    await aclient.completions.create(canvas_id=canvas_id, variables={"doc": path, "raw": DATA})
    assert [(f.variable, f.sha256) for f in calls[-1].files] == [("doc", digest(DATA)), ("raw", digest(DATA))]


def test_each_file_of_a_call_keeps_its_own_content(
    client: Client, canvas_id: str, calls: list[ReplyRequest], tmp_path: pathlib.Path
) -> None:
    # Files made from values are dropped as soon as they are met; an earlier walk named them
    # by address, so a later one reusing a freed address was sent with the first's content.
    values = {f"v{i}": f"content number {i} ".encode() * (i + 1) for i in range(12)}
    client.completions.create(canvas_id=canvas_id, variables={"doc": "x", **values})
    got = {f.variable: f.sha256 for f in calls[-1].files}
    assert got == {name: digest(data) for name, data in values.items()}


def test_a_large_stream_in_variables_is_spooled_until_it_is_sent(
    client: Client,
    canvas_id: str,
    calls: list[ReplyRequest],
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tempfile

    from tela_sdk import _files

    monkeypatch.setattr(_files, "_SPOOL_LIMIT", 100)
    monkeypatch.setattr(_files, "_READ_CHUNK", 64)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    data = bytes(range(256)) * 4
    client.completions.create(canvas_id=canvas_id, variables={"doc": io.BufferedReader(io.BytesIO(data))})
    assert [(f.variable, f.size, f.sha256) for f in calls[-1].files] == [("doc", len(data), digest(data))]
    assert not list(tmp_path.glob("tela-sdk-*.spool"))  # removed once sent


def test_a_failed_conversion_leaves_nothing_for_the_next_call(
    client: Client, canvas_id: str, calls: list[ReplyRequest], emulator: Emulator
) -> None:
    with pytest.raises(TypeError, match=r"variables\[\"bad\"\]: cannot send a object object"):
        client.completions.create(canvas_id=canvas_id, variables={"doc": b"first", "bad": object()})
    assert emulator.requests == []
    client.completions.create(canvas_id=canvas_id, variables={"doc": b"second"})
    assert [(f.variable, f.sha256) for f in calls[-1].files] == [("doc", digest(b"second"))]
    client.completions.create(canvas_id=canvas_id, variables={"doc": "text"})
    assert calls[-1].files == []
