"""Stream a canvas through an aiohttp endpoint to an HTTP client (async end to end).

    pip install aiohttp
    python examples/stream_server.py            # serves, calls itself once, prints, exits
    python examples/stream_server.py --serve    # keep serving on http://127.0.0.1:8080/haiku?topic=...

Each HTTP request opens a Tela stream and forwards the text deltas as they arrive; if the
browser disconnects, leaving `async with` closes the Tela connection too. Without
TELA_API_KEY the canvas runs on an embedded emulator; with it (and TELA_CANVAS_ID, a canvas
with a "topic" variable) on the real API.
"""

import asyncio
import os
import sys

from aiohttp import ClientSession, web

from tela_sdk.testing import async_client_or_emulator

HAIKU = {  # registered on the emulator only
    "id": "haiku",
    "template": "A haiku about {{topic}}",
    "reply": "Waves fold into {{topic}} / salt wind combs the dune grass flat / gulls write, then erase.",
    "stream": {"chunk_size": 6, "delay_ms": 20},
}
CANVAS_ID = os.environ.get("TELA_CANVAS_ID", "haiku")


async def main(serve: bool) -> None:
    async with async_client_or_emulator(canvases=[HAIKU], strict=True) as client:

        async def haiku(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
            await response.prepare(request)
            topic = request.query.get("topic", "the sea")
            async with await client.completions.create(
                canvas_id=CANVAS_ID, variables={"topic": topic}, stream=True
            ) as stream:
                async for text in stream.text():
                    await response.write(text.encode())
            await response.write_eof()
            return response

        app = web.Application()
        app.router.add_get("/haiku", haiku)
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 8080 if serve else 0).start()
            host, port = runner.addresses[0][:2]
            if serve:
                print(f"serving on http://{host}:{port}/haiku?topic=autumn (Ctrl-C to stop)")
                await asyncio.Event().wait()
            async with ClientSession() as http, http.get(f"http://{host}:{port}/haiku?topic=the moon") as resp:
                async for piece in resp.content.iter_any():
                    print(piece.decode(), end="", flush=True)
            print()
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main("--serve" in sys.argv))
