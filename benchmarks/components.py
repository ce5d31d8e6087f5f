"""Where a client's CPU goes, by component and thread, from a `perf record` of it.

    perf record -F 1999 -g -o a64.data PYTHON WORKLOAD.py      # any workload, any client
    python components.py a64.data 54.1                        # 54.1: its µs of CPU per unit

Each sample counts once, for the function it was in (self time), sorted into components: the
kernel, CPython (the interpreter: asyncio's loop, the face's Python code, and the objects
jiter builds), glibc's allocator, the SDK's own Rust (`tela_core`, `_native`), serde_json,
jiter, and the HTTP stack (reqwest, hyper, tokio, url, bytes). The µs column spreads the given
CPU per unit over the shares. `perf` samples the CPU clock on every thread (py-spy, in
`profile.py`, stops the process and over-weights system calls).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

ALLOCATOR = re.compile(r"malloc|free|memalign|realloc|unlink_chunk|consolidate|lll_lock|tcache")
HTTP = re.compile(r"hyper|reqwest|tokio|http::|h2::|bytes::|url::|idna|futures|tower|mio|want|hashbrown|core::hash|sip")


def component(dso: str, sym: str) -> str:
    if "kernel" in dso:
        return "kernel"
    if "libpython" in dso or "cpython-3" in dso:
        return "CPython (interpreter, asyncio, the face, Python objects)"
    if "libc.so" in dso:
        return "glibc allocator" if ALLOCATOR.search(sym) else "glibc other (memcpy, ...)"
    if "_native" in dso or "rawclient" in dso:
        if "tela_core::" in sym[:60] or "_native::" in sym[:40]:
            return "the SDK's own Rust (tela_core, binding)"
        if "jiter" in sym:
            return "jiter (JSON to Python objects)"
        if re.search(r"serde_json|indexmap", sym):
            return "serde_json"
        if "pyo3" in sym:
            return "pyo3"
        if HTTP.search(sym):
            return "HTTP stack (reqwest, hyper, tokio, url, bytes)"
        return "other Rust (core, alloc, std; a stripped binary's code)"
    return "other " + dso.rsplit("/", 1)[-1]


def main() -> None:
    data, per_unit = sys.argv[1], float(sys.argv[2])
    out = subprocess.run(
        ["perf", "script", "-i", data, "-F", "comm,ip,sym,dso"], capture_output=True, text=True, check=True
    ).stdout
    counts: Counter[tuple[str, str]] = Counter()
    for block in out.split("\n\n"):
        lines = [line.strip() for line in block.strip().splitlines()]
        if len(lines) < 2:
            continue
        leaf = re.match(r"\S+\s+(.*)\s+\((.*)\)$", lines[1])
        if not leaf:
            continue
        comm = lines[0].split()[0]
        thread = "tokio workers" if "tokio" in comm else "caller/loop thread"
        counts[(thread, component(leaf.group(2), leaf.group(1)))] += 1
    total = sum(counts.values())
    print("| thread | component | share | µs per unit |\n|---|---|---|---|")
    for (thread, name), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1])):
        if n / total >= 0.002:
            print(f"| {thread} | {name} | {n / total:.1%} | {n / total * per_unit:.1f} |")


if __name__ == "__main__":
    main()
