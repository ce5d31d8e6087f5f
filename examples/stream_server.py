"""Stream a canvas through an aiohttp endpoint to an HTTP client (async end to end).

    pip install aiohttp
    python examples/stream_server.py            # serves, calls itself once, prints, exits
    python examples/stream_server.py --serve    # keep serving on http://127.0.0.1:8080/haiku?topic=...

Each HTTP request opens a Tela stream with AsyncClient and forwards the text deltas as they
arrive; if the browser disconnects, leaving `async with` closes the Tela connection too.
"""

from __future__ import annotations

import asyncio
import os
import sys

from aiohttp import ClientSession, web

from tela_sdk import AsyncClient
from tela_sdk.testing import Emulator


def make_app(client: AsyncClient, canvas_id: str) -> web.Application:
    async def haiku(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        await response.prepare(request)
        topic = request.query.get("topic", "the sea")
        async with await client.completions.create(
            canvas_id=canvas_id, variables={"topic": topic}, stream=True
        ) as stream:
            async for text in stream.text():
                await response.write(text.encode())
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/haiku", haiku)
    return app


async def main(serve: bool) -> None:
    emulator = None
    if os.environ.get("TELA_API_KEY") and os.environ.get("TELA_CANVAS_ID"):
        client, canvas_id = AsyncClient(), os.environ["TELA_CANVAS_ID"]
    else:
        emulator = Emulator()
        canvas_id = emulator.add_canvas(
            template="A haiku about {{topic}}",
            reply="Waves fold into {{topic}} / salt wind combs the dune grass flat / gulls write, then erase.",
            stream={"chunk_size": 6, "delay_ms": 20},
        ).id
        client = emulator.async_client()

    runner = web.AppRunner(make_app(client, canvas_id))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 8080 if serve else 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    if serve:
        print(f"serving on http://127.0.0.1:{port}/haiku?topic=autumn (Ctrl-C to stop)")
        await asyncio.Event().wait()
    async with ClientSession() as http, http.get(f"http://127.0.0.1:{port}/haiku?topic=the moon") as resp:
        async for piece in resp.content.iter_any():
            print(piece.decode(), end="", flush=True)
    print()
    await runner.cleanup()
    await client.close()
    if emulator is not None:
        emulator.close()


if __name__ == "__main__":
    asyncio.run(main("--serve" in sys.argv))
