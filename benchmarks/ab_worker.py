"""One interpreter's side of `ab.py`: the tela_sdk workloads, printed as JSON.

python ab_worker.py URL SEQ_CANVAS BIG_CANVAS SMALL_CANVAS SECONDS [sequential]
Each workload reports its rate and this process's CPU (all threads) per unit; with
`sequential`, only the sequential calls (ab.py runs that pinned to one CPU).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from _harness import API_KEY, cpu_seconds

import tela_sdk

VARIABLES = {"document": "Invoice #1042: 3 items, total 1,250 EUR", "lang": "en"}
CONCURRENCY = 64


def timed(fn: Callable[[], int]) -> tuple[float, float]:
    """(units per second, CPU microseconds per unit) of one call of fn."""
    c0, t0 = cpu_seconds(), time.perf_counter()
    n = fn()
    t, c = time.perf_counter() - t0, cpu_seconds() - c0
    return n / t, c / n * 1e6


def for_seconds(fn: Callable[[], int], seconds: float) -> Callable[[], int]:
    def run() -> int:
        done, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            done += fn()
        return done

    return run


async def async_for_seconds(call: Callable[[], Awaitable[Any]], seconds: float) -> int:
    done, end = 0, time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < end:
            await call()
            done += 1

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return done


def main() -> None:
    url, seq, big, small, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
    client = tela_sdk.Client(api_key=API_KEY, base_url=url, max_retries=0)

    def one_create() -> int:
        assert client.completions.create(canvas_id=seq, variables=VARIABLES).content
        return 1

    def one_stream(cid: str) -> int:
        n = 0
        for chunk in client.completions.create(canvas_id=cid, stream=True):
            n += chunk.choices[0].delta.content is not None or 1
        return n

    out: dict[str, tuple[float, float]] = {}
    for_seconds(one_create, 0.3)()
    out["sequential sync create"] = timed(for_seconds(one_create, seconds))
    if sys.argv[6:] == ["sequential"]:
        print(json.dumps(out))
        return
    one_stream(small)
    out["one stream, 100k chunks"] = max((timed(lambda: one_stream(big)) for _ in range(2)), key=lambda r: r[0])
    out["200 streams x 50 chunks, sync"] = timed(lambda: sum(one_stream(small) for _ in range(200)))

    async def run_async() -> None:
        aclient = tela_sdk.AsyncClient(api_key=API_KEY, base_url=url, max_retries=0)

        async def create() -> None:
            await aclient.completions.create(canvas_id=seq, variables=VARIABLES)

        await asyncio.gather(*(create() for _ in range(CONCURRENCY)))
        c0, t0 = cpu_seconds(), time.perf_counter()
        n = await async_for_seconds(create, seconds)
        t, c = time.perf_counter() - t0, cpu_seconds() - c0
        out[f"async create, {CONCURRENCY} in flight"] = (n / t, c / n * 1e6)

        async def stream_one() -> int:
            return sum([1 async for _ in await aclient.completions.create(canvas_id=small, stream=True)])

        sem = asyncio.Semaphore(32)

        async def limited() -> int:
            async with sem:
                return await stream_one()

        c0, t0 = cpu_seconds(), time.perf_counter()
        n = sum(await asyncio.gather(*(limited() for _ in range(500))))
        t, c = time.perf_counter() - t0, cpu_seconds() - c0
        out["500 streams x 50 chunks, async 32"] = (n / t, c / n * 1e6)
        await aclient.close()

    asyncio.run(run_async())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
