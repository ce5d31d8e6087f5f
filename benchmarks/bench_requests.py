"""Requests per second, sequential sync and async at concurrency 64: against the floor server
(pre-recorded answers: the client's cost) and then the emulator (end to end).

Compares tela_sdk with the official `tela` 0.2.2 SDK and raw httpx (the floor of any
httpx-based client). Run with `make bench` (release build, peers in .venv-bench).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pyreqwest.client
import tela
from _harness import (
    API_KEY,
    OFFICIAL,
    RAW_RUST,
    RAWCLIENT,
    Row,
    cpu_seconds,
    rate,
    raw_rust,
    record,
    servers,
    table,
    urls,
)

import tela_sdk

SECONDS = 3.0
CONCURRENCY = 64
VARIABLES = {"document": "Invoice #1042: 3 items, total 1,250 EUR", "lang": "en"}
_AUTH = {"Authorization": f"Bearer {API_KEY}"}


def sync_runners(url: str, canvas_id: str) -> dict[str, Callable[[], int]]:
    ours = tela_sdk.Client(api_key=API_KEY, base_url=url)
    official = tela.Tela(api_key=API_KEY, base_url=url)
    raw = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {API_KEY}"})
    preq = pyreqwest.client.SyncClientBuilder().base_url(url).default_headers(_AUTH).build()

    def run_ours() -> int:
        assert ours.completions.create(canvas_id=canvas_id, variables=VARIABLES).content
        return 1

    def run_official() -> int:
        out: Any = official.completions.create(canvas_id=canvas_id, variables=VARIABLES)
        assert out.choices
        return 1

    def run_raw() -> int:
        r = raw.post("/v2/chat/completions", json={"canvas_id": canvas_id, "variables": VARIABLES})
        assert r.json()["choices"]
        return 1

    def run_preq() -> int:
        body = {"canvas_id": canvas_id, "variables": VARIABLES}
        assert preq.post("/v2/chat/completions").body_json(body).build().send().json()["choices"]
        return 1

    return {
        "tela_sdk": run_ours,
        OFFICIAL: run_official,
        "httpx (raw, no models)": run_raw,
        "pyreqwest (raw, no models)": run_preq,
    }


async def _async_rate(call: Callable[[], Awaitable[Any]], seconds: float) -> Row:
    for _ in range(CONCURRENCY):  # warm the pool
        await call()
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call()
            done += 1

    start, cpu0 = time.perf_counter(), cpu_seconds()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return done / (time.perf_counter() - start), (cpu_seconds() - cpu0) / max(done, 1) * 1e6


async def async_rates(url: str, canvas_id: str) -> dict[str, Row]:
    ours = tela_sdk.AsyncClient(api_key=API_KEY, base_url=url)
    official = tela.AsyncTela(api_key=API_KEY, base_url=url)
    raw = httpx.AsyncClient(
        base_url=url,
        headers={"Authorization": f"Bearer {API_KEY}"},
        limits=httpx.Limits(max_connections=CONCURRENCY),
    )

    preq = pyreqwest.client.ClientBuilder().base_url(url).default_headers(_AUTH).max_connections(CONCURRENCY).build()

    async def run_ours() -> None:
        await ours.completions.create(canvas_id=canvas_id, variables=VARIABLES)

    async def run_preq() -> None:
        body = {"canvas_id": canvas_id, "variables": VARIABLES}
        resp = await preq.post("/v2/chat/completions").body_json(body).build().send()
        await resp.json()

    async def run_official() -> None:
        await official.completions.create(canvas_id=canvas_id, variables=VARIABLES)

    async def run_raw() -> None:
        r = await raw.post("/v2/chat/completions", json={"canvas_id": canvas_id, "variables": VARIABLES})
        r.json()

    return {
        "tela_sdk": await _async_rate(run_ours, SECONDS),
        "tela 0.2.2 (official)": await _async_rate(run_official, SECONDS),
        "httpx (raw, no models)": await _async_rate(run_raw, SECONDS),
        "pyreqwest (raw, no models)": await _async_rate(run_preq, SECONDS),
    }


def main() -> None:
    with servers() as (emu, floor):
        canvas_id = emu.add_canvas(template="Summarize: {{document}}", reply="A short summary of {{document}}.")
        if floor:
            floor.record(emu, {"canvas_id": canvas_id, "variables": VARIABLES})
        for label, url in urls(emu, floor):
            sync = {name: rate(fn, SECONDS, warmup=20) for name, fn in sync_runners(url, canvas_id).items()}
            if RAWCLIENT:
                sync[RAW_RUST] = raw_rust("sync", url, canvas_id, str(SECONDS))
            print(table(f"Sequential sync completions ({label})", "req/s", sync, OFFICIAL))
            record(f"sequential sync create ({label})", "req/s", sync)
            concurrent = asyncio.run(async_rates(url, canvas_id))
            if RAWCLIENT:
                concurrent[RAW_RUST] = raw_rust("async", url, canvas_id, str(SECONDS), str(CONCURRENCY))
            print(table(f"Async completions, concurrency {CONCURRENCY} ({label})", "req/s", concurrent, OFFICIAL))
            record(f"async create, {CONCURRENCY} in flight ({label})", "req/s", concurrent)


if __name__ == "__main__":
    main()
