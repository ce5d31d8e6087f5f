"""CPU per request of a blocking create against the emulator, by what watches the calls:
nothing, OpenTelemetry imported with no provider, event hooks, tracing + metrics (in-memory).

    python benchmarks/bench_observability.py [seconds]

The first two rows are the cost of the feature when unused: nothing is recorded (no
``NativeTrace``, one ``Option`` check per attempt in the core) and ``tela_sdk.observability``
is not even imported when OpenTelemetry is absent. Run the modes in separate processes so
an import in one cannot change another."""

from __future__ import annotations

import json
import subprocess
import sys

MODES = ("nothing", "otel imported, no provider", "event hooks", "tracing + metrics")

WORKER = r"""
import json, sys, time
mode, url, canvas, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
import tela_sdk
kw = {}
if mode == "otel imported, no provider":
    import opentelemetry.trace
elif mode == "event hooks":
    kw["event_hooks"] = {"request": [lambda r: None], "response": [lambda r: None]}
elif mode == "tracing + metrics":
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    tp = TracerProvider(); tp.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    kw = {"tracer_provider": tp, "meter_provider": MeterProvider(metric_readers=[InMemoryMetricReader()])}
with tela_sdk.Client(base_url=url, api_key="test-key", trust_env=False, max_retries=0, **kw) as c:
    for _ in range(50):
        c.completions.create(canvas_id=canvas, variables={"document": "x"})
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        c.completions.create(canvas_id=canvas, variables={"document": "x"})
        n += 1
    print(json.dumps({"rate": n / (time.perf_counter() - t0), "cpu_us": (time.process_time() - c0) / n * 1e6}))
"""


def main() -> None:
    from tela_sdk.testing import Emulator

    seconds = sys.argv[1] if len(sys.argv) > 1 else "2"
    rows: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    with Emulator() as emu:
        canvas = emu.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}")
        for _ in range(3):  # interleaved rounds: a machine's drift hits every mode alike
            for mode in MODES:
                out = subprocess.run(
                    [sys.executable, "-c", WORKER, mode, emu.url, canvas.id, seconds],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=600,
                )
                rows[mode].append(json.loads(out.stdout))
    base = min(r["cpu_us"] for r in rows["nothing"])
    print(f"{'mode':32} {'req/s':>8} {'CPU us/req':>11} {'vs nothing':>10}")
    for mode in MODES:
        best = min(rows[mode], key=lambda r: r["cpu_us"])
        print(f"{mode:32} {best['rate']:8.0f} {best['cpu_us']:11.1f} {best['cpu_us'] / base:10.2f}")


if __name__ == "__main__":
    main()
