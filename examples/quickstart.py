"""Quickstart: run a canvas, stream it, and handle an error.

Without TELA_API_KEY it runs on an embedded emulator (no account, no network) and its demo
canvas "demo"; with TELA_API_KEY and TELA_CANVAS_ID (a canvas with a "document" variable)
it calls the real Tela API.

    python examples/quickstart.py
"""

import os

from tela_sdk import NotFoundError
from tela_sdk.testing import client_or_emulator

canvas_id = os.environ.get("TELA_CANVAS_ID", "demo")

with client_or_emulator(strict=True) as client:
    out = client.completions.create(canvas_id=canvas_id, variables={"document": "Invoice #1042"})
    print("answer:    ", out.content)
    print("request id:", out.request_id)

    print("streamed:   ", end="")
    with client.completions.create(canvas_id=canvas_id, variables={"document": "Invoice #1043"}, stream=True) as s:
        for text in s.text():
            print(text, end="", flush=True)
    print()

    try:
        client.completions.create(canvas_id="00000000-0000-0000-0000-000000000000")
    except NotFoundError as e:
        print(f"error:      {type(e).__name__} (HTTP {e.status_code}, code {e.code})")
