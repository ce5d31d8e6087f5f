"""``files.upload(progress=...)``: the core counts the bytes as it streams them and reports
``(sent, total)`` throttled (about every 1%, never per read chunk); ``True`` shows a bar."""

from __future__ import annotations

import os
import pathlib
import sys
import threading
from typing import Any

import pytest

from tela_sdk import AsyncClient, Client, InvalidRequestError
from tela_sdk.testing import Emulator

SIZE = 24 << 20  # big enough for many reports, small enough for a loaded test machine


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("progress") / "big.bin"
    with path.open("wb") as f:
        for _ in range(SIZE >> 20):
            f.write(os.urandom(1 << 20))
    return path


def check_reports(reports: list[tuple[int, int]]) -> None:
    assert reports[0] == (0, SIZE)
    assert reports[-1] == (SIZE, SIZE)
    sent = [s for s, _ in reports]
    assert sent == sorted(set(sent))  # strictly increasing
    # Throttled: about 100 reports, far fewer than the 8 KiB-or-so chunks read from disk.
    assert 10 <= len(reports) <= 102, len(reports)


def test_callback_sees_the_bytes_as_sent(client: Client, emulator: Emulator, big: pathlib.Path) -> None:
    reports: list[tuple[int, int]] = []
    uploaded = client.files.upload(big, progress=lambda sent, total: reports.append((sent, total)))
    check_reports(reports)
    assert emulator.stored_file(uploaded.id).size == SIZE


async def test_async_callback(aclient: AsyncClient, big: pathlib.Path) -> None:
    reports: list[tuple[int, int]] = []
    threads: set[int] = set()

    def progress(sent: int, total: int) -> None:
        threads.add(threading.get_ident())
        reports.append((sent, total))

    await aclient.files.upload(big, progress=progress)
    check_reports(reports)
    assert threading.get_ident() not in threads  # the core's worker, not the event loop


def test_a_retried_put_never_goes_back(emulator: Emulator, big: pathlib.Path) -> None:
    reports: list[tuple[int, int]] = []
    emulator.fail(503, path="/uploads/", method="PUT", retry_after=0)
    with emulator.client(max_retries=1) as client:
        uploaded = client.files.upload(big, progress=lambda s, t: reports.append((s, t)))
    assert emulator.stored_file(uploaded.id).uploads == 1
    assert [r.method for r in emulator.requests].count("PUT") == 2
    check_reports(reports)


def test_true_shows_a_tqdm_bar(client: Client, big: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    client.files.upload(big, progress=True)
    err = capsys.readouterr().err
    assert "big.bin" in err
    assert "100%" in err


def test_true_without_tqdm_prints_a_line(
    client: Client, big: pathlib.Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails as if not installed
    client.files.upload(big, progress=True)
    assert capsys.readouterr().err.strip().splitlines()[-1] == "big.bin: 24.0 MiB / 24.0 MiB (100%)"


def test_bad_progress_is_refused_before_sending(client: Client, emulator: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="progress must be"):
        client.files.upload(b"data", name="a.txt", progress=5)  # type: ignore[arg-type]
    assert emulator.requests == []


def test_a_raising_callback_does_not_fail_the_upload(
    client: Client, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    raised: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", raised.append)

    def progress(sent: int, total: int) -> None:
        raise RuntimeError("display broke")

    uploaded = client.files.upload(b"data", name="a.txt", progress=progress)
    assert emulator.stored_file(uploaded.id).size == 4
    assert raised
    assert isinstance(raised[0].exc_value, RuntimeError)
