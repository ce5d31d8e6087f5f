"""Batch: one canvas over many documents, with a results file that survives a crash.

Runs against the embedded emulator (no account, no network) unless TELA_API_KEY and
TELA_CANVAS_ID are set, in which case it calls the real Tela API.

    python examples/batch.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from tela_sdk import Client
from tela_sdk.testing import Emulator


def main() -> int:
    emulator = None
    if os.environ.get("TELA_API_KEY") and os.environ.get("TELA_CANVAS_ID"):
        client, canvas_id = Client(), os.environ["TELA_CANVAS_ID"]
    else:
        emulator = Emulator()
        canvas_id = emulator.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}").id
        client = emulator.client()
    try:
        items: list[dict[str, Any]] = [{"variables": {"document": f"Invoice #{1000 + i}"}} for i in range(200)]
        items[13] = {"canvas_id": "no-such-canvas"}  # an item may name its own canvas; this one fails
        output = Path(tempfile.mkdtemp()) / "results.jsonl"

        results = client.completions.batch(items, canvas_id=canvas_id, concurrency=16, output=output, progress=False)
        failed = [r for r in results if not r.ok]
        first = results[0].completion
        print(f"{len(results)} items, {len(failed)} failed; first answer: {first.content if first else None}")
        for r in failed:
            print(f"item {r.index}: {type(r.error).__name__}: {r.error}")

        # Run again with resume=True: what the file holds is not sent again.
        again = client.completions.batch(items, canvas_id=canvas_id, output=output, resume=True, progress=False)
        lines = len(output.read_text().splitlines())
        print(f"resumed: {sum(r.ok for r in again)} ok from {output.name}, {lines} lines")
    finally:
        client.close()
        if emulator is not None:
            emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
