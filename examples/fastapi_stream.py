"""Proxy a canvas stream through a FastAPI endpoint (StreamingResponse over AsyncClient).

    pip install fastapi uvicorn httpx
    python examples/fastapi_stream.py            # serves, calls itself once, prints, exits
    python examples/fastapi_stream.py --serve    # keep serving on http://127.0.0.1:8000/haiku?topic=...

Each request opens a Tela stream and forwards the text deltas as they arrive. When the HTTP
client disconnects, Starlette cancels the response task; the cancelled read closes the Tela
connection at once (no `async with` needed), so an abandoned page stops the generation upstream.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from tela_sdk import AsyncClient
from tela_sdk.testing import async_client_or_emulator


def make_app(client: AsyncClient, canvas_id: str) -> FastAPI:
    app = FastAPI()

    @app.get("/haiku")
    async def haiku(topic: str = "the sea") -> StreamingResponse:
        # Opened here, so an upstream HTTP error becomes this endpoint's error, not a cut body.
        stream = await client.completions.create(canvas_id=canvas_id, variables={"topic": topic}, stream=True)
        return StreamingResponse(stream.text(), media_type="text/plain; charset=utf-8")

    return app


HAIKU = {  # registered on the emulator only
    "id": "haiku",
    "template": "A haiku about {{topic}}",
    "reply": "Frost on {{topic}} / the kettle hums to itself / steam writes, then forgets.",
    "stream": {"chunk_size": 6, "delay_ms": 20},
}


async def main(serve: bool) -> None:
    canvas_id = os.environ.get("TELA_CANVAS_ID", "haiku")
    async with async_client_or_emulator(canvases=[HAIKU], strict=True) as client:
        # Our own listening socket: the port is known (and accepting) before uvicorn starts.
        sock = socket.create_server(("127.0.0.1", 8000 if serve else 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(make_app(client, canvas_id), log_level="info" if serve else "warning")
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            if serve:
                print(f"serving on http://127.0.0.1:{port}/haiku?topic=autumn (Ctrl-C to stop)")
                await serving
                return
            async with (
                httpx.AsyncClient() as http,
                http.stream("GET", f"http://127.0.0.1:{port}/haiku", params={"topic": "the window"}) as resp,
            ):
                async for piece in resp.aiter_text():
                    print(piece, end="", flush=True)
            print()
        finally:
            server.should_exit = True
            await serving


if __name__ == "__main__":
    asyncio.run(main("--serve" in sys.argv))
