"""Streaming: typed chunks, every framing and fault, deadlines, and connection release."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from tela_sdk import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    Client,
    CompletionChunk,
    StreamError,
    Timeout,
)
from tela_sdk.testing import Emulator

from .test_runtime import INTERRUPT_BOUND, interrupt_child

REPLY = "The quick brown fox jumps over the lazy dog. Ünïcödé ✓ 🦊 done."


def stream_canvas(emulator: Emulator, **stream: Any) -> str:
    return emulator.add_canvas(template="t", reply=REPLY, stream={"chunk_size": 5, **stream}).id


def open_connections(port: int) -> int:
    """ESTABLISHED TCP connections to 127.0.0.1:port, read from the kernel (client side)."""
    count = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == "01" and int(remote.split(":")[1], 16) == port:
                count += 1
    return count


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")


@pytest.mark.lax  # checks a field the docs do not show (the emulator's strict mode drops it)
def test_stream_yields_typed_chunks_and_accumulates(emulator: Emulator, client: Client) -> None:
    cid = stream_canvas(emulator)
    with client.completions.create(canvas_id=cid, stream=True) as stream:
        chunks = list(stream)
        final = stream.final()
    assert all(isinstance(c, CompletionChunk) for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].finish_reason == "stop"
    assert "".join(c.text or "" for c in chunks) == REPLY
    assert final.text == REPLY
    assert final.content == REPLY
    assert final.finish_reason == "stop"
    assert stream.request_id is not None
    assert stream.request_id.startswith("req_")
    assert emulator.requests[-1].body["stream"] is True


def test_stream_text_helper_and_structured_content(emulator: Emulator, client: Client) -> None:
    cid = emulator.add_canvas(template="t", reply={"total": 42, "currency": "EUR"}, stream={"chunk_size": 3}).id
    stream = client.completions.create(canvas_id=cid, stream=True)
    pieces = list(stream.text())
    assert all(isinstance(p, str) and p for p in pieces)
    assert stream.final().structured_content == {"total": 42, "currency": "EUR"}


def test_final_message_to_dict_and_to_json(emulator: Emulator, client: Client) -> None:
    cid = emulator.add_canvas(template="t", reply={"total": 42, "currency": "EUR"}, stream={"chunk_size": 3}).id
    with client.completions.create(canvas_id=cid, stream=True) as stream:
        final = stream.until_done().final()
    d = final.to_dict()
    assert d["structured_content"] == {"total": 42, "currency": "EUR"}
    assert d["text"] == final.text
    assert d["finish_reason"] == final.finish_reason
    assert d["chunks"] == final.chunks > 0
    assert d["message"] == (final.message.to_dict() if final.message is not None else None)
    d["structured_content"]["total"] = 0  # a copy: the result is unchanged
    assert final.structured_content == {"total": 42, "currency": "EUR"}
    assert json.loads(final.to_json()) == final.to_dict()
    assert "\n" not in final.to_json(indent=None)


async def test_async_final_message_to_dict(emulator: Emulator, aclient: AsyncClient) -> None:
    cid = stream_canvas(emulator)
    stream = await aclient.completions.create(canvas_id=cid, stream=True)
    final = await stream.final()
    assert final.to_dict()["text"] == REPLY
    assert json.loads(final.to_json())["content"] == REPLY


async def test_async_stream(emulator: Emulator, aclient: AsyncClient) -> None:
    cid = stream_canvas(emulator)
    async with await aclient.completions.create(canvas_id=cid, stream=True) as stream:
        texts = [c.text async for c in stream]
    assert "".join(t or "" for t in texts) == REPLY
    stream2 = await aclient.completions.create(canvas_id=cid, stream=True)
    assert "".join([t async for t in stream2.text()]) == REPLY
    stream3 = await aclient.completions.create(canvas_id=cid, stream=True)
    assert (await stream3.final()).text == REPLY


@pytest.mark.parametrize(
    "framing",
    [
        {"crlf": True},
        {"split_frames": True},
        {"comments": True},
        {"crlf": True, "split_frames": True, "comments": True},
        {"done": False},
        {"chunk_size": 1},
        {"chunk_size": 0},
    ],
    ids=["crlf", "split", "comments-pings", "all-together", "no-done", "1-char", "one-chunk"],
)
@pytest.mark.lax  # checks a field the docs do not show (the emulator's strict mode drops it)
def test_every_framing_gives_the_same_text(emulator: Emulator, client: Client, framing: dict[str, Any]) -> None:
    cid = stream_canvas(emulator, **framing)
    final = client.completions.create(canvas_id=cid, stream=True).final()
    assert final.text == REPLY
    assert final.finish_reason == "stop"


@pytest.mark.parametrize("style", ["data", "event"])
def test_error_event_raises_stream_error_after_earlier_chunks(emulator: Emulator, client: Client, style: str) -> None:
    cid = stream_canvas(emulator, error_after=2, error_style=style)
    received: list[CompletionChunk] = []
    with pytest.raises(StreamError) as info:
        for chunk in client.completions.create(canvas_id=cid, stream=True):
            received.append(chunk)
    assert len(received) == 2
    assert info.value.code == "PROVIDER_ERROR"
    assert "Model provider failed" in str(info.value)


async def test_async_error_event(emulator: Emulator, aclient: AsyncClient) -> None:
    cid = stream_canvas(emulator, error_after=1)
    stream = await aclient.completions.create(canvas_id=cid, stream=True)
    with pytest.raises(StreamError):
        async for _ in stream:
            pass


def test_connection_dropped_mid_stream_is_an_error_not_a_short_success(emulator: Emulator, client: Client) -> None:
    cid = stream_canvas(emulator, drop_after=3)
    received = 0
    with pytest.raises(APIConnectionError) as info:
        for _ in client.completions.create(canvas_id=cid, stream=True):
            received += 1
    assert received == 3
    assert not isinstance(info.value, APITimeoutError)
    assert "cut" in str(info.value)


def test_stall_raises_stream_idle_timeout(emulator: Emulator, client: Client) -> None:
    cid = stream_canvas(emulator, stall_after=1, stall_ms=10_000)
    start = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=cid, stream=True, timeout=Timeout(stream_idle=0.3)).until_done()
    assert info.value.kind == "stream_idle"
    assert "stream_idle" in str(info.value)
    assert time.monotonic() - start < 5


def test_a_stall_shorter_than_the_idle_deadline_is_fine(emulator: Emulator, client: Client) -> None:
    cid = stream_canvas(emulator, stall_after=2, stall_ms=300)
    final = client.completions.create(canvas_id=cid, stream=True, timeout=Timeout(stream_idle=3)).final()
    assert final.text == REPLY


def test_stream_total_deadline(emulator: Emulator, client: Client) -> None:
    cid = stream_canvas(emulator, chunk_size=1, delay_ms=50)
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=cid, stream=True, timeout=Timeout(stream_total=0.4)).until_done()
    assert info.value.kind == "stream_total"


async def test_cancelling_the_task_awaiting_a_chunk_is_prompt(emulator: Emulator, aclient: AsyncClient) -> None:
    cid = stream_canvas(emulator, stall_after=1, stall_ms=20_000)
    stream = await aclient.completions.create(canvas_id=cid, stream=True)
    await stream.__anext__()
    start = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(stream.__anext__(), 0.3)
    assert time.monotonic() - start < 5
    await stream.aclose()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery via os.kill is POSIX-only")
def test_ctrl_c_while_waiting_for_a_chunk() -> None:
    # "ready" comes just before the blocking next(); the settle time lets it block first (the
    # server stalls for 30 s, so there is no hurry), and the test holds even if it has not.
    latency, _ = interrupt_child(
        """
        from tela_sdk.testing import Emulator
        emu = Emulator(strict=True)
        cid = emu.add_canvas(template="t", reply="hello world", stream={"stall_after": 1, "stall_ms": 30000}).id
        stream = emu.client().completions.create(canvas_id=cid, stream=True)
        next(stream)
        try:
            ready_when(lambda: True)
            next(stream)
        except KeyboardInterrupt:
            interrupted()
            sys.exit(0)
        sys.exit(3)
        """,
        settle=0.5,
    )
    assert latency < INTERRUPT_BOUND


# Connection release: a slow 200-chunk stream that would keep its connection for 10 s.
SLOW = {"chunk_size": 1, "delay_ms": 50}


@linux_only
def test_break_releases_the_connection(emulator: Emulator, client: Client) -> None:
    cid = emulator.add_canvas(template="t", reply="x" * 200, stream=SLOW).id
    for _ in client.completions.create(canvas_id=cid, stream=True):
        assert open_connections(emulator.port) == 1
        break
    assert wait_until(lambda: open_connections(emulator.port) == 0)


@linux_only
def test_exception_in_the_loop_body_releases_the_connection(emulator: Emulator, client: Client) -> None:
    cid = emulator.add_canvas(template="t", reply="x" * 200, stream=SLOW).id
    with pytest.raises(RuntimeError), client.completions.create(canvas_id=cid, stream=True) as stream:
        for _ in stream:
            raise RuntimeError("user code failed")
    assert wait_until(lambda: open_connections(emulator.port) == 0)


@linux_only
def test_garbage_collection_releases_the_connection(emulator: Emulator, client: Client) -> None:
    cid = emulator.add_canvas(template="t", reply="x" * 200, stream=SLOW).id
    stream = client.completions.create(canvas_id=cid, stream=True)
    next(stream)
    assert open_connections(emulator.port) == 1
    del stream
    gc.collect()
    assert wait_until(lambda: open_connections(emulator.port) == 0)


@linux_only
def test_close_releases_and_ends_iteration(emulator: Emulator, client: Client) -> None:
    cid = emulator.add_canvas(template="t", reply="x" * 200, stream=SLOW).id
    stream = client.completions.create(canvas_id=cid, stream=True)
    next(stream)
    stream.close()
    stream.close()  # idempotent
    assert wait_until(lambda: open_connections(emulator.port) == 0)
    assert list(stream) == []


@linux_only
async def test_async_break_and_aclose_release_the_connection(emulator: Emulator, aclient: AsyncClient) -> None:
    cid = emulator.add_canvas(template="t", reply="x" * 200, stream=SLOW).id
    async with await aclient.completions.create(canvas_id=cid, stream=True) as stream:
        async for _ in stream:
            break
    assert wait_until(lambda: open_connections(emulator.port) == 0)
    stream = await aclient.completions.create(canvas_id=cid, stream=True)
    await stream.__anext__()
    await stream.aclose()
    assert wait_until(lambda: open_connections(emulator.port) == 0)
    stream = await aclient.completions.create(canvas_id=cid, stream=True)
    await stream.__anext__()
    del stream
    gc.collect()
    assert wait_until(lambda: open_connections(emulator.port) == 0)


def test_a_long_stream_is_delivered_completely(emulator: Emulator, client: Client) -> None:
    cid = emulator.add_canvas(template="t", reply="ab" * 10_000, stream={"chunk_size": 2}).id
    count = sum(1 for _ in client.completions.create(canvas_id=cid, stream=True))
    assert count == 10_000 + 1  # one chunk per 2 chars, plus the final finish chunk


def test_http_errors_raise_at_create_time(emulator: Emulator, client: Client) -> None:
    emulator.fail(status=429)
    from tela_sdk import RateLimitError

    with pytest.raises(RateLimitError):
        client.completions.create(canvas_id=stream_canvas(emulator), stream=True)
