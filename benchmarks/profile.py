"""Profiles tela_sdk on each benchmark workload with `py-spy record --native` and prints the
top frames (self and inclusive share of samples), the table benchmarks/README.md quotes.

    .venv-bench/bin/python benchmarks/profile.py [stream|sync|async|inline ...]

Each workload runs in a child process for a few seconds against an emulator in its own
process; py-spy samples every thread of the child (`--threads`), native frames included, so
time spent in Rust shows by function name. Build with CARGO_PROFILE_BENCH_RELEASE_STRIP=none
(run.sh's wheel is stripped otherwise and Rust frames show as addresses).
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile

from _harness import API_KEY, Server

SECONDS = float(os.environ.get("PROFILE_SECONDS", "4"))
TOP = int(os.environ.get("PROFILE_TOP", "12"))

WORKLOADS = {
    "stream": """
for _ in range(reps):
    for chunk in client.completions.create(canvas_id=big, stream=True):
        chunk.choices[0].delta.content
""",
    "sync": """
for _ in range(reps * 2000):
    client.completions.create(canvas_id=small, variables=VARIABLES).content
""",
    "async": """
import asyncio
async def main():
    aclient = tela_sdk.AsyncClient(api_key=API_KEY, base_url=url)
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
url, big, small, path, API_KEY = sys.argv[1:6]
reps = 1000
VARIABLES = {"document": "Invoice #1042: 3 items, total 1,250 EUR", "lang": "en"}
client = tela_sdk.Client(api_key=API_KEY, base_url=url)
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


def profile(name: str, server: Server, big: str, small: str, path: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "workload.py")
        with open(script, "w") as f:
            f.write(PRELUDE + WORKLOADS[name])
        out = os.path.join(tmp, "profile.txt")
        cmd = ["py-spy", "record", "--native", "--format", "raw", "-r", "250"]
        cmd += ["-d", str(int(SECONDS)), "-o", out, "--", sys.executable, script]
        cmd += [server.url, big, small, path, API_KEY]
        subprocess.run(cmd, check=False, capture_output=True, timeout=600)
        with open(out) as f:
            total, own, incl = top_frames(f.read())
    print(f"\n== {name}: {total} samples (all threads, on CPU)")
    print(f"  {'self %':>7}  frame")
    for frame, n in own:
        print(f"  {100 * n / total:>6.1f}%  {frame}")
    print(f"  {'incl %':>7}  frame")
    for frame, n in incl:
        print(f"  {100 * n / total:>6.1f}%  {frame}")


def main() -> None:
    names = sys.argv[1:] or list(WORKLOADS)
    with Server() as server, tempfile.TemporaryDirectory() as tmp:
        big = server.add_canvas(template="t", reply="abcd" * 100_000, stream={"chunk_size": 4})
        small = server.add_canvas(template="Summarize: {{document}}", reply="A short summary of {{document}}.")
        path = os.path.join(tmp, "blob.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(32 << 20))
        for name in names:
            profile(name, server, big, small, path)


if __name__ == "__main__":
    main()
