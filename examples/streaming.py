"""Stream a canvas answer as it is generated, then read the final accumulated message.

Without TELA_API_KEY it runs on an embedded emulator; with TELA_API_KEY and TELA_CANVAS_ID
(a canvas with a "topic" variable) on the real API.

    python examples/streaming.py
"""

import os
import sys

from tela_sdk import StreamError, Timeout
from tela_sdk.testing import client_or_emulator

HAIKU = {  # registered on the emulator only
    "id": "haiku",
    "template": "Write a haiku about {{topic}}",
    "reply": "Old silent pond / a frog jumps into the pond / splash! Silence again.",
    "stream": {"chunk_size": 4, "delay_ms": 30},
}
canvas_id = os.environ.get("TELA_CANVAS_ID", "haiku")

# Leaving each `with` closes the stream and the emulator, also when an error escapes.
with client_or_emulator(canvases=[HAIKU], strict=True) as client:
    # A stream silent for 30 s raises APITimeoutError(kind="stream_idle") instead of hanging.
    timeout = Timeout(stream_idle=30)
    with client.completions.create(
        canvas_id=canvas_id, variables={"topic": "autumn"}, stream=True, timeout=timeout
    ) as stream:
        try:
            for chunk in stream:
                print(chunk.text or "", end="", flush=True)
        except StreamError as e:
            sys.exit(f"\nthe model failed mid-stream: {e.message} ({e.code})")
        final = stream.final()
    # finish_reason is not in Tela's docs (the emulator's strict mode leaves it out): print
    # what the docs promise, the text and how many chunks carried it.
    print(f"\n{final.chunks} chunks, {len(final.text)} characters")
