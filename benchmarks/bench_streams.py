"""Streaming throughput in events per second, typed objects delivered to Python:
one stream of 100 000 chunks, and 500 streams of 50 chunks, sync and async.

Peers: the official `tela` 0.2.2 SDK (pydantic chunk models) and httpx + httpx-sse
(json.loads per event: the floor for a pure-Python client).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
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
    once,
    raw_rust,
    record,
    servers,
    table,
    urls,
)
from httpx_sse import aconnect_sse, connect_sse

import tela_sdk

CHUNK = "abcd"


def measure(fn: Callable[[], int], repeat: int = 1) -> Row:
    """The best of `repeat` runs: (events per second, CPU microseconds per event)."""
    return max((once(fn) for _ in range(repeat)), key=lambda r: r[0])


def sync_cases(url: str, big: str, small: str) -> dict[str, dict[str, Row]]:
    ours = tela_sdk.Client(api_key=API_KEY, base_url=url)
    official = tela.Tela(api_key=API_KEY, base_url=url)
    raw = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=None)
    preq = pyreqwest.client.SyncClientBuilder().base_url(url).default_headers({"Authorization": f"Bearer {API_KEY}"})
    preq_client = preq.build()

    def ours_stream(cid: str) -> int:
        n = 0
        for chunk in ours.completions.create(canvas_id=cid, stream=True):
            n += chunk.choices[0].delta.content is not None or 1
        return n

    def official_stream(cid: str) -> int:
        n = 0
        for chunk in official.completions.create(canvas_id=cid, stream=True):
            n += chunk.choices[0].delta.content is not None or 1
        return n

    def raw_stream(cid: str) -> int:
        n = 0
        body = {"canvas_id": cid, "stream": True}
        with connect_sse(raw, "POST", "/v2/chat/completions", json=body) as source:
            for sse in source.iter_sse():
                if sse.data.startswith("[DONE]"):
                    break
                data: Any = json.loads(sse.data)
                n += data["choices"][0]["delta"]["content"] is not None or 1
        return n

    def preq_stream(cid: str) -> int:
        # SSE split by hand (pyreqwest has no SSE reader): the same json.loads per event.
        n, buf = 0, b""
        req = preq_client.post("/v2/chat/completions").body_json({"canvas_id": cid, "stream": True})
        with req.build_streamed() as resp:
            while (chunk := resp.body_reader.read_chunk()) is not None:
                *frames, buf = (buf + bytes(chunk)).split(b"\n\n")
                for frame in frames:
                    if not frame.startswith(b"data: "):
                        continue
                    if frame.startswith(b"data: [DONE]"):
                        return n
                    data: Any = json.loads(frame[6:])
                    n += data["choices"][0]["delta"]["content"] is not None or 1
        return n

    runners = {
        "tela_sdk": ours_stream,
        OFFICIAL: official_stream,
        "httpx + httpx-sse": raw_stream,
        "pyreqwest (SSE by hand)": preq_stream,
    }
    results: dict[str, dict[str, Row]] = {"big": {}, "small": {}}
    for name, fn in runners.items():
        results["big"][name] = measure(lambda fn=fn: fn(big), repeat=2)  # type: ignore[misc]
        results["small"][name] = measure(lambda fn=fn: sum(fn(small) for _ in range(500)))  # type: ignore[misc]
    return results


async def async_small(url: str, small: str) -> dict[str, Row]:
    ours = tela_sdk.AsyncClient(api_key=API_KEY, base_url=url)
    official = tela.AsyncTela(api_key=API_KEY, base_url=url)
    raw = httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=None)

    async def ours_one() -> int:
        return sum([1 async for _ in await ours.completions.create(canvas_id=small, stream=True)])

    async def official_one() -> int:
        return sum([1 async for _ in await official.completions.create(canvas_id=small, stream=True)])

    async def raw_one() -> int:
        n = 0
        async with aconnect_sse(raw, "POST", "/v2/chat/completions", json={"canvas_id": small, "stream": True}) as s:
            async for sse in s.aiter_sse():
                if sse.data.startswith("[DONE]"):
                    break
                json.loads(sse.data)
                n += 1
        return n

    out = {}
    for name, one in (("tela_sdk", ours_one), (OFFICIAL, official_one), ("httpx + httpx-sse", raw_one)):
        sem = asyncio.Semaphore(32)

        async def limited(one: Any = one, sem: asyncio.Semaphore = sem) -> int:
            async with sem:
                return int(await one())

        start, cpu0 = time.perf_counter(), cpu_seconds()
        n = sum(await asyncio.gather(*(limited() for _ in range(500))))
        out[name] = n / (time.perf_counter() - start), (cpu_seconds() - cpu0) / n * 1e6
    return out


def main() -> None:
    with servers() as (emu, floor):
        big = emu.add_canvas(template="t", reply=CHUNK * 100_000, stream={"chunk_size": len(CHUNK)})
        small = emu.add_canvas(template="t", reply=CHUNK * 50, stream={"chunk_size": len(CHUNK)})
        if floor:
            for cid in (big, small):
                floor.record(emu, {"canvas_id": cid, "stream": True})
        for label, url in urls(emu, floor):
            results = sync_cases(url, big, small)
            if RAWCLIENT:
                results["big"][RAW_RUST] = raw_rust("stream", url, big)
            print(table(f"One stream of 100 000 chunks (sync, {label})", "events/s", results["big"], OFFICIAL))
            record(f"one SSE stream, 100k typed chunks ({label})", "events/s", results["big"])
            title = f"500 streams of 50 chunks (sync, sequential, {label})"
            print(table(title, "events/s", results["small"], OFFICIAL))
            record(f"500 streams x 50 chunks, sync ({label})", "events/s", results["small"])
            concurrent = asyncio.run(async_small(url, small))
            title = f"500 streams of 50 chunks (async, 32 at a time, {label})"
            print(table(title, "events/s", concurrent, OFFICIAL))
            record(f"500 streams x 50 chunks, async 32 ({label})", "events/s", concurrent)


if __name__ == "__main__":
    main()
