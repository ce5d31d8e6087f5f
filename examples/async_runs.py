"""Async runs: submit three runs, wait for all of them concurrently, print results and costs.

Runs against the embedded emulator (no account, no network) unless TELA_API_KEY is set, in
which case it calls the real Tela API with the canvas named by TELA_CANVAS_ID.

    python examples/async_runs.py
"""

from __future__ import annotations

import asyncio
import os
import sys

from tela_sdk import AsyncClient, AsyncRun, RunFailedError, RunTimeoutError
from tela_sdk.testing import Emulator

DOCUMENTS = [
    "Invoice #1042: 1,250 EUR due 30 November",
    "Contract renewal for the Lisbon office, 3 years",
    "Incident report: API latency spike on 2 October",
]


def progress(run: AsyncRun) -> None:
    print(f"  {run.id[:8]}  {run.status}")


async def main() -> int:
    emulator = None
    if os.environ.get("TELA_API_KEY"):
        canvas_id = os.environ.get("TELA_CANVAS_ID")
        if not canvas_id:
            print("TELA_API_KEY is set: also set TELA_CANVAS_ID to the canvas to run", file=sys.stderr)
            return 2
        client = AsyncClient()  # TELA_API_KEY / TELA_BASE_URL from the environment
        poll_interval = None  # the SDK's default: 1 s, growing to 10 s
    else:
        emulator = Emulator()
        canvas_id = emulator.add_canvas(
            template="Summarize: {{document}}",
            reply="Summary of {{document}}",
            run={"created_ms": 100, "running_ms": 400},
        ).id
        client = emulator.async_client()
        poll_interval = 0.05
        print(f"(using the local emulator at {emulator.url})")

    try:
        async with client:
            runs = [await client.completions.submit(canvas_id=canvas_id, variables={"document": d}) for d in DOCUMENTS]
            print(f"submitted {len(runs)} runs; waiting for all of them:")
            outcomes = await asyncio.gather(
                *(run.wait(timeout=600, poll_interval=poll_interval, on_status=progress) for run in runs),
                return_exceptions=True,
            )
    finally:
        if emulator is not None:
            emulator.close()

    total = 0.0
    failures = 0
    for document, outcome in zip(DOCUMENTS, outcomes, strict=True):
        print(f"\n{document}")
        if isinstance(outcome, RunFailedError):
            failures += 1
            print(f"  failed: {outcome}")
        elif isinstance(outcome, RunTimeoutError):
            failures += 1
            print(f"  still {outcome.last_status} after {outcome.after:.0f}s; check later with retrieve()")
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            info = outcome.output_content.information if outcome.output_content else None
            cost = (info.cost if info else None) or 0.0
            total += cost
            tokens = f"{info.input_tokens} in / {info.output_tokens} out" if info else "no usage reported"
            print(f"  result: {outcome.result()}")
            print(f"  cost:   ${cost:.6f} ({tokens})")
    print(f"\ntotal cost: ${total:.6f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
