"""examples/fastapi_stream.py under uvicorn: it streams, and a client that disconnects ends
the upstream Tela request at once."""

from __future__ import annotations

import importlib.util
import socket
import threading
from collections.abc import Iterator
from types import ModuleType

import pytest

from tela_sdk.testing import Emulator

from .test_examples import EXAMPLES, run_example
from .test_streaming import linux_only, open_connections, wait_until

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
pytest.importorskip("httpx")


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_stream", EXAMPLES / "fastapi_stream.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def served(emulator: Emulator) -> Iterator[tuple[int, str]]:
    """The example app under uvicorn on a free port, proxying a slow (10 s) canvas stream."""
    canvas = emulator.add_canvas(template="t", reply="x" * 200, stream={"chunk_size": 1, "delay_ms": 50})
    client = emulator.async_client(max_retries=0)
    app = load_example().make_app(client, canvas.id)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    sock = socket.create_server(("127.0.0.1", 0))  # listening: connections queue until uvicorn runs
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], canvas.id
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def test_fastapi_stream_example_runs() -> None:
    out = run_example("fastapi_stream.py")
    assert "Frost on the window / the kettle hums to itself" in out


@linux_only
def test_a_client_disconnect_ends_the_upstream_stream(emulator: Emulator, served: tuple[int, str]) -> None:
    port, _ = served
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /haiku?topic=x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = b""
        while received.count(b"x") < 5:  # headers, then a few streamed chunks
            data = sock.recv(4096)
            assert data, "the app closed the response early"
            received += data
        assert received.startswith(b"HTTP/1.1 200")
        assert open_connections(emulator.port) == 1  # the upstream stream is live
    # 195 chunks (~10 s) were still to come; the disconnect must end the upstream request.
    assert wait_until(lambda: open_connections(emulator.port) == 0, 1.0)
