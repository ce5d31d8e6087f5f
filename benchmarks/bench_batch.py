"""Batch throughput and memory: 10,000 items, 50 ms server delay, concurrency 64.

The ideal is 64 / 50 ms = 1,280 items/s; the goal is within 90% of it, with flat memory (the
second 10,000 items must not grow the process beyond the first run's results). Run with
`BENCH_EXTRA=bench_batch.py bash benchmarks/run.sh`, or directly with an installed tela_sdk.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
import urllib.request

from _harness import API_KEY, Server

import tela_sdk

ITEMS = 10_000
CONCURRENCY = 64
DELAY_S = 0.050


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def add_delay(url: str, times: int) -> None:
    body = {"times": times, "delay_ms": int(DELAY_S * 1000), "path": "/v2/"}
    req = urllib.request.Request(
        url + "/_emulator/faults", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(req).close()


def main() -> None:
    ideal = CONCURRENCY / DELAY_S
    with Server() as server:
        canvas_id = server.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}")
        items = [{"variables": {"document": f"doc {i}"}} for i in range(ITEMS)]
        rows = []
        for name in ("sync Client", "AsyncClient"):
            add_delay(server.url, 2 * ITEMS)
            rss = [rss_mib()]
            rates = []
            for _ in range(2):
                start = time.perf_counter()
                if name == "sync Client":
                    with tela_sdk.Client(api_key=API_KEY, base_url=server.url) as client:
                        results = client.completions.batch(
                            items, canvas_id=canvas_id, concurrency=CONCURRENCY, progress=False
                        )
                else:

                    async def run() -> list[tela_sdk.BatchResult[tela_sdk.Completion]]:
                        async with tela_sdk.AsyncClient(api_key=API_KEY, base_url=server.url) as client:
                            return await client.completions.batch(
                                items, canvas_id=canvas_id, concurrency=CONCURRENCY, progress=False
                            )

                    results = asyncio.run(run())
                elapsed = time.perf_counter() - start
                assert all(r.ok for r in results), [r.error for r in results if r.error][:3]
                rates.append(ITEMS / elapsed)
                del results
                gc.collect()
                rss.append(rss_mib())
            rows.append((name, rates, rss))
    print(f"\nbatch: {ITEMS:,} items, {DELAY_S * 1000:.0f} ms server delay, concurrency {CONCURRENCY}")
    print(f"  ideal {ideal:,.0f} items/s (concurrency / delay); goal >= 90%")
    print(f"  {'client':<14}{'run 1':>12}{'run 2':>12}{'of ideal':>10}   RSS MiB: start / after 1 / after 2")
    for name, rates, rss in rows:
        best = max(rates)
        print(
            f"  {name:<14}{rates[0]:>12,.0f}{rates[1]:>12,.0f}{best / ideal:>9.0%}"
            f"   {rss[0]:.0f} / {rss[1]:.0f} / {rss[2]:.0f}"
        )


if __name__ == "__main__":
    main()
