"""Tracing (OpenTelemetry) and event hooks, fed by the core's record of each call.

Loaded only when a client has event hooks or a tracer/meter provider, or when the program
has imported ``opentelemetry.trace`` itself: ``import tela_sdk`` never imports it.

The core records every HTTP attempt (method, URL and headers with secrets masked, attempt
number, why it was a resend and the backoff slept before it, status, start and end taken on
the I/O side, the vault upload's bytes) and, for streams, when the first event arrived and
how many came; this module turns that record into spans, metrics and hook calls when the
call (or the stream) is over. With neither tracing nor hooks nothing is recorded.

Hooks: ``Client(event_hooks={"request": [fn, ...], "response": [fn, ...]})``. Each is called
once per attempt (retries and the vault's presigned ``PUT`` included) with a read-only
``HookRequest`` or ``HookResponse``, in attempt order, when the call returns (a stream's
attempts when it opens). A hook that raises is reported to ``sys.unraisablehook`` and the
call goes on. ``AsyncClient`` also takes coroutine functions, awaited in turn.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError
from ._native import NativeStream, NativeTrace

__all__ = ["HookRequest", "HookResponse"]

_HOOK_KINDS = ("request", "response")


class HookRequest:
    """One attempt's request, as a ``request`` hook sees it (read-only)."""

    __slots__ = ("attempt", "headers", "method", "url")

    method: str
    #: The full URL; a password and query values that can sign or authorize are masked.
    url: str
    #: The headers sent, every value that can carry a secret replaced by ``[REDACTED]``.
    headers: Mapping[str, str]
    #: 1 for the first attempt, 2 for the first retry...
    attempt: int

    def __init__(self, method: str, url: str, headers: Mapping[str, str], attempt: int) -> None:
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "headers", MappingProxyType(dict(headers)))
        object.__setattr__(self, "attempt", attempt)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(method={self.method!r}, url={self.url!r}, attempt={self.attempt})"


class HookResponse(HookRequest):
    """One attempt's response, as a ``response`` hook sees it (read-only): the request's
    ``method``, ``url`` and ``attempt``, and the response's ``status_code``, ``headers``
    (secrets redacted) and ``elapsed`` (seconds from sending to the response)."""

    __slots__ = ("elapsed", "request_headers", "status_code")

    status_code: int
    elapsed: float
    request_headers: Mapping[str, str]

    def __init__(self, attempt: dict[str, Any]) -> None:
        super().__init__(attempt["method"], attempt["url"], attempt["response_headers"], attempt["attempt"])
        object.__setattr__(self, "status_code", attempt["status"])
        object.__setattr__(self, "elapsed", (attempt["end_ns"] - attempt["start_ns"]) / 1e9)
        object.__setattr__(self, "request_headers", MappingProxyType(dict(attempt["request_headers"])))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(method={self.method!r}, url={self.url!r}, attempt={self.attempt}, "
            f"status_code={self.status_code}, elapsed={self.elapsed:.3f})"
        )


class _Unraisable:
    """Hands an exception to ``sys.unraisablehook`` the way the interpreter does: a
    ``__del__`` that raises is reported there, and the caller goes on."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __del__(self) -> None:
        raise self.exc


def _report(exc: BaseException) -> None:
    _Unraisable(exc)


def _report_task(task: Any) -> None:
    if not task.cancelled() and task.exception() is not None:
        _report(task.exception())


# --- settings --------------------------------------------------------------------------------


class Settings:
    """What a client (and its ``with_options`` copies) observes with."""

    __slots__ = ("hooks", "is_async", "meter_provider", "tracer_provider")

    def __init__(
        self,
        event_hooks: Mapping[str, Iterable[Callable[..., Any]]] | None,
        tracer_provider: Any,
        meter_provider: Any,
        is_async: bool,
    ) -> None:
        self.is_async = is_async
        self.hooks: dict[str, tuple[Callable[..., Any], ...]] = {"request": (), "response": ()}
        if event_hooks is not None:
            if not isinstance(event_hooks, Mapping):
                raise ConfigurationError(
                    'event_hooks must be a dict like {"request": [fn], "response": [fn]}, '
                    f"not {type(event_hooks).__name__}"
                )
            for kind, given in event_hooks.items():
                if kind not in _HOOK_KINDS:
                    raise ConfigurationError(f'event_hooks takes the keys "request" and "response", not {kind!r}')
                value: Any = given
                if callable(value) or isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                    raise ConfigurationError(f'event_hooks["{kind}"] must be a list of functions, not {value!r}')
                fns = tuple(value)
                for fn in fns:
                    if not callable(fn):
                        raise ConfigurationError(f'event_hooks["{kind}"] holds {fn!r}, which is not callable')
                    if not is_async and inspect.iscoroutinefunction(fn):
                        raise ConfigurationError(
                            f'event_hooks["{kind}"] holds the coroutine function {fn.__qualname__}: '
                            "a blocking Client cannot await it; use AsyncClient, or a plain function"
                        )
                self.hooks[kind] = fns
        if tracer_provider is not None and not callable(getattr(tracer_provider, "get_tracer", None)):
            raise ConfigurationError("tracer_provider must be an OpenTelemetry TracerProvider (it has no get_tracer)")
        if meter_provider is not None and not callable(getattr(meter_provider, "get_meter", None)):
            raise ConfigurationError("meter_provider must be an OpenTelemetry MeterProvider (it has no get_meter)")
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider

    @property
    def has_hooks(self) -> bool:
        return bool(self.hooks["request"] or self.hooks["response"])


# --- OpenTelemetry ------------------------------------------------------------------------------


_UNKNOWN = object()
#: Whether the environment names providers for OpenTelemetry to load: read once, as the API
#: itself reads them once (an environment lookup costs more than the rest of the check).
_ENV_TRACER = "OTEL_PYTHON_TRACER_PROVIDER" in os.environ
_ENV_METER = "OTEL_PYTHON_METER_PROVIDER" in os.environ


def _global_tracer_provider() -> Any:
    """The global tracer provider, if the program configured one (None: the API's proxy).
    Read from the module first: ``get_tracer_provider()`` reads the environment on every
    call while none is set, and this runs on every call of a program that imported
    OpenTelemetry (FastAPI does) without configuring it."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    provider = getattr(trace, "_TRACER_PROVIDER", _UNKNOWN)
    if provider is None and not _ENV_TRACER:
        return None
    provider = trace.get_tracer_provider()
    if type(provider).__name__ in ("ProxyTracerProvider", "NoOpTracerProvider"):
        return None
    return provider


def _global_meter_provider() -> Any:
    """The global meter provider, if the program configured one (as above)."""
    internal = sys.modules.get("opentelemetry.metrics._internal")
    provider = getattr(internal, "_METER_PROVIDER", _UNKNOWN)
    if provider is None and not _ENV_METER:
        return None
    from opentelemetry import metrics

    provider = metrics.get_meter_provider()
    if type(provider).__name__ in ("_ProxyMeterProvider", "NoOpMeterProvider"):
        return None
    return provider


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _latest() -> bool:
    opts = os.environ.get("OTEL_SEMCONV_STABILITY_OPT_IN", "")
    return "gen_ai_latest_experimental" in [o.strip() for o in opts.split(",")]


_VERSION: str | None = None


def _version() -> str:
    global _VERSION
    if _VERSION is None:
        from ._native import __version__

        _VERSION = __version__
    return _VERSION


class _Instruments:
    """A meter's three histograms (one set per meter provider)."""

    def __init__(self, provider: Any) -> None:
        meter = provider.get_meter("tela_sdk", _version())
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="GenAI operation duration"
        )
        self.tokens = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Measures number of input and output tokens used"
        )
        self.ttfc = meter.create_histogram(
            "tela.client.time_to_first_chunk", unit="s", description="Time from the request to a stream's first event"
        )


_INSTRUMENTS: dict[int, tuple[Any, _Instruments]] = {}


def _instruments(provider: Any) -> _Instruments:
    found = _INSTRUMENTS.get(id(provider))
    if found is None or found[0] is not provider:
        found = (provider, _Instruments(provider))
        _INSTRUMENTS[id(provider)] = found
    return found[1]


#: The GenAI operation name of each core operation (others are named after the operation).
_GENAI_OPS = {
    "completions.create": "chat",
    "dify.chat_messages.create": "chat",
    "dify.completion_messages.create": "text_completion",
}


def _target(op: str, body: Mapping[str, Any]) -> str | None:
    for key in ("canvas_id", "version_id", "application_id", "run_id", "task_id", "id", "conversation_id"):
        value = body.get(key)
        if isinstance(value, str):
            return value
    return None


def _file_summary(value: Any) -> Any:
    """A file as its name, size and MIME type (files are never captured)."""
    from ._files import File

    if isinstance(value, File):
        return {"type": "file", "name": value.name, "size": value.size, "mime_type": value.mime_type}
    if isinstance(value, Mapping):
        return {k: _file_summary(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_file_summary(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (bytes, bytearray)) or hasattr(value, "read") or isinstance(value, os.PathLike):
        return {"type": "file"}
    return repr(type(value).__name__)


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    try:  # Decimal
        return float(v)
    except (TypeError, ValueError):
        return None


def _answer_attributes(data: Any) -> dict[str, Any]:
    """What a response (or a stream's totals) says: its id, tokens, cost, run and mode."""
    out: dict[str, Any] = {}
    if not isinstance(data, Mapping):
        return out
    rid = data.get("id") or data.get("message_id")
    if isinstance(rid, str):
        out["gen_ai.response.id"] = rid
    model = data.get("model")
    if isinstance(model, str):
        out["gen_ai.response.model"] = model
    mode = data.get("mode")
    if isinstance(mode, str):
        out["dify.app.mode"] = mode
    usage = data.get("usage")
    metadata = data.get("metadata")
    if isinstance(metadata, Mapping) and isinstance(metadata.get("usage"), Mapping):
        usage = metadata["usage"]
    info = data.get("information")
    content = data.get("output_content") or data.get("outputContent")
    if info is None and isinstance(content, Mapping):
        info = content.get("information")
    for source in (usage, info):
        if not isinstance(source, Mapping):
            continue
        for key, attr in (
            ("prompt_tokens", "gen_ai.usage.input_tokens"),
            ("input_tokens", "gen_ai.usage.input_tokens"),
            ("completion_tokens", "gen_ai.usage.output_tokens"),
            ("output_tokens", "gen_ai.usage.output_tokens"),
        ):
            n = source.get(key)
            if isinstance(n, int) and not isinstance(n, bool):
                out[attr] = n
        for key in ("cost", "total_price"):
            cost = _number(source.get(key))
            if cost is not None:
                out["tela.cost"] = cost
    return out


def _error_type(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return str(status)
    return type(exc).__qualname__


class Watch:
    """One observed call: its record, its span, and what is told when it ends."""

    def __init__(self, settings: Settings, api: str, base_url: str, op: str, body: Mapping[str, Any]) -> None:
        self.settings = settings
        self.op = op
        self.api = api
        self.trace = NativeTrace()
        self.start_ns = time.time_ns()
        self.span: Any = None
        self.tracer: Any = None
        self.meters: _Instruments | None = None
        self.seen = 0  # attempts already handed to hooks and spans
        self.ended = False
        self.latest = _latest()
        self.capture = _truthy("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")
        self.chunk_events = _truthy("TELA_OTEL_CHUNK_EVENTS")
        self.stream_attrs: dict[str, Any] = {}
        parts = urlsplit(base_url)
        self.base: dict[str, Any] = {
            "gen_ai.operation.name": _GENAI_OPS.get(op, op),
            "gen_ai.provider.name": api,
        }
        if not self.latest:
            self.base["gen_ai.system"] = api
        if parts.hostname:
            self.base["server.address"] = parts.hostname
            self.base["server.port"] = parts.port or (443 if parts.scheme == "https" else 80)
        override = body.get("override")
        if isinstance(override, Mapping) and isinstance(override.get("model"), str):
            self.base["gen_ai.request.model"] = override["model"]
        self.request_attrs: dict[str, Any] = {}
        for key, attr in (
            ("canvas_id", "tela.canvas.id"),
            ("version_id", "tela.version.id"),
            ("environment_name", "tela.environment"),
            ("application_id", "tela.application.id"),
            ("run_id", "tela.run.id"),
        ):
            value = body.get(key)
            if isinstance(value, str):
                self.request_attrs[attr] = value
        if op in ("completions.retrieve", "tasks.get") and isinstance(body.get("id"), str):
            self.request_attrs["tela.run.id"] = body["id"]
        tracer_provider = settings.tracer_provider
        meter_provider = settings.meter_provider
        if tracer_provider is None:
            tracer_provider = _global_tracer_provider()
        if meter_provider is None:
            meter_provider = _global_meter_provider()
        if meter_provider is not None:
            self.meters = _instruments(meter_provider)
        if tracer_provider is not None:
            from opentelemetry.trace import SpanKind

            self.tracer = tracer_provider.get_tracer("tela_sdk", _version())
            target = _target(op, body)
            name = self.base["gen_ai.operation.name"] + (f" {target}" if target else "")
            self.span = self.tracer.start_span(
                name, kind=SpanKind.CLIENT, attributes={**self.base, **self.request_attrs}, start_time=self.start_ns
            )
            if self.capture:
                self._capture_input(body)

    @property
    def active(self) -> bool:
        return self.span is not None or self.meters is not None or self.settings.has_hooks

    def options(self, options: Mapping[str, Any]) -> Mapping[str, Any]:
        """The call's options with the span's ``traceparent`` added to its headers."""
        if self.span is None:
            return options
        from opentelemetry import trace
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier, context=trace.set_span_in_context(self.span))
        if not carrier:
            return options
        headers = dict(options.get("extra_headers") or {})
        for k, v in carrier.items():
            headers.setdefault(k, v)
        return {**options, "extra_headers": headers}

    def _capture_input(self, body: Mapping[str, Any]) -> None:
        captured = {k: _file_summary(body[k]) for k in ("variables", "messages", "inputs", "query") if k in body}
        if not captured:
            return
        text = json.dumps(captured, default=str)
        if self.latest:
            self.span.set_attribute("gen_ai.input.messages", text)
        else:
            self.span.add_event("gen_ai.content.prompt", {"gen_ai.prompt": text})

    def _capture_output(self, data: Any) -> None:
        if not isinstance(data, Mapping):
            return
        output: Any = None
        if "choices" in data:
            output = data["choices"]
        elif "answer" in data:
            output = data["answer"]
        elif "output_content" in data:
            output = data["output_content"]
        elif "content" in data:
            output = data["content"]
        if output is None:
            return
        text = json.dumps(_file_summary(output), default=str)
        if self.latest:
            self.span.set_attribute("gen_ai.output.messages", text)
        else:
            self.span.add_event("gen_ai.content.completion", {"gen_ai.completion": text})

    # -- attempts -------------------------------------------------------------------------------

    def _new_attempts(self) -> list[dict[str, Any]]:
        attempts = self.trace.attempts(self.seen)
        self.seen += len(attempts)
        return attempts

    def _attempt_spans(self, attempts: list[dict[str, Any]]) -> None:
        if self.span is None:
            return
        from opentelemetry import trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        ctx = trace.set_span_in_context(self.span)
        poll = self.op.endswith(".wait")
        for a in attempts:
            attrs: dict[str, Any] = {
                "http.request.method": a["method"],
                "url.full": a["url"],
                "http.request.resend_count": a["attempt"] - 1,
            }
            if "server.address" in self.base:
                attrs["server.address"] = self.base["server.address"]
                attrs["server.port"] = self.base["server.port"]
            if a["status"] is not None:
                attrs["http.response.status_code"] = a["status"]
            if a["retry_reason"] is not None:
                attrs["tela.retry.reason"] = a["retry_reason"]
            if a["backoff"] is not None:
                attrs["tela.retry.backoff"] = a["backoff"]
            if a["request_id"] is not None:
                attrs["tela.request.id"] = a["request_id"]
            if a["kind"] == "upload":
                name = "upload"
                attrs["tela.upload.bytes"] = a["bytes"]
                attrs["tela.upload.duration"] = (a["end_ns"] - a["start_ns"]) / 1e9
            elif poll:
                name = f"poll {a['method']}"
                attrs["tela.poll"] = True
            else:
                name = a["method"]
            if a["error"] is not None:
                attrs["error.type"] = str(a["status"]) if a["status"] is not None else a["error"]
            span = self.tracer.start_span(
                name, context=ctx, kind=SpanKind.CLIENT, attributes=attrs, start_time=a["start_ns"]
            )
            if a["error"] is not None:
                span.set_status(Status(StatusCode.ERROR, a["error"]))
            span.end(end_time=a["end_ns"])

    def _hook_calls(self, attempts: list[dict[str, Any]]) -> list[tuple[Callable[..., Any], Any]]:
        calls: list[tuple[Callable[..., Any], Any]] = []
        hooks = self.settings.hooks
        for a in attempts:
            if hooks["request"]:
                req = HookRequest(a["method"], a["url"], a["request_headers"], a["attempt"])
                calls.extend((fn, req) for fn in hooks["request"])
            if hooks["response"] and a["status"] is not None:
                resp = HookResponse(a)
                calls.extend((fn, resp) for fn in hooks["response"])
        return calls

    def attempts_done(self) -> list[tuple[Callable[..., Any], Any]]:
        """Spans for the attempts recorded since the last time; the hook calls they make."""
        attempts = self._new_attempts()
        self._attempt_spans(attempts)
        return self._hook_calls(attempts)

    @staticmethod
    def run_hooks(calls: list[tuple[Callable[..., Any], Any]]) -> None:
        """Calls the hooks; a coroutine one (an async stream's late attempts) is scheduled
        on the running loop."""
        for fn, arg in calls:
            try:
                out = fn(arg)
                if inspect.isawaitable(out):
                    import asyncio

                    asyncio.ensure_future(out).add_done_callback(_report_task)
            except Exception as exc:
                _report(exc)

    @staticmethod
    async def arun_hooks(calls: list[tuple[Callable[..., Any], Any]]) -> None:
        for fn, arg in calls:
            try:
                out = fn(arg)
                if inspect.isawaitable(out):
                    await out
            except Exception as exc:
                _report(exc)

    # -- the end ----------------------------------------------------------------------------------

    def _end_ns(self, attempts: list[dict[str, Any]]) -> int:
        ends = [a["end_ns"] for a in attempts]
        last = self.trace.last_chunk_ns
        if last is not None:
            ends.append(last)
        return max(ends) if ends else time.time_ns()

    def _first_ns(self, attempts: list[dict[str, Any]] | None = None) -> int:
        if attempts is None:
            attempts = self.trace.attempts()
        return min((a["start_ns"] for a in attempts), default=self.start_ns)

    def finish(self, data: Any = None, error: BaseException | None = None, request_id: str | None = None) -> None:
        """Ends the call's span and records its metrics (once)."""
        if self.ended:
            return
        self.ended = True
        if self.span is None and self.meters is None:
            return  # hooks only
        attrs = _answer_attributes(data)
        attrs.update(self.stream_attrs)
        attempts = self.trace.attempts()
        if attempts and attempts[-1]["status"] is not None:
            attrs["http.response.status_code"] = attempts[-1]["status"]
        if request_id is None and attempts:
            request_id = attempts[-1]["request_id"]
        if request_id is not None:
            attrs["tela.request.id"] = request_id
        if self.op in ("completions.submit", "completions.retrieve") and "gen_ai.response.id" in attrs:
            attrs["tela.run.id"] = attrs["gen_ai.response.id"]
        end_ns = self._end_ns(attempts)
        metric_attrs = dict(self.base)
        metric_attrs.pop("gen_ai.system", None)
        if error is not None:
            attrs["error.type"] = metric_attrs["error.type"] = _error_type(error)
        if self.span is not None:
            from opentelemetry.trace import Status, StatusCode

            self.span.set_attributes(attrs)
            if error is not None:
                self.span.set_status(Status(StatusCode.ERROR, str(error)))
                self.span.record_exception(error)
            elif self.capture:
                self._capture_output(data)
            self.span.end(end_time=end_ns)
        if self.meters is not None:
            metric_attrs = {k: v for k, v in metric_attrs.items() if not k.startswith("tela.")}
            self.meters.duration.record((end_ns - self._first_ns(attempts)) / 1e9, metric_attrs)
            for key, kind in (("gen_ai.usage.input_tokens", "input"), ("gen_ai.usage.output_tokens", "output")):
                if key in attrs:
                    self.meters.tokens.record(attrs[key], {**metric_attrs, "gen_ai.token.type": kind})
            ttfc = self.stream_attrs.get("tela.stream.time_to_first_chunk")
            if ttfc is not None:
                self.meters.ttfc.record(ttfc, metric_attrs)

    def stream_ended(self, native: NativeStream, error: BaseException | None) -> None:
        first = self.trace.first_chunk_ns
        if first is not None:
            self.stream_attrs["tela.stream.time_to_first_chunk"] = (first - self._first_ns()) / 1e9
        self.stream_attrs["tela.stream.events"] = self.trace.events
        totals: Any = None
        with contextlib.suppress(Exception):
            totals = native.tally()
        self.finish(totals, error, native.request_id)

    def chunks(self, batch: list[Any]) -> None:
        """Span events for handed-over stream events (only with TELA_OTEL_CHUNK_EVENTS=true)."""
        if self.span is None or not self.chunk_events:
            return
        now = time.time_ns()
        for item in batch:
            attrs: dict[str, Any] = {}
            if self.capture:
                raw = getattr(item, "to_dict", None)
                value = raw() if callable(raw) else item
                attrs["gen_ai.chunk"] = json.dumps(_file_summary(value), default=str)
            self.span.add_event("gen_ai.chunk", attrs, timestamp=now)


_NOTHING = Settings(None, None, None, False)


def watch(client: Any, op: str, body: Mapping[str, Any]) -> Watch | None:
    """The call's watch, or None when nothing (no hook, no tracer, no meter) wants it."""
    settings: Settings = getattr(client, "_observe", None) or _NOTHING
    if (
        not settings.has_hooks
        and settings.tracer_provider is None
        and settings.meter_provider is None
        and _global_tracer_provider() is None
        and _global_meter_provider() is None
    ):
        return None
    return Watch(settings, client._api, client._native.base_url, op, body)


class WatchedStream:
    """A native stream that tells its watch when it ends (spans, metrics) and what it hands
    over (chunk events); everything else goes straight to the native stream."""

    def __init__(self, native: NativeStream, watch: Watch) -> None:
        self._stream = native
        self._watch = watch

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _seen(self, batch: Any) -> Any:
        if batch is None:
            self._end(None)
        elif batch is not False:
            self._watch.chunks(batch)
        return batch

    def _end(self, error: BaseException | None) -> None:
        w = self._watch
        if not w.ended:
            Watch.run_hooks(w.attempts_done())
            w.stream_ended(self._stream, error)

    def next_batch(self) -> Any:
        try:
            return self._seen(self._stream.next_batch())
        except BaseException as exc:
            self._end(exc)
            raise

    def poll_batch(self) -> Any:
        try:
            return self._seen(self._stream.poll_batch())
        except BaseException as exc:
            self._end(exc)
            raise

    async def anext_batch(self) -> Any:
        """The async read of a run's or task's wait: its late attempts' coroutine hooks are
        awaited here, in turn, before the end is reported."""
        try:
            batch = await self._stream.anext_batch()
        except BaseException as exc:
            await self._aend(exc)
            raise
        if batch is None:
            await self._aend(None)
        else:
            self._watch.chunks(batch)
        return batch

    async def _aend(self, error: BaseException | None) -> None:
        w = self._watch
        if not w.ended:
            await Watch.arun_hooks(w.attempts_done())
            w.stream_ended(self._stream, error)

    def close(self) -> None:
        self._stream.close()
        self._end(None)

    def __del__(self) -> None:
        self.close()


# --- the call route's observed branch (``_base``) ---------------------------------------------


def call(resource: Any, op: str, body: dict[str, Any], options: Mapping[str, Any], native: dict[str, Any]) -> Any:
    w = watch(resource._client, op, body)
    if w is None:
        return resource._send(op, body, options, native)
    try:
        out = resource._send(op, body, w.options(options), {**native, "trace": w.trace})
    except BaseException as exc:
        Watch.run_hooks(w.attempts_done())
        w.finish(error=exc)
        raise
    Watch.run_hooks(w.attempts_done())
    w.finish(out[0], request_id=out[1])
    return out


async def acall(
    resource: Any, op: str, body: dict[str, Any], options: Mapping[str, Any], native: dict[str, Any]
) -> Any:
    w = watch(resource._client, op, body)
    if w is None:
        return await resource._send(op, body, options, native)
    try:
        out = await resource._send(op, body, w.options(options), {**native, "trace": w.trace})
    except BaseException as exc:
        await Watch.arun_hooks(w.attempts_done())
        w.finish(error=exc)
        raise
    await Watch.arun_hooks(w.attempts_done())
    w.finish(out[0], request_id=out[1])
    return out


def stream(resource: Any, op: str, body: dict[str, Any], options: Mapping[str, Any]) -> Any:
    w = watch(resource._client, op, body)
    if w is None:
        return resource._native().stream(op, body, **options)
    try:
        native = resource._native().stream(op, body, **w.options(options), trace=w.trace)
    except BaseException as exc:
        Watch.run_hooks(w.attempts_done())
        w.finish(error=exc)
        raise
    Watch.run_hooks(w.attempts_done())
    return WatchedStream(native, w)


async def astream(resource: Any, op: str, body: dict[str, Any], options: Mapping[str, Any]) -> Any:
    w = watch(resource._client, op, body)
    if w is None:
        return await resource._native().astream(op, body, **options)
    try:
        native = await resource._native().astream(op, body, **w.options(options), trace=w.trace)
    except BaseException as exc:
        await Watch.arun_hooks(w.attempts_done())
        w.finish(error=exc)
        raise
    await Watch.arun_hooks(w.attempts_done())
    return WatchedStream(native, w)


class batch_span:
    """One parent span over a batch's items (the current span while they run), when the
    client traces; nothing otherwise."""

    def __init__(self, client: Any, items: int, concurrency: int) -> None:
        self.span: Any = None
        self.scope: Any = None
        settings: Settings | None = getattr(client, "_observe", None)
        provider = settings.tracer_provider if settings is not None else None
        if provider is None:
            provider = _global_tracer_provider()
        if provider is None:
            return
        from opentelemetry.trace import SpanKind

        self.span = provider.get_tracer("tela_sdk", _version()).start_span(
            "batch completions.create",
            kind=SpanKind.INTERNAL,
            attributes={"tela.batch.items": items, "tela.batch.concurrency": concurrency},
        )

    def __enter__(self) -> None:
        if self.span is not None:
            from opentelemetry import trace

            self.scope = trace.use_span(self.span, end_on_exit=True, record_exception=True)
            self.scope.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self.scope is not None:
            self.scope.__exit__(*exc)
