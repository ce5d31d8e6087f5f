"""Prints the one table of a `run.sh` run: every workload, every client, and the ratios.

Each benchmark script appends its rates to the JSON file named by BENCH_RESULTS; this reads
it back. Ratios are what to compare across runs: the absolute rates move with the machine.
"""

from __future__ import annotations

import json
import os
import sys

OFFICIAL = "tela 0.2.2 (official)"
RAW_RUST = "raw Rust (reqwest)"


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_RESULTS", "")
    with open(path) as f:
        data = json.load(f)
    print("\n| workload | unit | client | rate | client CPU µs/unit | vs official | vs raw Rust | tela_sdk vs this |")
    print("|---|---|---|---|---|---|---|---|")
    for entry in data:
        rows: dict[str, tuple[float, float]] = {k: (v[0], v[1]) for k, v in entry["rows"].items()}
        official = rows.get(OFFICIAL, (0.0, 0.0))[0]
        raw = next((v[0] for k, v in rows.items() if k.startswith(RAW_RUST)), None)
        ours = rows.get("tela_sdk", (0.0, 0.0))[0]
        for name, (value, cpu) in rows.items():
            cells = [
                entry["workload"],
                entry["unit"],
                f"**{name}**" if name == "tela_sdk" else name,
                f"{value:,.0f}",
                f"{cpu:.1f}" if cpu else "",
                f"{value / official:.1f}x" if official else "",
                f"{value / raw:.2f}x" if raw else "",
                f"{ours / value:.2f}x" if ours and name != "tela_sdk" else "",
            ]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
