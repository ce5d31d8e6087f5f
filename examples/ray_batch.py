"""Ray Data: ``map_batches`` over a dataset of documents, one SDK batch per Ray batch.

The client travels to the Ray workers pickled (configuration only). Runs against the
embedded emulator on a local Ray instance unless TELA_API_KEY and TELA_CANVAS_ID are set.
Needs ``pip install "ray[data]"``.

    python examples/ray_batch.py
"""

from __future__ import annotations

import os
import sys
from typing import Any

import ray

from tela_sdk import Client
from tela_sdk.testing import Emulator


class Summarize:
    """A Ray Data actor: holds the client (one connection pool per actor) and runs one SDK
    batch per Ray batch, adding a ``summary`` column (None where an item failed)."""

    def __init__(self, tela: Client, canvas_id: str) -> None:
        self.tela = tela
        self.canvas_id = canvas_id

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        items = [{"variables": {"document": str(doc)}} for doc in batch["document"]]
        results = self.tela.completions.batch(items, canvas_id=self.canvas_id, concurrency=8, progress=False)
        return {
            "document": batch["document"],
            "summary": [r.completion.content if r.completion is not None else None for r in results],
            "error": [None if r.error is None else type(r.error).__name__ for r in results],
        }


def main() -> int:
    emulator = None
    if os.environ.get("TELA_API_KEY") and os.environ.get("TELA_CANVAS_ID"):
        tela, canvas_id = Client(), os.environ["TELA_CANVAS_ID"]
    else:
        emulator = Emulator(strict=True)
        canvas_id = emulator.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}").id
        tela = emulator.client()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        ds = ray.data.from_items([{"document": f"Contract {i}"} for i in range(300)])
        out = ds.map_batches(
            Summarize,
            fn_constructor_kwargs={"tela": tela, "canvas_id": canvas_id},
            batch_size=50,
            batch_format="numpy",
            concurrency=2,
        )
        # Ray Data keeps no order across workers: sort back into input order.
        rows = sorted(out.take_all(), key=lambda row: int(str(row["document"]).split()[-1]))
        ok = sum(1 for row in rows if row["summary"] is not None)
        print(f"ray: {ok} of {len(rows)} ok; first: {rows[0]['summary']}")
    finally:
        ray.shutdown()
        tela.close()
        if emulator is not None:
            emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
