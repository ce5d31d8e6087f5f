"""`import tela_sdk` against its peers: milliseconds net of a bare `python -c pass`.

Each import runs in a fresh interpreter, interleaved with the others so that load on the
machine hits all alike, with bytecode caching on (as after `pip install`, which writes the
.pyc files); the median of the runs is kept. The table records imports per second of that
net time, so that, as in every other row, higher is better.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from _harness import OFFICIAL, record

RUNS = int(os.environ.get("IMPORT_BENCH_RUNS", "31"))
PEERS = {
    "tela_sdk": "import tela_sdk",
    OFFICIAL: "import tela",
    "httpx": "import httpx",
    "pyreqwest": "import pyreqwest.client",
}
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def once(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=ENV, check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    for code in PEERS.values():
        once(code)  # writes any missing .pyc, so no run below compiles
    times: dict[str, list[float]] = {name: [] for name in ("bare", *PEERS)}
    for _ in range(RUNS):
        times["bare"].append(once("pass"))
        for name, code in PEERS.items():
            times[name].append(once(code))
    bare = statistics.median(times["bare"])
    net_ms = {name: max(statistics.median(times[name]) - bare, 1e-4) * 1000 for name in PEERS}
    print(f"\nimport, ms net of bare python (median of {RUNS} interleaved runs)")
    for name, ms in net_ms.items():
        print(f"  {name:<28}{ms:>8.1f} ms   this / tela_sdk: {ms / net_ms['tela_sdk']:.2f}x")
    record("import, net of bare python", "imports/s", {name: (1000 / ms, 0.0) for name, ms in net_ms.items()})


if __name__ == "__main__":
    main()
