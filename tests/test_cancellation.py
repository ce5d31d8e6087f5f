"""asyncio cancellation over real TCP: a cancelled task closes its request within 1 s; a
cancelled read (a timeout) loses no events and closes nothing."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from tela_sdk import AsyncClient, AsyncStream, CompletionChunk
from tela_sdk.testing import Emulator

from .rawserver import RawConn, RawServer, response
from .test_streaming import linux_only, open_connections, wait_until

# The bound the SDK promises for closing a cancelled request; the close itself takes ms.
CLOSE_WITHIN = 1.0
SSE_HEAD = response(200, {"content-type": "text/event-stream"})


def chunk(text: str) -> bytes:
    return b"data: " + json.dumps({"choices": [{"delta": {"content": text}}]}).encode() + b"\n\n"


def one_chunk_then_hold(conn: RawConn) -> None:
    conn.send(SSE_HEAD + chunk("first"))
    conn.wait_peer_close(30)


def silent(conn: RawConn) -> None:
    conn.wait_peer_close(30)


@pytest.fixture
def holding() -> Iterator[RawServer]:
    with RawServer(one_chunk_then_hold) as srv:
        yield srv


@pytest.fixture
async def raw_client(holding: RawServer) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(api_key="k", base_url=holding.url, max_retries=0) as c:
        yield c


async def peer_closed(srv: RawServer, timeout: float = CLOSE_WITHIN) -> bool:
    """Whether the client closed the (only) connection within `timeout`, measured from now."""
    conn = srv.connections[0]
    return await asyncio.to_thread(conn.closed_by_peer.wait, timeout)


async def test_cancelling_the_task_iterating_a_stream_closes_the_connection(
    holding: RawServer, raw_client: AsyncClient
) -> None:
    streams = []  # keeps the stream alive: the close must come from the cancellation, not GC
    first = asyncio.Event()

    async def consume() -> None:
        stream = await raw_client.completions.create(canvas_id="c", stream=True)
        streams.append(stream)
        async for _ in stream:  # no `async with`
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await peer_closed(holding)


async def test_cancelling_a_task_that_catches_and_cleans_up_still_closes(
    holding: RawServer, raw_client: AsyncClient
) -> None:
    stream = await raw_client.completions.create(canvas_id="c", stream=True)
    first = asyncio.Event()
    cleaning = asyncio.Event()

    async def consume() -> None:
        try:
            async for _ in stream:
                first.set()
        except asyncio.CancelledError:
            cleaning.set()
            await asyncio.sleep(30)  # slow cleanup: the task is still cancelling meanwhile
            raise

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 10)
    task.cancel()
    await asyncio.wait_for(cleaning.wait(), 10)
    assert await peer_closed(holding)
    task.cancel()


async def test_cancelling_final_closes_the_connection(holding: RawServer, raw_client: AsyncClient) -> None:
    stream = await raw_client.completions.create(canvas_id="c", stream=True)
    await stream.__anext__()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(stream.final(), 0.2)
    assert await peer_closed(holding)


async def test_closing_the_text_iterator_closes_the_stream(holding: RawServer, raw_client: AsyncClient) -> None:
    stream = await raw_client.completions.create(canvas_id="c", stream=True)
    pieces = stream.text()
    assert await pieces.__anext__() == "first"
    await pieces.aclose()  # also what the event loop does to an abandoned async generator
    assert await peer_closed(holding)


async def test_a_read_timeout_closes_nothing(holding: RawServer, raw_client: AsyncClient) -> None:
    stream = await raw_client.completions.create(canvas_id="c", stream=True)
    await stream.__anext__()
    for _ in range(3):
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(stream.__anext__(), 0.05)
    await asyncio.sleep(0.2)  # past any deferred decision to close
    assert not await peer_closed(holding, 0.3)
    await stream.aclose()
    assert await peer_closed(holding)


async def test_cancelling_a_non_streaming_call_closes_the_connection() -> None:
    with RawServer(silent) as srv:  # never answers
        async with AsyncClient(api_key="k", base_url=srv.url, max_retries=0) as client:
            task = asyncio.create_task(client.completions.create(canvas_id="c"))
            assert await asyncio.to_thread(srv.accepted.wait, 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await peer_closed(srv)


async def test_cancelling_the_open_of_a_stream_closes_the_connection() -> None:
    with RawServer(silent) as srv:  # never sends headers
        async with AsyncClient(api_key="k", base_url=srv.url, max_retries=0) as client:
            task = asyncio.create_task(client.completions.create(canvas_id="c", stream=True))
            assert await asyncio.to_thread(srv.accepted.wait, 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await peer_closed(srv)


N = 1000


async def read_with_wait_for(stream: AsyncStream[CompletionChunk]) -> CompletionChunk:
    # On Python <= 3.11 wait_for runs the read in a task of its own; on 3.12+ in this task.
    return await asyncio.wait_for(stream.__anext__(), 0.001)


async def read_with_timeout(stream: AsyncStream[CompletionChunk]) -> CompletionChunk:
    # In this task, as wait_for does on 3.12+: the timeout cancels, then uncancels, the task.
    async with asyncio.timeout(0.001):  # type: ignore[attr-defined,unused-ignore]
        return await stream.__anext__()


READERS = [pytest.param(read_with_wait_for, id="wait_for")]
if sys.version_info >= (3, 11):
    READERS.append(pytest.param(read_with_timeout, id="asyncio.timeout"))


@pytest.mark.parametrize("read", READERS)
async def test_timed_out_reads_lose_no_chunks_and_close_nothing(
    read: Callable[[AsyncStream[CompletionChunk]], Awaitable[CompletionChunk]],
) -> None:
    sent_all = threading.Event()

    def trickle(conn: RawConn) -> None:
        # Many small reads with pauses between them, so that 1 ms timeouts keep firing
        # while batches are arriving (the race that used to drop them).
        if not conn.send(SSE_HEAD):
            return
        for i in range(N):
            if not conn.send(chunk(f"{i} ")):
                return  # the client closed mid-stream: the test then fails on the count
            if i % 4 == 0:
                time.sleep(0.001)
        conn.send(b"data: [DONE]\n\n")
        sent_all.set()
        conn.wait_peer_close(30)

    with RawServer(trickle) as srv:
        async with AsyncClient(api_key="k", base_url=srv.url, max_retries=0) as client:
            stream = await client.completions.create(canvas_id="c", stream=True)
            got: list[str] = []
            timeouts = 0
            while True:
                try:
                    chunk_ = await read(stream)
                except asyncio.TimeoutError:
                    timeouts += 1  # the keep-alive tick
                    continue
                except StopAsyncIteration:
                    break
                got.append(chunk_.text or "")
    assert sent_all.is_set()
    assert got == [f"{i} " for i in range(N)]
    assert timeouts > 0  # the reads really were cancelled along the way


@linux_only
async def test_closing_a_dify_text_iterator_closes_the_stream(emulator: Emulator) -> None:
    app = emulator.add_dify_app(template="t", answer="x" * 200, stream={"chunk_size": 1, "delay_ms": 50})
    async with emulator.async_dify_client(app, max_retries=0) as dify:
        stream = await dify.completion_messages.create(user="u", stream=True)
        pieces = stream.text()
        await pieces.__anext__()
        assert open_connections(emulator.port) == 1
        await pieces.aclose()
        assert await asyncio.to_thread(wait_until, lambda: open_connections(emulator.port) == 0, CLOSE_WITHIN)
