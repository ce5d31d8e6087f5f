"""Dask: spread a batch over a cluster's worker processes; each partition runs ``batch``.

The client travels to the workers pickled (configuration only: each worker builds its own
connection pool). Runs against the embedded emulator with a local cluster of 2 worker
processes unless TELA_API_KEY and TELA_CANVAS_ID are set. Needs ``pip install distributed``.

    python examples/dask_batch.py
"""

from __future__ import annotations

import os
import sys
from typing import Any

from distributed import Client as DaskClient
from distributed import LocalCluster

from tela_sdk import Client
from tela_sdk.testing import Emulator


def summarize(partition: list[dict[str, Any]], tela: Client, canvas_id: str) -> list[dict[str, Any]]:
    """Runs in a Dask worker: one batch per partition, plain records back."""
    results = tela.completions.batch(partition, canvas_id=canvas_id, concurrency=8, progress=False)
    return [r.to_dict() for r in results]


def main() -> int:
    emulator = None
    if os.environ.get("TELA_API_KEY") and os.environ.get("TELA_CANVAS_ID"):
        tela, canvas_id = Client(), os.environ["TELA_CANVAS_ID"]
    else:
        emulator = Emulator(strict=True)
        canvas_id = emulator.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}").id
        tela = emulator.client()
    items = [{"variables": {"document": f"Report {i}"}} for i in range(400)]
    partitions = [items[i : i + 50] for i in range(0, len(items), 50)]
    try:
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,  # type: ignore[no-untyped-call]
            DaskClient(cluster) as dask,  # type: ignore[no-untyped-call]
        ):
            futures = dask.map(summarize, partitions, tela=tela, canvas_id=canvas_id)
            records = [record for part in dask.gather(futures) for record in part]
        ok = sum(r["ok"] for r in records)
        first = records[0]["completion"]["choices"][0]["message"]["content"]
        print(f"dask: {ok} of {len(records)} ok over {len(partitions)} partitions; first: {first}")
    finally:
        tela.close()
        if emulator is not None:
            emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
