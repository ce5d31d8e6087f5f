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
    print("\n| workload | unit | client | rate | vs official | vs raw Rust | tela_sdk vs this |")
    print("|---|---|---|---|---|---|---|")
    for entry in data:
        rows: dict[str, float] = entry["rows"]
        official = rows.get(OFFICIAL)
        raw = next((v for k, v in rows.items() if k.startswith(RAW_RUST)), None)
        ours = rows.get("tela_sdk")
        for name, value in rows.items():
            cells = [
                entry["workload"],
                entry["unit"],
                f"**{name}**" if name == "tela_sdk" else name,
                f"{value:,.0f}",
                f"{value / official:.1f}x" if official else "",
                f"{value / raw:.2f}x" if raw else "",
                f"{ours / value:.2f}x" if ours and name != "tela_sdk" else "",
            ]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
