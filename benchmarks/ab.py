"""Two builds of tela_sdk side by side in one run: `python ab.py PYTHON_A PYTHON_B [rounds]`.

Each interpreter (a venv with a release wheel of one build) runs `ab_worker.py` in turn,
alternating which goes first, against the floor server (answers from pre-recorded bytes, in its
own process) and then against the emulator (end to end). The raw Rust client runs the same
workloads in the same rounds. Prints the median rate and client CPU per unit of each, and B/A.
Needs BENCH_FLOORSERVER and BENCH_RAWCLIENT (release builds; see run.sh). AB_FLOOR_ONLY=1
skips the emulator rounds. Ends with a verdict on issue 26's goals (B against raw Rust).

Against the floor server, sequential calls also run with the client and the floor server
pinned to one CPU ("one CPU"): on an idle VM an unpinned sequential rate is set by how fast a
sleeping vCPU wakes (it moved 0.7-1.45x between runs), pinned it is set by CPU per call.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from _harness import RAWCLIENT, FloorServer, Server

SECONDS = 3.0
TEMPLATE = "Summarize: {{document}}"
VARIABLES = {"document": "Invoice #1042: 3 items, total 1,250 EUR", "lang": "en"}
HERE = os.path.dirname(os.path.abspath(__file__))
# Issue 26's goals: B's rate over raw Rust's in the same rounds, and B's client CPU per unit.
GOALS = {
    "sequential sync create": 0.9,
    "sequential sync create, one CPU": 0.9,
    "async create, 64 in flight": 0.75,
    "one stream, 100k chunks": 0.8,
    "200 streams x 50 chunks, sync": 0.8,
}
CPU_GOALS = {
    "sequential sync create": (25.0, "request"),
    "sequential sync create, one CPU": (25.0, "request"),
    "one stream, 100k chunks": (2.0, "event"),
    "200 streams x 50 chunks, sync": (2.0, "event"),
}


PINNED = "sequential sync create, one CPU"


def one_cpu(floor: FloorServer) -> int:
    """Pins every thread of the floor server to this machine's last CPU; returns that CPU."""
    cpu = max(os.sched_getaffinity(0))
    for tid in os.listdir(f"/proc/{floor.proc.pid}/task"):
        os.sched_setaffinity(int(tid), {cpu})
    return cpu


def unpin(floor: FloorServer) -> None:
    for tid in os.listdir(f"/proc/{floor.proc.pid}/task"):
        os.sched_setaffinity(int(tid), os.sched_getaffinity(0))


def pinned(cmd: list[str], cpu: int) -> dict[str, list[float]]:
    """`cmd`'s JSON output, run on `cpu` only."""
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
        cwd=HERE,
        preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
    )
    data: dict[str, list[float]] = json.loads(out.stdout)
    return data


def worker(python: str, url: str, canvases: list[str]) -> dict[str, list[float]]:
    out = subprocess.run(
        [python, os.path.join(HERE, "ab_worker.py"), url, *canvases, str(SECONDS)],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
        cwd=HERE,
    )
    data: dict[str, list[float]] = json.loads(out.stdout)
    return data


def raw(url: str, canvases: list[str]) -> dict[str, list[float]]:
    """The raw Rust client on the workloads it has: its rate and its own CPU per unit."""
    seq, big, small = canvases
    out: dict[str, list[float]] = {}
    for name, args in (
        ("sequential sync create", ["sync", url, seq, str(SECONDS)]),
        ("async create, 64 in flight", ["async", url, seq, str(SECONDS), "64"]),
        ("one stream, 100k chunks", ["stream", url, big]),
        ("200 streams x 50 chunks, sync", ["streams", url, small, "200"]),
    ):
        got = json.loads(subprocess.run([RAWCLIENT, *args], capture_output=True, text=True, check=True).stdout)
        out[name] = [got["rate"], got["cpu_us"]]
    return out


def main() -> None:
    a, b = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    names = {a: "A " + a, b: "B " + b}
    with Server() as emu, FloorServer() as floor:
        seq = emu.add_canvas(template=TEMPLATE, reply="A short summary of {{document}}.")
        big = emu.add_canvas(template="t", reply="abcd" * 100_000, stream={"chunk_size": 4})
        small = emu.add_canvas(template="t", reply="abcd" * 50, stream={"chunk_size": 4})
        floor.record(emu, {"canvas_id": seq, "variables": VARIABLES})
        floor.record(emu, {"canvas_id": big, "stream": True})
        floor.record(emu, {"canvas_id": small, "stream": True})
        canvases = [seq, big, small]
        servers = [("floor server", floor.url), ("emulator, end to end", emu.url)]
        if os.environ.get("AB_FLOOR_ONLY"):
            servers = servers[:1]
        for server_name, url in servers:
            runs: dict[str, dict[str, list[list[float]]]] = {names[a]: {}, names[b]: {}, "raw Rust": {}}
            for r in range(rounds):
                for py in (a, b) if r % 2 == 0 else (b, a):
                    for k, v in worker(py, url, canvases).items():
                        runs[names[py]].setdefault(k, []).append(v)
                if RAWCLIENT and server_name == "floor server":
                    for k, v in raw(url, canvases).items():
                        runs["raw Rust"].setdefault(k, []).append(v)
                if server_name == "floor server" and hasattr(os, "sched_setaffinity"):
                    cpu = one_cpu(floor)
                    try:
                        for py in (a, b) if r % 2 == 0 else (b, a):
                            cmd = [py, os.path.join(HERE, "ab_worker.py"), url, *canvases, str(SECONDS), "sequential"]
                            runs[names[py]].setdefault(PINNED, []).append(pinned(cmd, cpu)["sequential sync create"])
                        if RAWCLIENT:
                            got = pinned([RAWCLIENT, "sync", url, canvases[0], str(SECONDS)], cpu)
                            runs["raw Rust"].setdefault(PINNED, []).append([got["rate"], got["cpu_us"]])
                    finally:
                        unpin(floor)
            print(f"\n### Against the {server_name} ({rounds} rounds, median)\n")
            head = ["workload", "A rate", "B rate", "B / A", "B / A per round", "A CPU µs/unit", "B CPU µs/unit"]
            head += ["raw Rust rate", "raw CPU µs/unit", "B / raw"]
            print("| " + " | ".join(head) + " |")
            print("|" + "---|" * len(head))
            verdict: list[str] = []
            for k in runs[names[a]]:
                ra = statistics.median(x[0] for x in runs[names[a]][k])
                rb = statistics.median(x[0] for x in runs[names[b]][k])
                ca = statistics.median(x[1] for x in runs[names[a]][k])
                cb = statistics.median(x[1] for x in runs[names[b]][k])
                # Paired by round: the machine's speed drifts between rounds, less within one.
                paired = sorted(y[0] / x[0] for x, y in zip(runs[names[a]][k], runs[names[b]][k], strict=True))
                spread = f"{statistics.median(paired):.2f}x ({paired[0]:.2f}-{paired[-1]:.2f})"
                raw_runs = runs["raw Rust"].get(k)
                raw_cells = ["", "", ""]
                if raw_runs:
                    rr, cr = statistics.median(x[0] for x in raw_runs), statistics.median(x[1] for x in raw_runs)
                    raw_cells = [f"{rr:,.0f}", f"{cr:.1f}", f"{rb / rr:.2f}x"]
                    if k in GOALS:
                        goal = GOALS[k]
                        ok = "met" if rb / rr >= goal else "NOT met"
                        verdict.append(f"- {k}: B at {rb / rr:.2f}x raw Rust, goal {goal}x: {ok}")
                if k in CPU_GOALS:
                    goal, what = CPU_GOALS[k]
                    ok = "met" if cb <= goal else "NOT met"
                    verdict.append(f"- {k}: B uses {cb:.1f} µs of client CPU per {what}, goal {goal}: {ok}")
                print(
                    f"| {k} | {ra:,.0f} | {rb:,.0f} | {rb / ra:.2f}x | {spread} | {ca:.1f} | {cb:.1f} | "
                    + " | ".join(raw_cells)
                    + " |"
                )
            if verdict and server_name == "floor server":
                print("\nVerdict (issue 26 goals, B against raw Rust in the same rounds; on this machine, this run):")
                print("\n".join(verdict))
        stats = floor.stats()
        cpu, requests, events = stats["cpu_seconds"], stats["requests"], stats["events"]
        print(f"\nfloor server CPU: {cpu:.2f} s for {requests:,.0f} requests and {events:,.0f} events")


if __name__ == "__main__":
    main()
