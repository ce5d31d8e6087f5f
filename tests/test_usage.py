"""The usage ledger (issue 25 item 4): ``client.usage`` adds up requests, attempts, tokens,
cost and time from what the answers carry, per canvas, app and tag, shared by
``with_options`` copies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tela_sdk import Client, InvalidRequestError
from tela_sdk.testing import Emulator

from .rawserver import RawConn, RawServer, response

pytestmark = pytest.mark.lax  # the emulator's usage fields are beyond the documented ones


def test_blocking_and_streamed_calls_add_up_per_canvas_and_tag(emulator: Emulator) -> None:
    a = emulator.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}")
    b = emulator.add_canvas(template="{{document}}", reply="B says {{document}} twice over")
    client = emulator.client(max_retries=0)
    copy = client.with_options(timeout=30)
    first = client.completions.create(canvas_id=a.id, variables={"document": "x"}, tags=["nightly", "eu"])
    second = copy.completions.create(canvas_id=b.id, variables={"document": "y"}, tags=["nightly"])
    with client.completions.create(canvas_id=a.id, variables={"document": "z"}, stream=True) as s:
        assert "".join(s.text()) == "Summary of z"
    assert first.usage is not None
    assert second.usage is not None
    usage = copy.usage  # the copy sees the original's calls and its own
    assert (usage.requests, usage.attempts) == (3, 3)
    assert usage.input_tokens == (first.usage.prompt_tokens or 0) + (second.usage.prompt_tokens or 0)
    assert usage.output_tokens == (first.usage.completion_tokens or 0) + (second.usage.completion_tokens or 0)
    assert usage.time > 0
    assert usage.by_canvas[a.id].requests == 2
    assert usage.by_canvas[b.id].output_tokens == second.usage.completion_tokens
    assert usage.by_tag["nightly"].requests == 2
    assert usage.by_tag["eu"].input_tokens == first.usage.prompt_tokens
    client.usage.reset()
    assert (copy.usage.requests, copy.usage.by_canvas) == (0, {})


def test_retries_count_as_attempts_of_one_request(emulator: Emulator) -> None:
    canvas = emulator.add_canvas(template="{{document}}", reply="ok")
    client = emulator.client(max_retries=2)
    emulator.fail(status=429, retry_after_ms=10, times=2)
    client.completions.create(canvas_id=canvas.id, variables={"document": "x"})
    assert (client.usage.requests, client.usage.attempts) == (1, 3)
    assert client.usage.by_canvas[canvas.id].attempts == 3


def test_a_run_polled_many_times_counts_its_information_once(emulator: Emulator) -> None:
    canvas = emulator.add_canvas(template="{{document}}", reply="done", run={"created_ms": 20, "running_ms": 40})
    client = emulator.client(max_retries=0)
    run = client.completions.submit(canvas_id=canvas.id, variables={"document": "x"})
    finished = client.completions.wait(run.id)
    again = client.completions.retrieve(run.id)
    info = finished.output_content.information if finished.output_content else None
    assert info is not None
    assert again.id == run.id
    usage = client.usage
    assert usage.requests >= 3  # submit, the polls, retrieve
    assert usage.input_tokens == (info.input_tokens or 0)
    assert usage.output_tokens == (info.output_tokens or 0)
    assert usage.cost == pytest.approx(info.cost or 0.0)
    assert usage.by_canvas[canvas.id].input_tokens == (info.input_tokens or 0)


def test_dify_prices_and_currency_are_added(emulator: Emulator) -> None:
    app = emulator.add_dify_app(template="T: {{text}}", answer="Hola {{text}}", user_input_form=["text"])
    dify = emulator.dify_client(app, max_retries=0)
    out = dify.completion_messages.create(inputs={"text": "hi"}, user="u")
    with dify.completion_messages.create(inputs={"text": "hi"}, user="u", stream=True) as s:
        list(s)
        streamed = s.final()
    assert out.metadata is not None
    assert out.metadata.usage is not None
    price = out.metadata.usage.total_price
    usage = dify.usage
    assert usage.requests == 2
    assert usage.currency == out.metadata.usage.currency == "USD"
    assert streamed.usage is not None
    assert usage.cost == pytest.approx(float(price or 0) + float(streamed.usage.total_price or 0))
    assert usage.input_tokens == (out.metadata.usage.prompt_tokens or 0) + (streamed.usage.prompt_tokens or 0)


def _costly(conn: RawConn) -> None:
    """A completion whose answer carries Tela's information block (cost 0.4)."""
    answer = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "choices": [{"message": {"role": "assistant", "content": "ok"}}],
        "information": {"cost": 0.4, "input_tokens": 2, "output_tokens": 3, "duration": 10},
    }
    conn.send(response(200, {"content-type": "application/json"}, json.dumps(answer).encode()))


def test_a_batch_budget_stops_new_items_and_resume_runs_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.jsonl"
    items = [{"variables": {"document": str(i)}} for i in range(5)]
    with RawServer(_costly) as srv:
        client = Client(api_key="k", base_url=srv.url, max_retries=0)
        results = client.completions.batch(items, canvas_id="c", concurrency=1, output=out, budget=1.0)
        # 0.4 + 0.4 + 0.4 reaches 1.0 after the third item: the last two never start.
        assert [r.started for r in results] == [True, True, True, False, False]
        assert [r.ok for r in results] == [True, True, True, False, False]
        assert "budget=1" in str(results[3].error)
        assert len(srv.requests) == 3
        assert client.usage.cost == pytest.approx(1.2)
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        assert [line.get("started", True) for line in lines] == [True, True, True, False, False]
        assert "batch totals: 3 requests, 3 attempts, 6 input + 9 output tokens, cost 1.2" in capsys.readouterr().err
        again = client.completions.batch(items, canvas_id="c", concurrency=1, output=out, resume=True, budget=5)
        assert all(r.ok and r.started for r in again)
        assert len(srv.requests) == 5  # only the two not started ran


def test_a_bad_budget_is_a_typed_error(client: Client) -> None:
    with pytest.raises(InvalidRequestError, match="budget"):
        client.completions.batch([{"canvas_id": "c"}], budget=-1, progress=False)
