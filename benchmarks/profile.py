"""Profiles tela_sdk on each benchmark workload with `py-spy record --native` and prints the
top frames (self and inclusive share of samples), the table benchmarks/README.md quotes.

    .venv-bench/bin/python benchmarks/profile.py [stream|streams200|sync|async|inline ...]

Each workload runs in a child process for a few seconds against the floor server
(BENCH_FLOORSERVER: answers recorded once from the emulator, served from memory in its own
process) when it is built, else against the emulator; py-spy samples every thread of the
child, native frames included, so time spent in Rust shows by function name. Build with
CARGO_PROFILE_BENCH_RELEASE_STRIP=none CARGO_PROFILE_BENCH_RELEASE_DEBUG=line-tables-only
(run.sh's wheel is stripped otherwise and Rust frames show as addresses). With
PROFILE_OUT=DIR each workload's collapsed stacks (`NAME.txt`) and flame graph (`NAME.svg`)
are kept there.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import subprocess
import sys
import tempfile

from _harness import API_KEY, FLOORSERVER, FloorServer, Server

SECONDS = float(os.environ.get("PROFILE_SECONDS", "4"))
TOP = int(os.environ.get("PROFILE_TOP", "12"))
VARIABLES = {"document": "Invoice #1042: 3 items, total 1,250 EUR", "lang": "en"}

WORKLOADS = {
    "stream": """
for _ in range(reps):
    for chunk in client.completions.create(canvas_id=big, stream=True):
        chunk.choices[0].delta.content
""",
    "streams200": """
for _ in range(reps):
    for _ in range(200):
        for chunk in client.completions.create(canvas_id=tiny, stream=True):
            chunk.choices[0].delta.content
""",
    "sync": """
for _ in range(reps * 2000):
    client.completions.create(canvas_id=small, variables=VARIABLES).content
""",
    "async": """
import asyncio
async def main():
    aclient = tela_sdk.AsyncClient(api_key=API_KEY, base_url=url, max_retries=0)
    async def worker():
        for _ in range(reps * 100):
            await aclient.completions.create(canvas_id=small, variables=VARIABLES)
    await asyncio.gather(*(worker() for _ in range(64)))
asyncio.run(main())
""",
    "inline": """
for _ in range(reps):
    tela_sdk.File(path, mime_type="application/pdf").to_data_url()
""",
}

PRELUDE = """
import os, sys, time
import tela_sdk
url, big, small, tiny, path, API_KEY = sys.argv[1:7]
reps = 1000
VARIABLES = {"document": "Invoice #1042: 3 items, total 1,250 EUR", "lang": "en"}
client = tela_sdk.Client(api_key=API_KEY, base_url=url, max_retries=0)
"""

# `py-spy --format raw` writes one collapsed stack per line: "frame;frame;... count".
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<where>[^()]*)\)$")


def _name(frame: str) -> str:
    m = _FRAME.match(frame)
    if not m:
        return frame
    where = m["where"]
    base = os.path.basename(where.split(":")[0]) if where else ""
    return f"{m['func']} ({base})" if base else m["func"]


# Where a sample's time goes, by the first rule whose pattern is anywhere in its stack (inlined
# frames included, so a build with line tables attributes inlined code to its function).
COMPONENTS = [
    ("jiter: JSON to Python objects", ["jiter::", "(python.rs", "py_string_cache", "string_decoder", "from_json"]),
    ("core: shape check", ["shape::Seed", "shape::pick::", "(pick.rs"]),
    ("core: tally", ["tela_core::tela::stream::", "(tally.rs"]),
    ("core: SSE decode", ["(sse.rs"]),
    ("binding: chunk objects", ["chunks::", "(chunks.rs"]),
    ("core: stream producer", ["(events.rs"]),
    ("hyper: HTTP/1 and body", ["hyper", "(incoming.rs", "(conn.rs", "(role.rs", "(decode.rs", "bytes_mut"]),
    ("tokio: scheduler, timers, I/O", ["tokio::", "(driver.rs", "(entry.rs", "(poll_evented", "(harness.rs"]),
]
# A sample whose innermost frame is one of these is time in the kernel, whoever called it.
SYSCALLS = ("epoll_wait", "writev", "recv", "recvfrom", "read", "write", "getpid", "syscall", "__lll_lock_wait_private")


def components(raw: str) -> list[tuple[str, float]]:
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        leaf = stack.rsplit(";", 1)[-1]
        if leaf.split(" ", 1)[0] in SYSCALLS:
            counts["kernel (system calls, glibc lock waits)"] += int(count)
            continue
        name = next((n for n, pats in COMPONENTS if any(p in stack for p in pats)), "")
        if not name:
            name = "Python code" if ".py:" in leaf or leaf.endswith(".py)") else "other native (CPython, libc)"
        counts[name] += int(count)
    return [(n, 100 * c / max(total, 1)) for n, c in counts.most_common()]


def top_frames(raw: str) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_name(f) for f in stack.split(";")]
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    return total, own.most_common(TOP), incl.most_common(TOP)


def profile(name: str, url: str, canvases: list[str], path: str) -> None:
    keep = os.environ.get("PROFILE_OUT")
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "workload.py")
        with open(script, "w") as f:
            f.write(PRELUDE + WORKLOADS[name])
        out = os.path.join(tmp, "profile.txt")
        cmd = ["py-spy", "record", "--native", "--format", "raw", "-r", "250"]
        cmd += ["-d", str(int(SECONDS)), "-o", out, "--", sys.executable, script]
        cmd += [url, *canvases, path, API_KEY]
        subprocess.run(cmd, check=False, capture_output=True, timeout=600)
        with open(out) as f:
            text = f.read()
        total, own, incl = top_frames(text)
        if keep:
            os.makedirs(keep, exist_ok=True)
            with open(os.path.join(keep, name + ".txt"), "w") as f:
                f.write(text)
            svg = ["py-spy", "record", "--native", "-r", "250", "-d", str(int(SECONDS))]
            svg += ["-o", os.path.join(keep, name + ".svg"), "--", sys.executable, script]
            svg += [url, *canvases, path, API_KEY]
            subprocess.run(svg, check=False, capture_output=True, timeout=600)
    print(f"\n== {name}: {total} samples (all threads, on CPU)")
    print(f"  {'self %':>7}  frame")
    for frame, n in own:
        print(f"  {100 * n / total:>6.1f}%  {frame}")
    print(f"  {'incl %':>7}  frame")
    for frame, n in incl:
        print(f"  {100 * n / total:>6.1f}%  {frame}")
    print(f"  {'share':>7}  component")
    for comp, share in components(text):
        print(f"  {share:>6.1f}%  {comp}")


def main() -> None:
    names = sys.argv[1:] or list(WORKLOADS)
    with Server() as server, tempfile.TemporaryDirectory() as tmp:
        big = server.add_canvas(template="t", reply="abcd" * 100_000, stream={"chunk_size": 4})
        small = server.add_canvas(template="Summarize: {{document}}", reply="A short summary of {{document}}.")
        tiny = server.add_canvas(template="t", reply="abcd" * 50, stream={"chunk_size": 4})
        path = os.path.join(tmp, "blob.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(32 << 20))
        with contextlib.ExitStack() as stack:
            url = server.url
            if FLOORSERVER:
                floor = stack.enter_context(FloorServer())
                floor.record(server, {"canvas_id": small, "variables": VARIABLES})
                floor.record(server, {"canvas_id": big, "stream": True})
                floor.record(server, {"canvas_id": tiny, "stream": True})
                url = floor.url
            print(f"against {'the floor server' if FLOORSERVER else 'the emulator'}")
            for name in names:
                profile(name, url, [big, small, tiny], path)


if __name__ == "__main__":
    main()
