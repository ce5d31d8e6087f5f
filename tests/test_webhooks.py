"""Webhooks: ``tela_sdk.webhooks.parse`` on every payload shape and bad input, and real
deliveries from the emulator to a receiver on 127.0.0.1 (retries, legacy body, failures)."""

from __future__ import annotations

import asyncio
import email.message
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tela_sdk import (
    AsyncClient,
    Client,
    Completion,
    Run,
    RunFailedError,
    TelaError,
    WebhookError,
    webhooks,
)
from tela_sdk.testing import Canvas, Emulator, WebhookDelivery

FAST = {"created_ms": 10, "running_ms": 20, "webhook_retry_ms": 10}

RUN: dict[str, Any] = {
    "id": "6b0f7a2e-7c1e-4e0f-9a55-2f1c7d1f0a11",
    "status": "succeeded",
    "input_content": {"variables": {"document": "d"}, "messages": [], "files": []},
    "output_content": {
        "role": "assistant",
        "content": {"fileSummary": "short"},
        "information": {"duration": 1234, "cost": 0.0021, "input_tokens": 1033, "output_tokens": 128},
        "tool_calls": [{"name": "lookup", "arguments": "{}"}],
        "has_structured_output": True,
    },
    "raw_input": {"canvas_id": "c", "webhook_url": "https://example.com/hook"},
    "a_field_from_the_future": [1, 2],
}
LEGACY: dict[str, Any] = {
    "usage": {"total_tokens": 3, "prompt_tokens": 1, "completion_tokens": 2},
    "object": "chat.completion",
    "choices": [{"message": {"role": "assistant", "content": "hello"}}],
    "created": 1728399621,
}


class Receiver:
    """A webhook endpoint in a thread: answers 500 to the first ``fail_first`` POSTs."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[email.message.Message, bytes]] = []
        self.delivered = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.received.append((self.headers, body))
                ok = len(outer.received) > fail_first
                self.send_response(200 if ok else 500)
                self.end_headers()
                if ok:
                    outer.delivered.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tela-hook"

    def wait(self) -> tuple[email.message.Message, bytes]:
        assert self.delivered.wait(10), f"no successful delivery; received {len(self.received)}"
        return self.received[-1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def recorded(emulator: Emulator, n: int) -> list[WebhookDelivery]:
    """The delivery attempts, once ``n`` are recorded (the emulator records an attempt after
    the receiver has answered it)."""
    end = time.monotonic() + 20
    while time.monotonic() < end:
        attempts = emulator.webhook_deliveries
        if len(attempts) >= n:
            return attempts
        time.sleep(0.01)
    raise AssertionError(f"only {len(emulator.webhook_deliveries)} of {n} delivery attempts recorded")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def canvas(emulator: Emulator) -> Canvas:
    return emulator.add_canvas(
        template="Summarize: {{document}}", reply="Summary of {{document}}", run=FAST, allow_missing_variables=True
    )


# --- parse --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [json.dumps(RUN), json.dumps(RUN).encode(), bytearray(json.dumps(RUN).encode()), RUN],
    ids=["str", "bytes", "bytearray", "dict"],
)
def test_parse_reads_a_run_payload(body: Any) -> None:
    run = webhooks.parse(body, {"X-Completion-Run-Id": RUN["id"]})
    assert isinstance(run, Run)
    assert run.id == RUN["id"]
    assert run.status == "succeeded"
    assert run.result() == {"fileSummary": "short"}
    assert run.output_content is not None
    assert run.output_content.information is not None
    assert run.output_content.information.cost == 0.0021
    assert run.output_content.tool_calls is not None
    assert run.output_content.tool_calls[0].name == "lookup"
    assert run.a_field_from_the_future == [1, 2]  # type: ignore[attr-defined]  # undeclared: read at run time only
    assert run.to_dict() == RUN


def test_parse_takes_any_headers_shape() -> None:
    message = email.message.Message()
    message["X-COMPLETION-RUN-ID"] = RUN["id"]
    shapes: list[webhooks.Headers | None] = [
        message,
        [("x-completion-run-id", RUN["id"])],
        {"Content-Type": "application/json"},
        None,
    ]
    for headers in shapes:
        assert isinstance(webhooks.parse(memoryview(json.dumps(RUN).encode()), headers), Run)
    # ASGI's scope["headers"]: raw (bytes, bytes) pairs.
    asgi = [(b"content-type", b"application/json"), (b"x-completion-run-id", RUN["id"].encode())]
    assert webhooks.run_id(asgi) == RUN["id"]
    with pytest.raises(WebhookError, match="does not match"):
        webhooks.parse(json.dumps(RUN), [(b"x-completion-run-id", b"another-run")])
    assert webhooks.run_id({"X-Completion-Run-Id": " r1 "}) == "r1"
    assert webhooks.run_id([("content-type", "application/json")]) is None
    assert webhooks.RUN_ID_HEADER == "x-completion-run-id"


def test_parse_reads_the_legacy_completion_payload() -> None:
    out = webhooks.parse(json.dumps(LEGACY), {"x-completion-run-id": "any-run"})
    assert isinstance(out, Completion)
    assert out.content == "hello"
    assert out.usage is not None
    assert out.usage.total_tokens == 3


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b"{not json", None, "not valid JSON"),
        (b"\xff\xfe\x00", None, "not valid JSON"),
        ("[1, 2]", None, "must be a JSON object, got list"),
        ('"run"', None, "must be a JSON object, got str"),
        ({"event": "task.completed", "task": []}, None, "'task.completed' event's task must be a JSON object"),
        ({"event": "chat.completed", "task": {}}, None, "neither a Tela run .* keys are: event, task"),
        ({"id": "r1"}, None, "neither a Tela run"),
        ({"id": "r1", "status": 3}, None, "neither a Tela run"),
        (RUN, {"x-completion-run-id": "another-run"}, "does not match the run id"),
        (42, None, "takes the request body as bytes, str or a dict, got int"),
        (b"[" * 100_000 + b"]" * 100_000, None, "nested too deeply"),
        (b'{"id": "r1", "status": "succeeded", "cost": NaN}', None, "NaN is not a JSON number"),
        (b'{"id": "r1", "status": "succeeded", "x": -Infinity}', None, "-Infinity is not a JSON number"),
        ({"object": "chat.completion", "choices": 5}, None, "choices must be a list of objects"),
        ({"id": "r1", "status": "succeeded", "choices": [1]}, None, "choices must be a list of objects"),
        ({"choices": [{"message": "hi"}]}, None, "message must be an object"),
        (RUN, 42, "headers must be the request headers .* got int"),
        (RUN, "x", "headers must be the request headers .* got str"),
        (RUN, b"x-completion-run-id: r", "headers must be the request headers .* got bytes"),
        (RUN, [("a", "b", "c")], "headers must be the request headers .* got list"),
        (RUN, [42], "headers must be the request headers .* got list"),
    ],
)
def test_parse_rejects_what_is_not_a_tela_webhook(body: Any, headers: Any, message: str) -> None:
    with pytest.raises(WebhookError, match=message) as info:
        webhooks.parse(body, headers)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TelaError)


def test_run_id_refuses_what_is_not_headers() -> None:
    for headers in (42, "x", None):
        with pytest.raises(WebhookError, match="headers must be the request headers"):
            webhooks.run_id(headers)  # type: ignore[arg-type]


def test_a_parsed_run_has_no_client_until_given_one(client: Client) -> None:
    run = webhooks.parse(RUN)
    assert isinstance(run, Run)
    with pytest.raises(TelaError, match="has no client"):
        run.wait()
    # A finished run passed to a client's wait comes back at once, bound to that client.
    bound = client.completions.wait(run)
    assert bound.to_dict() == RUN


# --- delivery -----------------------------------------------------------------------------


def test_the_emulator_delivers_the_finished_run(
    emulator: Emulator, client: Client, canvas: Canvas, receiver: Receiver
) -> None:
    run = client.completions.submit(canvas_id=canvas.id, variables={"document": "d"}, webhook_url=receiver.url)
    headers, body = receiver.wait()
    assert headers["Content-Type"] == "application/json"
    assert headers["x-completion-run-id"] == run.id
    delivered = webhooks.parse(body, headers)
    assert isinstance(delivered, Run)
    assert delivered.status == "succeeded"
    assert delivered.result() == "Summary of d"
    assert delivered.to_dict() == client.completions.retrieve(run.id).to_dict()
    (attempt,) = recorded(emulator, 1)
    assert (attempt.run_id, attempt.url, attempt.attempt, attempt.status) == (run.id, receiver.url, 1, 200)
    assert attempt.delivered
    assert attempt.error is None
    assert attempt.payload == json.loads(body)
    emulator.clear_webhook_deliveries()
    assert emulator.webhook_deliveries == []


def test_failed_deliveries_are_retried(emulator: Emulator, client: Client, canvas: Canvas) -> None:
    flaky = Receiver(fail_first=2)
    try:
        run = client.completions.submit(canvas_id=canvas.id, webhook_url=flaky.url)
        _, body = flaky.wait()
    finally:
        flaky.close()
    assert len(flaky.received) == 3
    assert [(d.attempt, d.status, d.delivered) for d in recorded(emulator, 3)] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    delivered = webhooks.parse(body, {"x-completion-run-id": run.id})
    assert isinstance(delivered, Run)
    assert delivered.id == run.id


def test_an_unreachable_receiver_is_given_up_on(emulator: Emulator, client: Client) -> None:
    canvas = emulator.add_canvas(run={**FAST, "webhook_attempts": 2})
    with socket.socket() as s:  # held (not listening) while the run tries it: refused, and no one else's
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
        run = client.completions.submit(canvas_id=canvas.id, webhook_url=closed)
        assert run.wait(poll_interval=0.01).status == "succeeded"
        attempts = recorded(emulator, 2)
    assert [(d.attempt, d.status, d.delivered) for d in attempts] == [(1, None, False), (2, None, False)]
    assert all(d.error for d in attempts)


def test_legacy_payloads_and_failed_runs(emulator: Emulator, client: Client, receiver: Receiver) -> None:
    legacy = emulator.add_canvas(reply="legacy hello", run={**FAST, "webhook": "completion"})
    run = client.completions.submit(canvas_id=legacy.id, webhook_url=receiver.url)
    headers, body = receiver.wait()
    out = webhooks.parse(body, headers)
    assert isinstance(out, Completion)
    assert out.content == "legacy hello"
    # The guide's legacy body has no id (strict emulator): the header names the run.
    # (Completion.id is typed str: a legacy body without one reads None; a finding.)
    assert (out.get("id"), webhooks.run_id(headers)) == (None, run.id)
    assert out.usage is not None

    receiver.delivered.clear()
    failing = emulator.add_canvas(run={**FAST, "fail": True, "fail_message": "no luck"})
    run = client.completions.submit(canvas_id=failing.id, webhook_url=receiver.url)
    headers, body = receiver.wait()
    failed = webhooks.parse(body, headers)
    assert isinstance(failed, Run)
    assert failed.status == "failed"
    # A failed run's cause is undocumented: the strict emulator sends none.
    with pytest.raises(RunFailedError, match="the API gave no reason"):
        failed.result()


async def test_async_submit_with_a_webhook(aclient: AsyncClient, canvas: Canvas, receiver: Receiver) -> None:
    run = await aclient.completions.submit(canvas_id=canvas.id, variables={"document": "x"}, webhook_url=receiver.url)
    done = await run.wait(poll_interval=0.01)
    headers, body = await asyncio.to_thread(receiver.wait)
    delivered = webhooks.parse(body, headers)
    assert isinstance(delivered, Run)
    assert delivered.to_dict() == done.to_dict()
