"""``completions.batch``: input order, per-item failures, bounded and fully used concurrency,
JSON Lines output and resume, and bad input refused before anything is sent."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tela_sdk import AsyncClient, BatchResult, Client, Completion, InvalidRequestError, NotFoundError
from tela_sdk.testing import Canvas, Emulator

from .rawserver import RawConn, RawServer, response


def docs(n: int) -> list[dict[str, Any]]:
    return [{"variables": {"document": f"doc {i}"}} for i in range(n)]


def test_results_in_input_order_with_failures_kept(client: Client, canvas: Canvas) -> None:
    items = docs(12)
    items[3] = {"canvas_id": "no-such-canvas", "variables": {"document": "x"}}  # the item wins
    items[7] = {"canvas_id": "no-such-canvas"}
    results = client.completions.batch(items, canvas_id=canvas.id, concurrency=4, progress=False)
    assert [r.index for r in results] == list(range(12))
    assert [r.ok for r in results] == [i not in (3, 7) for i in range(12)]
    for r in results:
        if r.ok:
            assert isinstance(r.completion, Completion)
            assert r.completion.content == f"Summary of doc {r.index}"
            assert r.error is None
        else:
            assert r.completion is None
            assert isinstance(r.error, NotFoundError)


async def test_async_batch(aclient: AsyncClient, canvas: Canvas) -> None:
    results = await aclient.completions.batch(docs(10), canvas_id=canvas.id, concurrency=3, progress=False)
    assert [r.completion.content for r in results if r.completion] == [f"Summary of doc {i}" for i in range(10)]


@pytest.mark.parametrize(
    ("items", "kwargs", "message"),
    [
        ("not a list", {}, "items must be a list of dicts"),
        ({"variables": {}}, {}, "items must be a list of dicts"),
        ([{"variables": {}}, "x"], {}, r"items\[1\] is a str"),
        ([{"canvas": "typo"}], {}, r"items\[0\]: unknown argument 'canvas'"),
        ([{"stream": True}], {}, "stream is not a batch argument"),
        ([{}], {"concurrency": 0}, "concurrency must be an int"),
        ([{}], {"concurrency": 2.5}, "concurrency must be an int"),
        ([{}], {"resume": True}, "resume=True needs output="),
        ([{}], {"canvs_id": "c"}, "batch\\(\\) keyword: unknown argument 'canvs_id'"),
    ],
)
def test_bad_input_is_refused_before_sending(
    emulator: Emulator, client: Client, items: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        client.completions.batch(items, progress=False, **kwargs)
    assert emulator.requests == []


def _completion_body(i: int) -> bytes:
    return json.dumps(
        {"id": f"c{i}", "object": "chat.completion", "created": 0, "choices": [{"message": {"content": "ok"}}]}
    ).encode()


def test_concurrency_is_bounded_and_fully_used() -> None:
    limit = 5
    lock = threading.Condition()
    state = {"in_flight": 0, "peak": 0, "full": 0}

    def handler(conn: RawConn) -> None:
        with lock:
            state["in_flight"] += 1
            state["peak"] = max(state["peak"], state["in_flight"])
            round_ = state["full"]
            if state["in_flight"] == limit:
                state["full"] += 1
                lock.notify_all()
            else:
                # Hold until the batch has `limit` requests open at once (or give up).
                lock.wait_for(lambda: state["full"] > round_, timeout=20)
            state["in_flight"] -= 1
        conn.send(response(200, {"content-type": "application/json", "connection": "close"}, _completion_body(0)))

    with RawServer(handler) as srv, Client(api_key="k", base_url=srv.url, max_retries=0) as c:
        results = c.completions.batch([{}] * (limit * 4), canvas_id="c", concurrency=limit, progress=False)
    assert all(r.ok for r in results), [r.error for r in results if r.error]
    assert state["peak"] == limit
    assert state["full"] >= 3  # the pool was refilled as requests finished, not filled once


def test_output_then_resume_skips_what_is_stored(emulator: Emulator, client: Client, canvas: Canvas, tmp_path: Path):
    out = tmp_path / "results.jsonl"
    items = docs(6)
    items[2] = {"canvas_id": "missing"}
    first = client.completions.batch(items, canvas_id=canvas.id, output=str(out), progress=False)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["index"] for r in records) == list(range(6))
    by_index = {r["index"]: r for r in records}
    assert by_index[2]["ok"] is False
    assert by_index[2]["error"]["type"] == "NotFoundError"
    assert by_index[2]["error"]["status_code"] == 404
    assert by_index[0]["completion"]["choices"][0]["message"]["content"] == "Summary of doc 0"

    # Keep the first three lines, as if the run had been killed, plus a torn last line.
    lines = out.read_text().splitlines(keepends=True)
    kept = [line for line in lines if json.loads(line)["index"] in (0, 1, 2)]
    out.write_text("".join(kept) + '{"index": 4, "ok": tr')
    emulator.clear_requests()
    again = client.completions.batch(items, canvas_id=canvas.id, output=out, resume=True, progress=False)
    sent = sorted(r.body["variables"]["document"] for r in emulator.requests)
    assert sent == ["doc 3", "doc 4", "doc 5"]
    assert [r.ok for r in again] == [r.ok for r in first]
    assert [r.completion.content if r.completion else None for r in again] == [
        r.completion.content if r.completion else None for r in first
    ]
    assert isinstance(again[2].error, NotFoundError)
    assert again[2].error.status_code == 404


def test_resume_refuses_a_file_from_other_items(client: Client, canvas: Canvas, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    out.write_text(json.dumps({"index": 99, "ok": True, "completion": {}}) + "\n")
    with pytest.raises(InvalidRequestError, match="index 99, outside these 2 items"):
        client.completions.batch(docs(2), canvas_id=canvas.id, output=out, resume=True, progress=False)


@pytest.mark.lax  # checks a field the docs do not show (the emulator's strict mode drops it)
def test_plain_progress_line_without_tqdm(
    client: Client, canvas: Canvas, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails as if not installed
    items = [*docs(4), {"canvas_id": "missing"}]
    client.completions.batch(items, canvas_id=canvas.id, concurrency=2)
    err = capsys.readouterr().err
    assert "batch: 5/5 done, 1 failed" in err
    assert "tokens" in err


def test_tqdm_progress_when_installed(client: Client, canvas: Canvas, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    client.completions.batch(docs(3), canvas_id=canvas.id)
    err = capsys.readouterr().err
    assert "3/3" in err
    assert "0 failed" in err


def test_batch_result_repr_and_record() -> None:
    ok = BatchResult(0, completion=Completion({"id": "x", "choices": []}, "req-1"))
    assert ok.to_dict() == {"index": 0, "ok": True, "completion": {"id": "x", "choices": []}, "request_id": "req-1"}
    bad: BatchResult[Completion] = BatchResult(1, error=NotFoundError("no canvas", status_code=404))
    assert bad.to_dict() == {
        "index": 1,
        "ok": False,
        "error": {"type": "NotFoundError", "message": "no canvas", "status_code": 404},
    }
    assert "NotFoundError" in repr(bad)


def test_one_429_pauses_every_worker_of_the_client() -> None:
    lock = threading.Lock()
    arrivals: list[float] = []

    def handler(conn: RawConn) -> None:
        with lock:
            arrivals.append(time.monotonic())
            n = len(arrivals)
        head = {"content-type": "application/json", "connection": "close"}
        if n == 1:
            conn.send(response(429, {**head, "retry-after": "3"}, b'{"error": {"message": "slow down"}}'))
            return
        if n == 2:
            time.sleep(1.0)  # finish after the client has seen the 429: its worker goes on
        conn.send(response(200, head, _completion_body(n)))

    with RawServer(handler) as srv, Client(api_key="k", base_url=srv.url, max_retries=2) as c:
        results = c.completions.batch([{}] * 3, canvas_id="c", concurrency=2, progress=False)
    assert all(r.ok for r in results), [r.error for r in results]
    assert len(arrivals) == 4  # three items and one retry
    # Without the shared pause, the second worker's next item would arrive about 1 s in.
    assert all(t - arrivals[0] >= 2.9 for t in arrivals[2:]), [round(t - arrivals[0], 2) for t in arrivals]


# --- the output file: torn tails, write failures, and no worker outliving the batch ---------


def _lines(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    assert data.endswith(b"\n"), data[-80:]
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


_BIG = "é" * 600  # a two-byte character, so a cut can fall inside one


@pytest.mark.parametrize(
    "fragment",
    [
        b'{"index": 4, "ok": tr',
        # a whole record but for its newline: not done until the line is whole
        json.dumps({"index": 4, "ok": True, "completion": {"content": "x"}}).encode(),
        # cut inside a UTF-8 character, as a kill -9 in a long line leaves it
        json.dumps({"index": 4, "ok": True, "completion": {"content": _BIG}}, ensure_ascii=False).encode()[:501],
    ],
    ids=["mid-record", "no-newline", "mid-utf8"],
)
def test_torn_last_line_is_cut_and_the_file_resumes_twice(
    emulator: Emulator, client: Client, canvas: Canvas, tmp_path: Path, fragment: bytes
) -> None:
    out = tmp_path / "results.jsonl"
    items = docs(6)
    client.completions.batch(items[:3], canvas_id=canvas.id, output=out, progress=False)
    with out.open("ab") as f:  # the run that wrote item 4 was killed mid-line
        f.write(fragment)
    emulator.clear_requests()
    again = client.completions.batch(items, canvas_id=canvas.id, output=out, resume=True, progress=False)
    assert sorted(r.body["variables"]["document"] for r in emulator.requests) == ["doc 3", "doc 4", "doc 5"]
    assert all(r.ok for r in again)
    records = _lines(out)  # every line whole and JSON: the fragment was cut, not glued to
    assert sorted(r["index"] for r in records) == list(range(6))
    emulator.clear_requests()
    third = client.completions.batch(items, canvas_id=canvas.id, output=out, resume=True, progress=False)
    assert emulator.requests == []
    assert [r.completion.content if r.completion else None for r in third] == [f"Summary of doc {i}" for i in range(6)]


def test_a_run_without_resume_also_cuts_a_torn_line(client: Client, canvas: Canvas, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    out.write_bytes(b'{"index": 0, "ok": true}\n{"index": 1, "o')
    client.completions.batch(docs(2), canvas_id=canvas.id, output=out, progress=False)
    assert next(r["index"] for r in _lines(out)) == 0
    assert len(_lines(out)) == 3


@pytest.mark.parametrize(
    ("where", "errno_name"),
    [
        ("missing/results.jsonl", "ENOENT"),  # a folder that does not exist
        ("a-file/results.jsonl", "ENOTDIR"),  # a path under a regular file
        (".", "EISDIR"),  # a folder as the file
        ("/proc/version", None),  # read-only, even for root
    ],
)
def test_unwritable_output_raises_a_typed_error_before_sending(
    emulator: Emulator, client: Client, canvas: Canvas, tmp_path: Path, where: str, errno_name: str | None
) -> None:
    import errno

    from tela_sdk import BatchOutputError, TelaError

    (tmp_path / "a-file").write_text("x")
    out = tmp_path / where
    with pytest.raises(BatchOutputError) as info:
        client.completions.batch(docs(3), canvas_id=canvas.id, output=out, progress=False)
    err = info.value
    assert isinstance(err, TelaError)
    assert isinstance(err, OSError)
    assert err.path == str(out)
    assert repr(str(out)) in str(err)
    assert err.written == 0
    assert err.results == []
    assert "nothing was sent" in str(err)
    if errno_name is not None:
        assert err.errno == getattr(errno, errno_name)
    assert emulator.requests == []


def _held_canvas(emulator: Emulator, release: threading.Event, slow: int) -> Canvas:
    """A canvas whose "slow" items wait for ``release``; the others answer once ``slow`` are held."""
    arrived = threading.Semaphore(0)

    def reply(request: Any) -> str:
        document = str(request.variables["document"])
        if document.startswith("slow"):
            arrived.release()
            release.wait(60)
            return "late"
        for _ in range(slow):  # answer only once the slow ones are in flight
            assert arrived.acquire(timeout=60)
        for _ in range(slow):
            arrived.release()
        return "fast " + document

    return emulator.add_canvas(template="{{document}}", reply=reply)


async def test_full_disk_stops_an_async_batch_and_no_worker_outlives_it(emulator: Emulator) -> None:
    import asyncio
    import errno

    from tela_sdk import BatchOutputError

    release = threading.Event()
    canvas = _held_canvas(emulator, release, slow=2)
    items = [{"variables": {"document": d}} for d in ("slow 1", "slow 2", "quick")]
    before = asyncio.all_tasks()
    try:
        async with emulator.async_client(max_retries=0) as c:
            # /dev/full: every write fails with ENOSPC, as on a full disk.
            with pytest.raises(BatchOutputError) as info:
                await c.completions.batch(items, canvas_id=canvas.id, concurrency=3, output="/dev/full", progress=False)
            assert asyncio.all_tasks() == before  # the two held workers were cancelled and awaited
    finally:
        release.set()
    err = info.value
    assert err.errno == errno.ENOSPC
    assert err.written == 0
    assert [(r.index, r.completion.content if r.completion else None) for r in err.results] == [(2, "fast quick")]
    assert "'/dev/full'" in str(err)
    assert "no result of this run is in it" in str(err)


_CHILD = """
import asyncio, json, os, resource, signal, sys, threading
from tela_sdk import BatchOutputError
from tela_sdk.testing import Emulator

out, face = sys.argv[1], sys.argv[2]
release = threading.Event()
order = threading.Semaphore(0)

def reply(request):
    document = request.variables["document"]
    if document == "small":
        order.release()
        return "ok"
    if document == "big":  # after the small one is written and two slow ones are held
        for _ in range(3):
            assert order.acquire(timeout=60)
        return "x" * 100_000
    order.release()
    release.wait(60)
    return "late"

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, resource.RLIM_INFINITY))
items = [{"variables": {"document": d}} for d in ("small", "big", "slow", "slow")]
with Emulator() as emu:
    canvas = emu.add_canvas(template="{{document}}", reply=reply)
    try:
        if face == "async":
            async def main():
                async with emu.async_client(max_retries=0) as c:
                    try:
                        await c.completions.batch(items, canvas_id=canvas.id, concurrency=4, output=out, progress=False)
                    except BatchOutputError as e:
                        alive = len(asyncio.all_tasks() - {asyncio.current_task()})
                        return e, alive
            err, alive = asyncio.run(main())
        else:
            with emu.client(max_retries=0) as c:
                try:
                    c.completions.batch(items, canvas_id=canvas.id, concurrency=4, output=out, progress=False)
                except BatchOutputError as e:
                    err = e
            alive = sum(t.name == "tela-sdk-batch" for t in threading.enumerate())
    finally:
        release.set()
print(json.dumps({"alive": alive, "written": err.written, "errno": err.errno, "message": str(err),
                  "results": sorted(r.index for r in err.results)}), flush=True)
# Skip interpreter finalization: a reply callback still returning on an emulator thread while
# the interpreter shuts down sometimes crashes it (SIGSEGV/SIGBUS/abort; not the batch's doing).
os._exit(0)
"""


@pytest.mark.parametrize("face", ["async", "sync"])
def test_write_failure_mid_run_keeps_whole_lines_and_stops_the_workers(
    emulator: Emulator, client: Client, canvas: Canvas, tmp_path: Path, face: str
) -> None:
    import errno
    import subprocess

    out = tmp_path / "results.jsonl"
    # The child may write 20,000 bytes (RLIMIT_FSIZE): the small result fits, the big one not.
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(out), face], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["alive"] == 0  # no worker (async) or batch thread (sync) left running
    assert report["errno"] == errno.EFBIG
    assert report["written"] == 1
    assert report["results"] == [0, 1]  # the big one arrived: it is in the error, not lost
    assert "1 result(s) of this run are in it" in report["message"]
    assert "resume=True" in report["message"]
    # The failed write left no fragment: the file holds the small line, whole.
    assert [(r["index"], r["completion"]["choices"][0]["message"]["content"]) for r in _lines(out)] == [(0, "ok")]
    emulator.clear_requests()
    items = [{"variables": {"document": d}} for d in ("small", "big", "slow", "slow")]
    results = client.completions.batch(items, canvas_id=canvas.id, output=out, resume=True, progress=False)
    assert len(emulator.requests) == 3
    assert all(r.ok for r in results)
    assert sorted(r["index"] for r in _lines(out)) == [0, 1, 2, 3]
