"""Shared benchmark plumbing: an emulator in its own process, canvases, timing, tables."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Any

API_KEY = "bench-key"


class Server:
    """The emulator as a separate process, so server work does not share the client's GIL."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tela_sdk.testing", "serve", "--api-key", API_KEY],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.url = line.removeprefix("listening on ")

    def add_canvas(self, **spec: Any) -> str:
        req = urllib.request.Request(
            self.url + "/_emulator/canvases",
            data=json.dumps(spec).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req) as resp:
            return str(json.load(resp)["id"])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rate(fn: Callable[[], int], seconds: float, warmup: int = 1) -> float:
    """Runs `fn` (which returns how many units it did) until `seconds` pass; units per second."""
    for _ in range(warmup):
        fn()
    done = 0
    start = time.perf_counter()
    while True:
        done += fn()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def table(title: str, unit: str, rows: dict[str, float], baseline: str) -> str:
    base = rows.get(baseline)
    out = [f"\n{title}", f"  {'client':<28}{unit:>14}  {'vs ' + baseline:>16}"]
    for name, value in rows.items():
        ratio = f"{value / base:>15.1f}x" if base else "              -"
        out.append(f"  {name:<28}{value:>14,.0f}  {ratio}")
    return "\n".join(out)
