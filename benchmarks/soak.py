"""Soak: 1,000,000 streamed events, then 10,000 requests, through one client; prints the
process's resident memory and open file descriptors at the start, the middle and the end.

Not a timed test and not part of `make test`: it looks for growth (leaked buffers,
connections or descriptors) that a short test cannot see. Flat numbers after the first
checkpoint are the expected result; the first stream warms the allocator and connection pool.

    .venv/bin/python benchmarks/soak.py            # debug build from `make build`
    .venv-bench/bin/python benchmarks/soak.py      # release build from `make bench`
"""

from __future__ import annotations

import os
import sys
import time

from _harness import API_KEY, Server, status_kib

import tela_sdk

STREAMS = 10
EVENTS_PER_STREAM = 100_000  # STREAMS * EVENTS_PER_STREAM = 1,000,000 events
REQUESTS = 10_000
CHUNK = "abcd"


def checkpoint(label: str, started: float) -> None:
    rss = status_kib("VmRSS") / 1024
    peak = status_kib("VmHWM") / 1024
    fds = len(os.listdir("/proc/self/fd"))
    print(f"{label:<34} {time.perf_counter() - started:7.1f} s   RSS {rss:7.1f} MiB   peak {peak:7.1f} MiB   fds {fds}")
    sys.stdout.flush()


def main() -> None:
    if not sys.platform.startswith("linux"):
        raise SystemExit("soak.py reads /proc/self: Linux only")
    with Server() as server:
        big = server.add_canvas(template="t", reply=CHUNK * EVENTS_PER_STREAM, stream={"chunk_size": len(CHUNK)})
        small = server.add_canvas(template="t", reply="ok")
        with tela_sdk.Client(api_key=API_KEY, base_url=server.url) as client:
            started = time.perf_counter()
            checkpoint("start", started)
            events = 0
            for i in range(STREAMS):
                with client.completions.create(canvas_id=big, stream=True) as stream:
                    for chunk in stream:
                        events += chunk.text is not None
                if i + 1 == STREAMS // 2:
                    checkpoint(f"{events:,} events streamed", started)
            if events != STREAMS * EVENTS_PER_STREAM:
                raise SystemExit(f"expected {STREAMS * EVENTS_PER_STREAM:,} events, got {events:,}")
            checkpoint(f"middle: {events:,} events streamed", started)
            for i in range(REQUESTS):
                result = client.completions.create(canvas_id=small)
                if result.content != "ok":
                    raise SystemExit(f"request {i}: unexpected reply {result.content!r}")
                if i + 1 == REQUESTS // 2:
                    checkpoint(f"{i + 1:,} requests", started)
            checkpoint(f"end: {REQUESTS:,} requests", started)


if __name__ == "__main__":
    main()
