"""Shared benchmark plumbing: an emulator in its own process, canvases, timing, tables."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

API_KEY = "bench-key"
OFFICIAL = "tela 0.2.2 (official)"
RAW_RUST = "raw Rust (reqwest)"
RAWCLIENT = os.environ.get("BENCH_RAWCLIENT", "")  # built by run.sh; rows skipped without it


def raw_rust_json(*args: str) -> dict[str, float]:
    """Runs the raw Rust client (benchmarks/rawclient) and returns what it printed."""
    out = subprocess.run([RAWCLIENT, *args], capture_output=True, text=True, check=True, timeout=600)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def raw_rust(*args: str) -> Row:
    """The raw Rust client's rate and its own CPU per unit."""
    result = raw_rust_json(*args)
    return result["rate"], result["cpu_us"]


def record(workload: str, unit: str, rows: dict[str, Row]) -> None:
    """Adds one workload's rates (and CPU per unit) to the BENCH_RESULTS file, from which
    summary.py prints one table."""
    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    data = []
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    data.append({"workload": workload, "unit": unit, "rows": {k: list(v) for k, v in rows.items()}})
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


class Server:
    """The emulator as a separate process, so server work does not share the client's GIL."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tela_sdk.testing", "serve", "--api-key", API_KEY],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.url = line.removeprefix("listening on ")

    def add_canvas(self, **spec: Any) -> str:
        req = urllib.request.Request(
            self.url + "/_emulator/canvases",
            data=json.dumps(spec).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req) as resp:
            return str(json.load(resp)["id"])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rate(fn: Callable[[], int], seconds: float, warmup: int = 1) -> tuple[float, float]:
    """Runs `fn` (which returns how many units it did) until `seconds` pass: (units per second,
    this process's CPU microseconds per unit, every thread counted)."""
    for _ in range(warmup):
        fn()
    done = 0
    start, cpu0 = time.perf_counter(), cpu_seconds()
    while True:
        done += fn()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed, (cpu_seconds() - cpu0) / done * 1e6


def once(fn: Callable[[], int]) -> tuple[float, float]:
    """One run of `fn`: (units per second, CPU microseconds per unit)."""
    start, cpu0 = time.perf_counter(), cpu_seconds()
    done = fn()
    return done / (time.perf_counter() - start), (cpu_seconds() - cpu0) / max(done, 1) * 1e6


Row = tuple[float, float]  # (rate, client CPU µs per unit; 0 when not measured)


def table(title: str, unit: str, rows: dict[str, Row], baseline: str) -> str:
    base = rows.get(baseline, (0.0, 0.0))[0]
    out = [f"\n{title}", f"  {'client':<28}{unit:>14}  {'CPU µs/unit':>12}  {'vs ' + baseline:>16}"]
    for name, (value, cpu) in rows.items():
        ratio = f"{value / base:>15.1f}x" if base else "              -"
        out.append(f"  {name:<28}{value:>14,.0f}  {cpu:>12.1f}  {ratio}")
    return "\n".join(out)


FLOORSERVER = os.environ.get("BENCH_FLOORSERVER", "")  # built by run.sh / ab.py


def cpu_seconds() -> float:
    """User + system CPU of this process so far (every thread: the SDK's tokio threads count)."""
    import resource

    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def status_kib(field: str) -> int:
    """A ``VmRSS``-style field of /proc/self/status, in KiB (Linux only)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _post(url: str, body: dict[str, Any], auth: bool = True) -> tuple[str, bytes]:
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = f"Bearer {API_KEY}"
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(req) as resp:
        return str(resp.headers.get("content-type", "")), resp.read()


class FloorServer:
    """benchmarks/floorserver in its own process: answers from bytes recorded from the emulator,
    so a table against it measures the client, not the server."""

    def __init__(self, threads: int = 2) -> None:
        if not FLOORSERVER:
            raise RuntimeError("BENCH_FLOORSERVER is not set (cargo build --profile bench-release -p tela-floorserver)")
        self.proc = subprocess.Popen([FLOORSERVER, str(threads)], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"floorserver did not start: {line!r}")
        self.url = line.removeprefix("listening on ")

    def record(self, source: Server, body: dict[str, Any]) -> int:
        """Asks the emulator `body` once and stores its answer here; returns the events in it."""
        content_type, answer = _post(source.url + "/v2/chat/completions", body)
        spec = {
            "canvas_id": body["canvas_id"],
            "stream": bool(body.get("stream")),
            "content_type": content_type,
            "body": answer.decode(),
        }
        _, out = _post(self.url + "/_floor/responses", spec, auth=False)
        return int(json.loads(out)["events"])

    def stats(self) -> dict[str, float]:
        with urllib.request.urlopen(self.url + "/_floor/stats") as resp:
            data: dict[str, float] = json.load(resp)
            return data

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)

    def __enter__(self) -> FloorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def servers() -> Iterator[tuple[Server, FloorServer | None]]:
    """The emulator, and the floor server when it is built (BENCH_FLOORSERVER)."""
    with Server() as emu, contextlib.ExitStack() as stack:
        yield emu, (stack.enter_context(FloorServer()) if FLOORSERVER else None)


def urls(emu: Server, floor: FloorServer | None) -> list[tuple[str, str]]:
    """(label, url) of each server to measure against, the floor first: the floor table
    measures the client; the emulator's is end to end."""
    return ([("floor", floor.url)] if floor else []) + [("end to end", emu.url)]
