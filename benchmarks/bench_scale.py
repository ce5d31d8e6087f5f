"""Memory and scale (issue 26 item 5): many streams open at once, RSS and descriptors.

    ../.venv-bench/bin/python bench_scale.py            # both modes, each in its own process
    ../.venv-bench/bin/python bench_scale.py async      # 1,000 AsyncClient streams
    ../.venv-bench/bin/python bench_scale.py threads    # 200 threads of one sync Client

The emulator runs in its own process (`_harness.Server`), so its memory is not counted. Each
stream is 200 chunks. First one stream is opened and its first chunk read: RSS then is the
baseline "with one open stream". Then N streams are opened; each reads its first chunk and
waits at a barrier, so all N are open at once; RSS and descriptors are sampled there, then all
read to the end. Printed: RSS before, the baseline, RSS while all are open, peak (VmHWM),
descriptors while open and after all are closed, RSS after, and
(peak - baseline) / (N - 1) as KiB per open stream beyond the first, against the goal of 64 KiB.
Linux only (reads /proc/self). Times nothing that is asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import subprocess
import sys
import threading
import time

from _harness import API_KEY, Server, status_kib

import tela_sdk

CHUNKS = 200
CHUNK = "abcd"
GOAL_KIB = 64
DEFAULT_N = {"async": 1000, "threads": 200}


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def sockets() -> int:
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            n += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return n


class Sample:
    def __init__(self) -> None:
        self.rss = status_kib("VmRSS")
        self.fds = fds()
        self.sockets = sockets()
        self.threads = threading.active_count()
        self.os_threads = len(os.listdir("/proc/self/task"))

    def line(self, label: str) -> str:
        return (
            f"  {label:<29}{self.rss / 1024:8.1f} MiB   fds {self.fds}  sockets {self.sockets}"
            f"  OS threads {self.os_threads}"
        )


def settle() -> None:
    """Lets buffers that fill after the barrier (the server sends all 200 chunks at once) land
    before the sample; a benchmark pause, not a test wait."""
    time.sleep(1.0)


def report(
    mode: str, n: int, before: Sample, base: Sample, open_: Sample, peak: int, after: Sample, events: int
) -> None:
    per = (max(peak, open_.rss) - base.rss) / (n - 1)
    per_open = (open_.rss - base.rss) / (n - 1)
    print(f"mode {mode}: {n} streams of {CHUNKS} chunks open at once, {events:,} events read")
    print(before.line("RSS before any stream"))
    print(base.line("RSS with one stream open"))
    print(open_.line(f"RSS with all {n} open"))
    print(f"  peak RSS (VmHWM)             {peak / 1024:8.1f} MiB")
    print(after.line("RSS after all closed"))
    print(f"  per open stream beyond the first: {per:.1f} KiB (peak), {per_open:.1f} KiB (sample while open)")
    verdict = "met" if per <= GOAL_KIB else "NOT met"
    print(f"  goal <= {GOAL_KIB} KiB per stream: {verdict}")
    sys.stdout.flush()


def run_async(url: str, canvas: str, n: int) -> None:
    async def main() -> None:
        before = Sample()
        async with tela_sdk.AsyncClient(api_key=API_KEY, base_url=url) as client:
            first = await client.completions.create(canvas_id=canvas, stream=True)
            async with first:
                it = first.__aiter__()
                await it.__anext__()
                gc.collect()
                base = Sample()
                events = 1 + sum([1 async for _ in it])
            per_stream = events

            opened = 0
            all_open = asyncio.Event()
            go = asyncio.Event()

            async def one() -> int:
                nonlocal opened
                stream = await client.completions.create(canvas_id=canvas, stream=True)
                async with stream:
                    it = stream.__aiter__()
                    await it.__anext__()
                    opened += 1
                    if opened == n:
                        all_open.set()
                    await go.wait()
                    return 1 + sum([1 async for _ in it])

            tasks = [asyncio.ensure_future(one()) for _ in range(n)]
            await all_open.wait()
            await asyncio.sleep(1.0)  # see settle()
            open_ = Sample()
            go.set()
            events += sum(await asyncio.gather(*tasks))
            del tasks
        gc.collect()
        await asyncio.sleep(1.0)
        after = Sample()
        peak = status_kib("VmHWM")
        if events != (n + 1) * per_stream:
            raise SystemExit(f"expected {(n + 1) * per_stream} events, got {events}")
        report("async", n, before, base, open_, peak, after, events)

    asyncio.run(main())


def run_threads(url: str, canvas: str, n: int) -> None:
    before = Sample()
    with tela_sdk.Client(api_key=API_KEY, base_url=url) as client:
        with client.completions.create(canvas_id=canvas, stream=True) as first:
            it = iter(first)
            next(it)
            gc.collect()
            base = Sample()
            events = 1 + sum(1 for _ in it)
        per_stream = events

        barrier = threading.Barrier(n + 1)
        go = threading.Event()
        counts: list[int] = []
        errors: list[BaseException] = []

        def one() -> None:
            try:
                with client.completions.create(canvas_id=canvas, stream=True) as stream:
                    it = iter(stream)
                    next(it)
                    barrier.wait()
                    go.wait()
                    counts.append(1 + sum(1 for _ in it))
            except BaseException as e:  # reported below
                errors.append(e)
                barrier.abort()

        threads = [threading.Thread(target=one) for _ in range(n)]
        for t in threads:
            t.start()
        barrier.wait()
        settle()
        open_ = Sample()
        go.set()
        for t in threads:
            t.join()
        if errors:
            raise SystemExit(f"{len(errors)} streams failed, first: {errors[0]!r}")
        events += sum(counts)
        del threads
    gc.collect()
    settle()
    after = Sample()
    peak = status_kib("VmHWM")
    if events != (n + 1) * per_stream:
        raise SystemExit(f"expected {(n + 1) * per_stream} events, got {events}")
    report("threads", n, before, base, open_, peak, after, events)


def main() -> None:
    if not sys.platform.startswith("linux"):
        raise SystemExit("bench_scale.py reads /proc/self: Linux only")
    args = sys.argv[1:]
    if not args:
        # Each mode in its own process, so one mode's peak does not hide the other's.
        for mode in ("async", "threads"):
            subprocess.run([sys.executable, __file__, mode], check=True)
        return
    mode = args[0]
    n = int(args[1]) if len(args) > 1 else DEFAULT_N[mode]
    with Server() as server:
        canvas = server.add_canvas(template="t", reply=CHUNK * CHUNKS, stream={"chunk_size": len(CHUNK)})
        {"async": run_async, "threads": run_threads}[mode](server.url, canvas, n)


if __name__ == "__main__":
    main()
