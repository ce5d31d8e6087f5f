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
