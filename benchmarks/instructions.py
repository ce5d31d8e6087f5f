"""Instructions per blocking call, counted by callgrind: the SDK against raw Rust, by component.

    python benchmarks/instructions.py [--async] [LABEL=]PYTHON ...   # each PYTHON with tela_sdk installed

Needs valgrind, BENCH_FLOORSERVER and BENCH_RAWCLIENT (as `run.sh` builds them; build them and
the wheels with CARGO_PROFILE_BENCH_RELEASE_STRIP=none so that callgrind can name functions). Each client
makes N and then 3N sequential `completions.create` calls to the floor server under callgrind;
the difference over 2N is what one call costs, with start-up and warm-up cancelled out. For
each PYTHON it counts the whole call (`create`) and the binding alone (`native`: the same
request through `NativeClient.call`, no Python face); raw Rust is `rawclient calls`.

With `--async` it counts `AsyncClient` calls instead, 64 in flight (64 tasks on one loop, all
threads counted), for each PYTHON only: raw Rust has no exact-count async mode to set beside it.

Counts, unlike timings, hardly move on a shared or throttled VM: two runs agree to within
about 1.5% (glibc's allocator is the part that moves). They are user-space instructions only
(no kernel, no cache misses): read them beside `ab.py`'s rates, not instead of them.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable

from _harness import API_KEY, RAWCLIENT, FloorServer, Server

N = int(os.environ.get("INSTR_N", "300"))
TEMPLATE = "Summarize: {{document}}"
VARIABLES = {"document": "Invoice #1042: 3 items, total 1,250 EUR", "lang": "en"}

WORKER = """
import sys
import tela_sdk
url, canvas, mode, n, key = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
variables = {"document": "Invoice #1042: 3 items, total 1,250 EUR", "lang": "en"}
client = tela_sdk.Client(api_key=key, base_url=url, max_retries=0)
native = client._native
def create():
    return client.completions.create(canvas_id=canvas, variables=variables)
def call():
    return native.call("completions.create", {"canvas_id": canvas, "variables": variables})
one = create if mode == "create" else call
for _ in range(20):
    one()
for _ in range(n):
    one()
"""

ASYNC_WORKER = """
import sys, asyncio
import tela_sdk
url, canvas, mode, n, key = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
variables = {"document": "Invoice #1042: 3 items, total 1,250 EUR", "lang": "en"}
async def main():
    client = tela_sdk.AsyncClient(api_key=key, base_url=url, max_retries=0)
    async def worker(k):
        for _ in range(k):
            await client.completions.create(canvas_id=canvas, variables=variables)
    await asyncio.gather(*(worker(1) for _ in range(64)))
    await asyncio.gather(*(worker(n // 64) for _ in range(64)))
asyncio.run(main())
"""
IN_FLIGHT = 64

COMPONENTS = [
    ("CPython (interpreter, the face, Python objects)", re.compile(r"Python-3|libpython")),
    ("glibc allocator", re.compile(r"\./malloc/")),
    ("glibc other (memcpy, ...)", re.compile(r"^\./|libc\.so")),
    ("jiter (JSON to Python objects)", re.compile(r"jiter")),
    ("serde_json, indexmap", re.compile(r"serde_json|indexmap")),
    (
        "the SDK's own Rust (tela_core, binding)",
        re.compile(r"/crates/tela-core/|/src/[a-z_]+\.rs:_native|tela_core::|_native::"),
    ),
    ("pyo3", re.compile(r"pyo3")),
    (
        "HTTP stack (reqwest, hyper, tokio, url, bytes)",
        re.compile(r"hyper|reqwest|tokio|/http-|h2-|bytes-|/url-|idna|futures|tower|mio-|want-|hashbrown|httparse"),
    ),
]
LINE = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$")


def component(where: str) -> str:
    for name, pattern in COMPONENTS:
        if pattern.search(where):
            return name
    return "other (Rust std and core, the loader, ...)"


def callgrind(cmd: list[str]) -> tuple[int, collections.Counter[str]]:
    """Total instructions of one run and its self cost by component."""
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", *cmd],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed under callgrind:\n{run.stderr[-2000:]}")
        refs = re.search(r"refs:\s+([\d,]+)", run.stderr)
        if refs is None:
            raise RuntimeError(f"no instruction count in callgrind's output:\n{run.stderr[-2000:]}")
        total = int(refs.group(1).replace(",", ""))
        report = subprocess.run(
            ["callgrind_annotate", "--threshold=100", "--auto=no", out.name], capture_output=True, text=True, check=True
        ).stdout
    parts: collections.Counter[str] = collections.Counter()
    for line in report.splitlines():
        m = LINE.match(line)
        if m and "PROGRAM TOTALS" not in line:
            parts[component(m.group(2))] += int(m.group(1).replace(",", ""))
    return total, parts


def per_call(make: Callable[[int], list[str]], n: int = N) -> tuple[float, dict[str, float]]:
    (t1, p1), (t3, p3) = callgrind(make(n)), callgrind(make(3 * n))
    calls = 2 * n
    return (t3 - t1) / calls, {k: (p3[k] - p1.get(k, 0)) / calls for k in p3}


def main() -> None:
    pythons = [a for a in sys.argv[1:] if a != "--async"]
    in_flight = "--async" in sys.argv[1:]
    if not pythons or not RAWCLIENT:
        sys.exit(__doc__)
    # Whole rounds of 64 calls, so that every task makes the same number.
    n = -(-N // IN_FLIGHT) * IN_FLIGHT if in_flight else N
    with Server() as emu, FloorServer() as floor:
        seq = emu.add_canvas(template=TEMPLATE, reply="A short summary of {{document}}.")
        floor.record(emu, {"canvas_id": seq, "variables": VARIABLES})
        columns: dict[str, tuple[float, dict[str, float]]] = {}
        if not in_flight:
            columns["raw Rust"] = per_call(lambda n: [RAWCLIENT, "calls", floor.url, seq, str(n)])
        for arg in pythons:
            label, _, py = arg.rpartition("=")
            for mode in ("async",) if in_flight else ("create", "native"):
                name = f"{label or py} {mode}"
                args = [floor.url, seq, mode]
                worker = ASYNC_WORKER if in_flight else WORKER
                columns[name] = per_call(
                    lambda n, py=py, args=args, worker=worker: [py, "-c", worker, *args, str(n), API_KEY], n
                )
    what = f"AsyncClient call, {IN_FLIGHT} in flight" if in_flight else "blocking call"
    print(f"\n### Instructions per {what} (callgrind, {2 * n} calls counted, floor server)\n")
    names = list(columns)
    print("| component | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    every = sorted({k for _, parts in columns.values() for k in parts}, key=lambda k: -columns[names[-1]][1].get(k, 0))
    for k in every:
        print(f"| {k} | " + " | ".join(f"{columns[n][1].get(k, 0) / 1000:,.1f}k" for n in names) + " |")
    print("| **all** | " + " | ".join(f"**{columns[n][0] / 1000:,.1f}k**" for n in names) + " |")
    if "raw Rust" in columns:
        raw = columns["raw Rust"][0]
        print("| over raw Rust | " + " | ".join(f"{columns[n][0] / raw:.2f}x" for n in names) + " |")


if __name__ == "__main__":
    main()
