"""Stream a canvas answer as it is generated, then read the final accumulated message.

python examples/streaming.py
"""

from __future__ import annotations

import os

from tela_sdk import Client, StreamError, Timeout
from tela_sdk.testing import Emulator


def main() -> None:
    if os.environ.get("TELA_API_KEY") and os.environ.get("TELA_CANVAS_ID"):
        emulator, client, canvas_id = None, Client(), os.environ["TELA_CANVAS_ID"]
    else:
        emulator = Emulator()
        canvas_id = emulator.add_canvas(
            template="Write a haiku about {{topic}}",
            reply="Old silent pond / a frog jumps into the pond / splash! Silence again.",
            stream={"chunk_size": 4, "delay_ms": 30},
        ).id
        client = emulator.client()

    # A stream that goes silent for 30 s raises APITimeoutError(kind="stream_idle")
    # instead of hanging forever.
    timeout = Timeout(stream_idle=30)
    with client.completions.create(
        canvas_id=canvas_id, variables={"topic": "autumn"}, stream=True, timeout=timeout
    ) as stream:
        try:
            for chunk in stream:
                print(chunk.text or "", end="", flush=True)
        except StreamError as e:
            print(f"\nthe model failed mid-stream: {e.message} ({e.code})")
            return
        final = stream.final()
    print()
    print(f"{final.chunks} chunks, finish_reason={final.finish_reason!r}")
    if emulator is not None:
        emulator.close()


if __name__ == "__main__":
    main()
