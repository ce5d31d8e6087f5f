"""Async runs: submit three runs, wait for all of them concurrently, print results and costs.

Without TELA_API_KEY it runs on an embedded emulator's demo canvas "demo"; with TELA_API_KEY
and TELA_CANVAS_ID (a canvas with a "document" variable) on the real Tela API.

    python examples/async_runs.py
"""

import asyncio
import os
import sys

from tela_sdk import AsyncRun, RunFailedError, RunTimeoutError
from tela_sdk.testing import async_client_or_emulator

DOCUMENTS = [
    "Invoice #1042: 1,250 EUR due 30 November",
    "Contract renewal for the Lisbon office, 3 years",
    "Incident report: API latency spike on 2 October",
]
CANVAS_ID = os.environ.get("TELA_CANVAS_ID", "demo")


def progress(run: AsyncRun) -> None:
    print(f"  {run.id[:8]}  {run.status}")


async def main() -> int:
    async with async_client_or_emulator(strict=True) as client:
        runs = [await client.completions.submit(canvas_id=CANVAS_ID, variables={"document": d}) for d in DOCUMENTS]
        print(f"submitted {len(runs)} runs; waiting for all of them:")
        outcomes = await asyncio.gather(
            *(run.wait(timeout=600, on_status=progress) for run in runs),  # polls from 1 s, growing to 10 s
            return_exceptions=True,
        )

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
