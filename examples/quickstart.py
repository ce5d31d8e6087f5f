"""Quickstart: run a canvas, stream it, and handle an error.

Runs against the embedded emulator (no account, no network) unless TELA_API_KEY and
TELA_CANVAS_ID are set, in which case it calls the real Tela API.

    python examples/quickstart.py
"""

from __future__ import annotations

import os
import sys

from tela_sdk import Client, NotFoundError
from tela_sdk.testing import Emulator


def main() -> int:
    emulator = None
    if os.environ.get("TELA_API_KEY") and os.environ.get("TELA_CANVAS_ID"):
        client = Client()  # TELA_API_KEY / TELA_BASE_URL from the environment
        canvas_id = os.environ["TELA_CANVAS_ID"]
    else:
        emulator = Emulator()
        canvas_id = emulator.add_canvas(
            template="Summarize this document: {{document}}",
            reply="The document '{{document}}' asks for an invoice total of 1,250 EUR, due on 30 November.",
        ).id
        client = emulator.client()
        print(f"(using the local emulator at {emulator.url})")

    with client:
        completion = client.completions.create(
            canvas_id=canvas_id,
            variables={"document": "Invoice #1042"},
        )
        print("answer:    ", completion.content)
        print("request id:", completion.request_id)

        print("streamed:   ", end="")
        with client.completions.create(canvas_id=canvas_id, variables={"document": "Invoice #1043"}, stream=True) as s:
            for text in s.text():
                print(text, end="", flush=True)
        print()

        try:
            client.completions.create(canvas_id="00000000-0000-0000-0000-000000000000")
        except NotFoundError as e:
            print(f"error:      {type(e).__name__} (HTTP {e.status_code}, code {e.code})")

    if emulator is not None:
        emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
