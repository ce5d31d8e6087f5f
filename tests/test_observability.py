"""OpenTelemetry spans and metrics, and event hooks, fed by the core's per-attempt record.

Spans and metrics are read with the opentelemetry-sdk's in-memory exporter and metric reader;
the providers are passed to the client (the global ones can be set once per process)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import tela_sdk
from tela_sdk.observability import HookRequest, HookResponse
from tela_sdk.testing import Canvas, Emulator

from .rawserver import RawConn, RawServer, response


def attrs(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def start(span: ReadableSpan) -> int:
    assert span.start_time is not None
    return span.start_time


def end(span: ReadableSpan) -> int:
    assert span.end_time is not None
    return span.end_time


class Otel:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    @property
    def kw(self) -> dict[str, Any]:
        return {"tracer_provider": self.tracer_provider, "meter_provider": self.meter_provider}

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def one(self, name: str) -> ReadableSpan:
        found = [s for s in self.spans() if s.name == name]
        assert len(found) == 1, [s.name for s in self.spans()]
        return found[0]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.parent is not None and s.parent.span_id == parent.context.span_id]

    def metrics(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        data = self.reader.get_metrics_data()
        for rm in data.resource_metrics if data else []:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    out.setdefault(m.name, []).extend(m.data.data_points)
        return out


@pytest.fixture
def otel() -> Iterator[Otel]:
    o = Otel()
    yield o
    o.tracer_provider.shutdown()
    o.meter_provider.shutdown()


def test_a_call_is_one_client_span_with_genai_attributes_and_an_attempt_child(
    emulator: Emulator, canvas: Canvas, otel: Otel
) -> None:
    with emulator.client(max_retries=0, **otel.kw) as client:
        out = client.completions.create(canvas_id=canvas.id, variables={"document": "x"})
    span = otel.one(f"chat {canvas.id}")
    assert span.kind == SpanKind.CLIENT
    a = attrs(span)
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.provider.name"] == "tela"
    assert a["tela.canvas.id"] == canvas.id
    assert a["server.address"] == "127.0.0.1"
    assert a["http.response.status_code"] == 200
    assert a["gen_ai.response.id"] == out.id
    assert a["tela.request.id"] == out.request_id
    assert "error.type" not in a
    (attempt,) = otel.children(span)
    b = attrs(attempt)
    assert attempt.name == "POST"
    assert b["http.request.resend_count"] == 0
    assert b["url.full"].endswith("/v2/chat/completions")
    assert start(span) <= start(attempt) <= end(attempt) <= end(span)
    # Nothing of the input or output is captured by default.
    text = json.dumps([attrs(s) for s in otel.spans()]) + repr([s.events for s in otel.spans()])
    assert "Summary of x" not in text
    assert '"x"' not in text
    points = otel.metrics()
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert dict(duration.attributes)["gen_ai.operation.name"] == "chat"


def test_content_is_captured_only_when_asked_and_files_never(
    emulator: Emulator, canvas: Canvas, otel: Otel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    with emulator.client(max_retries=0, **otel.kw) as client:
        client.completions.create(
            canvas_id=canvas.id,
            variables={"document": "secret-text", "file": tela_sdk.File(b"%PDF-1.4 filebytes", name="a.pdf")},
        )
    a = attrs(otel.one(f"chat {canvas.id}"))
    assert "secret-text" in a["gen_ai.input.messages"]
    assert '"name": "a.pdf"' in a["gen_ai.input.messages"]
    assert "filebytes" not in a["gen_ai.input.messages"]
    assert "Summary of secret-text" in a["gen_ai.output.messages"]
    assert "gen_ai.system" not in a  # the latest names only


def test_an_error_span(emulator: Emulator, otel: Otel) -> None:
    with emulator.client(max_retries=0, **otel.kw) as client, pytest.raises(tela_sdk.NotFoundError):
        client.completions.create(canvas_id="no-such-canvas")
    span = otel.one("chat no-such-canvas")
    assert span.status.status_code == StatusCode.ERROR
    assert attrs(span)["error.type"] == "404"
    assert attrs(span)["http.response.status_code"] == 404
    (attempt,) = otel.children(span)
    assert attempt.status.status_code == StatusCode.ERROR
    (duration,) = otel.metrics()["gen_ai.client.operation.duration"]
    assert dict(duration.attributes)["error.type"] == "404"


def _503_then_200(seen: list[RawConn]) -> Any:
    body = json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
        }
    ).encode()

    def handler(conn: RawConn) -> None:
        seen.append(conn)
        if len(seen) == 1:
            conn.send(response(503, {"retry-after": "0"}, b'{"error": "busy"}'))
        else:
            conn.send(response(200, {"content-type": "application/json", "x-request-id": "req-2"}, body))

    return handler


def test_a_retried_call_has_two_attempt_spans_and_sends_traceparent(otel: Otel) -> None:
    seen: list[RawConn] = []
    with RawServer(_503_then_200(seen)) as srv:
        client = tela_sdk.Client(api_key="sk-secret", base_url=srv.url, max_retries=2, trust_env=False, **otel.kw)
        client.completions.create(canvas_id="c1")
        client.close()
        requests = list(srv.requests)
    span = otel.one("chat c1")
    first, second = sorted(otel.children(span), key=lambda s: s.start_time or 0)
    a, b = attrs(first), attrs(second)
    assert a["http.request.resend_count"] == 0
    assert a["http.response.status_code"] == 503
    assert a["error.type"] == "503"
    assert first.status.status_code == StatusCode.ERROR
    assert b["http.request.resend_count"] == 1
    assert b["http.response.status_code"] == 200
    assert b["tela.retry.reason"] == "HTTP 503"
    assert b["tela.retry.backoff"] >= 0
    assert (first.end_time or 0) <= (second.start_time or 0)
    s = attrs(span)
    assert s["gen_ai.usage.input_tokens"] == 3
    assert s["gen_ai.usage.output_tokens"] == 5
    assert s["tela.request.id"] == "req-2"
    # W3C trace context: the call span's, on every attempt.
    trace_id = format(span.context.trace_id, "032x")
    span_id = format(span.context.span_id, "016x")
    flags = format(span.context.trace_flags, "02x")
    assert [r.headers["traceparent"] for r in requests] == [f"00-{trace_id}-{span_id}-{flags}"] * 2
    tokens = otel.metrics()["gen_ai.client.token.usage"]
    assert sorted((dict(p.attributes)["gen_ai.token.type"], p.sum) for p in tokens) == [("input", 3), ("output", 5)]


def test_the_current_span_is_the_parent(emulator: Emulator, canvas: Canvas, otel: Otel) -> None:
    tracer = otel.tracer_provider.get_tracer("app")
    with emulator.client(max_retries=0, **otel.kw) as client, tracer.start_as_current_span("handler") as parent:
        client.completions.create(canvas_id=canvas.id, variables={"document": "x"})
    call = otel.one(f"chat {canvas.id}")
    assert call.parent is not None
    assert call.parent.span_id == parent.get_span_context().span_id


def test_a_stream_records_time_to_first_chunk_and_events(emulator: Emulator, canvas: Canvas, otel: Otel) -> None:
    with (
        emulator.client(max_retries=0, **otel.kw) as client,
        client.completions.create(canvas_id=canvas.id, variables={"document": "x"}, stream=True) as stream,
    ):
        events = list(stream)
    span = otel.one(f"chat {canvas.id}")
    a = attrs(span)
    assert a["tela.stream.events"] == len(events) > 0
    assert 0 <= a["tela.stream.time_to_first_chunk"] <= (end(span) - start(span)) / 1e9
    (ttfc,) = otel.metrics()["tela.client.time_to_first_chunk"]
    assert ttfc.count == 1
    assert not span.events  # chunk events only on request


def test_chunk_span_events_on_request(
    emulator: Emulator, canvas: Canvas, otel: Otel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELA_OTEL_CHUNK_EVENTS", "true")
    with emulator.client(max_retries=0, **otel.kw) as client:
        events = list(client.completions.create(canvas_id=canvas.id, variables={"document": "x"}, stream=True))
    span = otel.one(f"chat {canvas.id}")
    assert [e.name for e in span.events] == ["gen_ai.chunk"] * len(events)


def test_a_vault_upload_has_its_own_span(emulator: Emulator, canvas: Canvas, otel: Otel) -> None:
    with emulator.client(max_retries=0, upload="vault", **otel.kw) as client:
        client.completions.create(
            canvas_id=canvas.id, variables={"document": tela_sdk.File(b"abc" * 100, name="a.txt")}
        )
    span = otel.one(f"chat {canvas.id}")
    kids = otel.children(span)
    (upload,) = [s for s in kids if s.name == "upload"]
    a = attrs(upload)
    assert a["tela.upload.bytes"] == 300
    assert a["tela.upload.duration"] >= 0
    assert "signature" not in a["url.full"].lower() or "[REDACTED]" in a["url.full"]
    assert [s.name for s in sorted(kids, key=lambda s: s.start_time or 0)][-1] == "POST"


def test_a_run_wait_has_a_span_per_poll(emulator: Emulator, canvas: Canvas, otel: Otel) -> None:
    with emulator.client(max_retries=0, **otel.kw) as client:
        run = client.completions.submit(canvas_id=canvas.id, variables={"document": "x"})
        run.wait(timeout=60)
    submit = otel.one(f"completions.submit {canvas.id}")
    assert attrs(submit)["tela.run.id"] == run.id
    (wait,) = [s for s in otel.spans() if s.name.startswith("runs.wait")]
    polls = otel.children(wait)
    assert polls
    assert all(p.name == "poll GET" for p in polls)


def test_async_spans(emulator: Emulator, canvas: Canvas, otel: Otel) -> None:
    async def main() -> None:
        async with emulator.async_client(max_retries=0, **otel.kw) as client:
            await client.completions.create(canvas_id=canvas.id, variables={"document": "x"})
            stream = await client.completions.create(canvas_id=canvas.id, variables={"document": "y"}, stream=True)
            async for _ in stream:
                pass

    asyncio.run(main())
    spans = [s for s in otel.spans() if s.name == f"chat {canvas.id}"]
    assert len(spans) == 2
    assert any("tela.stream.events" in attrs(s) for s in spans)


def test_dify_spans(emulator: Emulator, otel: Otel) -> None:
    app = emulator.add_dify_app(mode="chat")
    with emulator.dify_client(app, max_retries=0, **otel.kw) as dify:
        dify.chat_messages.create(query="hi", user="u1")
    span = otel.one("chat")
    a = attrs(span)
    assert a["gen_ai.provider.name"] == "dify"
    assert a["dify.app.mode"] == "chat"


# --- hooks ---------------------------------------------------------------------------------------


def test_hooks_see_every_attempt_in_order_with_secrets_redacted() -> None:
    seen: list[RawConn] = []
    calls: list[Any] = []
    hooks = {
        "request": [lambda r: calls.append(("request", r))],
        "response": [lambda r: calls.append(("response", r))],
    }
    with RawServer(_503_then_200(seen)) as srv:
        client = tela_sdk.Client(
            api_key="sk-secret",
            base_url=srv.url.replace("http://", "http://user:pw@"),
            max_retries=2,
            trust_env=False,
            event_hooks=hooks,
            default_headers={"x-api-key": "sk-other"},
        )
        client.completions.create(canvas_id="c1", extra_query={"token": "t0ken", "page": "2"})
        client.close()
    assert [(k, r.attempt) for k, r in calls] == [("request", 1), ("response", 1), ("request", 2), ("response", 2)]
    req: HookRequest = calls[0][1]
    assert req.method == "POST"
    assert "/v2/chat/completions" in req.url
    assert "page=2" in req.url
    assert req.headers["authorization"] == "[REDACTED]"
    assert req.headers["x-api-key"] == "[REDACTED]"
    assert "traceparent" not in req.headers  # no tracer: nothing added
    resp: HookResponse = calls[3][1]
    assert resp.status_code == 200
    assert resp.elapsed >= 0
    assert resp.headers["x-request-id"] == "req-2"
    assert calls[1][1].status_code == 503
    text = repr([(r.url, dict(r.headers)) for _, r in calls])
    assert "sk-secret" not in text
    assert "sk-other" not in text
    assert "pw" not in text
    assert "t0ken" not in text
    with pytest.raises(AttributeError):
        req.attempt = 5
    with pytest.raises(TypeError):
        req.headers["x"] = "y"  # type: ignore[index]


def test_a_hook_that_raises_goes_to_unraisablehook_and_the_call_goes_on(
    emulator: Emulator, canvas: Canvas, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(u.exc_value))
    after: list[int] = []

    def bad(r: Any) -> None:
        raise RuntimeError("hook failed")

    hooks = {"request": [bad, lambda r: after.append(r.attempt)]}
    with emulator.client(max_retries=0, event_hooks=hooks) as client:
        out = client.completions.create(canvas_id=canvas.id, variables={"document": "x"})
    assert out.choices[0].message.content == "Summary of x"
    assert [str(e) for e in reported] == ["hook failed"]
    assert after == [1]


def test_the_upload_put_reaches_the_hooks(emulator: Emulator, canvas: Canvas) -> None:
    methods: list[str] = []
    with emulator.client(
        max_retries=0, upload="vault", event_hooks={"request": [lambda r: methods.append(r.method)]}
    ) as client:
        client.completions.create(canvas_id=canvas.id, variables={"document": tela_sdk.File(b"abc", name="a.txt")})
    assert methods == ["POST", "PUT", "POST"]


def test_async_clients_take_coroutine_hooks(emulator: Emulator, canvas: Canvas) -> None:
    seen: list[tuple[str, int]] = []

    async def on_request(r: HookRequest) -> None:
        await asyncio.sleep(0)
        seen.append(("request", r.attempt))

    def on_response(r: HookResponse) -> None:
        seen.append(("response", r.status_code))

    async def main() -> None:
        hooks = {"request": [on_request], "response": [on_response]}
        async with emulator.async_client(max_retries=0, event_hooks=hooks) as client:
            await client.completions.create(canvas_id=canvas.id, variables={"document": "x"})
            copy = client.with_options(timeout=30)
            await copy.completions.create(canvas_id=canvas.id, variables={"document": "y"})

    asyncio.run(main())
    assert seen == [("request", 1), ("response", 200)] * 2


def test_bad_hooks_are_refused_before_any_request() -> None:
    async def coro(r: Any) -> None:
        pass

    with pytest.raises(tela_sdk.ConfigurationError, match="coroutine"):
        tela_sdk.Client(api_key="k", event_hooks={"request": [coro]})
    with pytest.raises(tela_sdk.ConfigurationError, match='"request" and "response"'):
        tela_sdk.Client(api_key="k", event_hooks={"requests": []})
    with pytest.raises(tela_sdk.ConfigurationError, match="list of functions"):
        tela_sdk.Client(api_key="k", event_hooks={"request": print})  # type: ignore[dict-item]
    with pytest.raises(tela_sdk.ConfigurationError, match="TracerProvider"):
        tela_sdk.Client(api_key="k", tracer_provider=object())


def test_without_hooks_or_opentelemetry_nothing_is_loaded(emulator: Emulator, canvas: Canvas) -> None:
    code = (
        "import sys, tela_sdk\n"
        f"with tela_sdk.Client(base_url={emulator.url!r}, api_key='test-key', trust_env=False) as c:\n"
        f"    c.completions.create(canvas_id={canvas.id!r}, variables={{'document': 'x'}})\n"
        "print(sorted(m for m in ('opentelemetry', 'tela_sdk.observability') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_batch_is_one_parent_span_over_its_items(emulator: Emulator, canvas: Canvas, otel: Otel) -> None:
    items = [{"variables": {"document": str(i)}} for i in range(3)]
    with emulator.client(max_retries=0, **otel.kw) as client:
        results = client.completions.batch(items, canvas_id=canvas.id, progress=False)
    assert all(r.ok for r in results)
    batch = otel.one("batch completions.create")
    assert attrs(batch)["tela.batch.items"] == 3
    calls = [s for s in otel.spans() if s.name == f"chat {canvas.id}"]
    assert len(calls) == 3
    assert all(c.parent is not None and c.parent.span_id == batch.context.span_id for c in calls)


def test_the_readme_fastapi_app_traces_its_call_inside_the_request(emulator: Emulator) -> None:
    """The README's FastAPI block, as printed: the console exporter shows the SDK's span in
    the trace of the web request (its parent is FastAPI's endpoint span)."""
    import os
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("\n## Observability\n") :]
    section = section[: section.index("\n## ", 1)]
    block = re.findall(r"^```python\n(.*?)^```$", section, flags=re.M | re.S)[0]
    emulator.add_canvas(id="readme-canvas", template="Summarize: {{document}}", reply="Summary of {{document}}")
    env = {**os.environ, "TELA_BASE_URL": emulator.url, "TELA_API_KEY": emulator.api_key}
    code = "CANVAS_ID = 'readme-canvas'\n" + block
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "{'summary': 'Summary of Q3 report'}" in out.stdout
    spans, pos, decoder = [], 0, json.JSONDecoder()
    while (pos := out.stdout.find("{\n", pos)) != -1:  # the exporter's JSON spans, one after another
        span, pos = decoder.raw_decode(out.stdout, pos)
        spans.append(span)
    by_name = {s["name"]: s for s in spans}
    call = by_name["chat readme-canvas"]
    assert call["kind"] == "SpanKind.CLIENT"
    assert by_name["POST"]["parent_id"] == call["context"]["span_id"]
    parents = {s["context"]["span_id"]: s for s in spans}
    assert call["parent_id"] in parents  # inside the web request's trace
    assert {s["context"]["trace_id"] for s in spans} == {call["context"]["trace_id"]}


def test_an_async_wait_hooks_every_poll(emulator: Emulator, canvas: Canvas, otel: Otel) -> None:
    polls: list[str] = []

    async def on_response(r: HookResponse) -> None:
        await asyncio.sleep(0)
        polls.append(f"{r.method} {r.status_code}")

    async def main() -> None:
        hooks = {"response": [on_response]}
        async with emulator.async_client(max_retries=0, event_hooks=hooks, **otel.kw) as client:
            run = await client.completions.submit(canvas_id=canvas.id, variables={"document": "x"})
            await run.wait(timeout=60)

    asyncio.run(main())
    assert polls[0] == "POST 200"
    assert len(polls) >= 2
    assert set(polls[1:]) == {"GET 200"}
    (wait,) = [s for s in otel.spans() if s.name.startswith("runs.wait")]
    assert len(otel.children(wait)) == len(polls) - 1


def test_a_stream_calls_its_hooks_when_it_opens(emulator: Emulator, canvas: Canvas) -> None:
    seen: list[str] = []
    hooks = {
        "request": [lambda r: seen.append(f"-> {r.method}")],
        "response": [lambda r: seen.append(f"<- {r.status_code}")],
    }
    with emulator.client(max_retries=0, event_hooks=hooks) as client:
        stream = client.completions.create(canvas_id=canvas.id, variables={"document": "x"}, stream=True)
        assert seen == ["-> POST", "<- 200"]  # before any event is read
        stream.close()
    assert seen == ["-> POST", "<- 200"]


def test_with_raw_response_is_traced_too(emulator: Emulator, canvas: Canvas, otel: Otel) -> None:
    with emulator.client(max_retries=0, **otel.kw) as client:
        raw = client.with_raw_response.completions.create(canvas_id=canvas.id, variables={"document": "x"})
    assert raw.status_code == 200
    assert attrs(otel.one(f"chat {canvas.id}"))["tela.request.id"] == raw.request_id


def test_tracing_turns_on_by_itself_with_a_global_provider(emulator: Emulator, canvas: Canvas) -> None:
    """No provider passed: the one the program set globally is used (in a fresh interpreter:
    the global provider can be set once per process)."""
    code = (
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import SimpleSpanProcessor\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n"
        "import tela_sdk\n"
        f"c = tela_sdk.Client(base_url={emulator.url!r}, api_key='test-key', trust_env=False)\n"
        f"c.completions.create(canvas_id={canvas.id!r}, variables={{'document': 'x'}})\n"
        "exporter = InMemorySpanExporter()\n"
        "provider = TracerProvider()\n"
        "provider.add_span_processor(SimpleSpanProcessor(exporter))\n"
        "trace.set_tracer_provider(provider)\n"
        f"c.completions.create(canvas_id={canvas.id!r}, variables={{'document': 'x'}})\n"
        "print(sorted(s.name for s in exporter.get_finished_spans()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == str(sorted(["POST", f"chat {canvas.id}"]))
