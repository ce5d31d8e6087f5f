"""Batch: one canvas over many documents, with a results file that survives a crash.

Without TELA_API_KEY it runs on an embedded emulator's demo canvas "demo"; with TELA_API_KEY
and TELA_CANVAS_ID (a canvas with a "document" variable) on the real Tela API.

    python examples/batch.py
"""

import os
import tempfile
from pathlib import Path
from typing import Any

from tela_sdk.testing import client_or_emulator

canvas_id = os.environ.get("TELA_CANVAS_ID", "demo")
items: list[dict[str, Any]] = [{"variables": {"document": f"Invoice #{1000 + i}"}} for i in range(200)]
items[13] = {"canvas_id": "no-such-canvas", "variables": {"document": "x"}}  # an item's own canvas: it fails

with client_or_emulator(strict=True) as client, tempfile.TemporaryDirectory() as tmp:
    output = Path(tmp) / "results.jsonl"
    results = client.completions.batch(items, canvas_id=canvas_id, concurrency=16, output=output, progress=False)
    failed = [r for r in results if not r.ok]
    first = results[0].completion
    print(f"{len(results)} items, {len(failed)} failed; first answer: {first.content if first else None}")
    for r in failed:
        print(f"item {r.index}: {type(r.error).__name__}: {r.error}")

    # Run again with resume=True: what the file holds is not sent again.
    again = client.completions.batch(items, canvas_id=canvas_id, output=output, resume=True, progress=False)
    print(f"resumed: {sum(r.ok for r in again)} ok from {output.name}, {len(output.read_text().splitlines())} lines")
