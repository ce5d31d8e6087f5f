"""Native stream chunks (src/chunks.rs) and the core's tally of ``final()``, over real TCP:
the emulator for ordinary streams, tests/rawserver.py for exact bytes (unknown fields,
missing choices, empty deltas, unicode split across reads)."""

from __future__ import annotations

import copy
import json
import pickle
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

from tela_sdk import APIResponseValidationError, AsyncClient, Client, CompletionChunk, TelaError
from tela_sdk.testing import Emulator
from tela_sdk.types import ChunkChoice, ChunkMessage, ChunkModel, Delta, FunctionCall

from .rawserver import RawConn, RawServer, response

SSE = {"content-type": "text/event-stream"}

# Every odd event the SDK must still read: unknown fields at every level, no choices, an
# empty delta, a null delta, a choice without delta, a function call, structured content.
EVENTS: list[dict[str, Any]] = [
    {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hé"}, "finish_reason": None, "x": 1}],
        "message": {"role": "assistant", "content": "Hé"},
        "novel": {"deep": [1, {"k": "v"}]},
    },
    {"id": "c1", "object": "chat.completion.chunk"},
    {"id": "c1", "choices": []},
    {"id": "c1", "choices": [{"index": 0, "delta": {}}]},
    {"id": "c1", "choices": [{"index": 0, "delta": None, "finish_reason": None}]},
    {"id": "c1", "choices": [{"index": 0}]},
    {"id": "c1", "choices": [{"delta": {"content": "llo 🦊", "function_call": {"name": "f", "arguments": "{}"}}}]},
    {
        "id": "c2",
        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "stop"}],
        "message": {"role": "assistant", "content": "Héllo 🦊", "structured_content": {"total": 42}},
        "usage": {"total_tokens": 3},
    },
]


def frames(events: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + json.dumps(e, ensure_ascii=False).encode() + b"\n\n" for e in events)


def serve(*pieces: bytes) -> Callable[[RawConn], None]:
    """A stream sent in the given pieces (separate writes), then [DONE]."""

    def handler(conn: RawConn) -> None:
        conn.send(response(200, SSE))
        for piece in pieces:
            conn.send(piece)
        conn.send(b"data: [DONE]\n\n")

    return handler


def raw_client(srv: RawServer) -> Client:
    return Client(api_key="k", base_url=srv.url, max_retries=0)


def test_odd_events_read_like_the_json_sent() -> None:
    with RawServer(serve(frames(EVENTS))) as srv:
        chunks = list(raw_client(srv).completions.create(canvas_id="c", stream=True))
    assert len(chunks) == len(EVENTS)
    for chunk, sent in zip(chunks, EVENTS, strict=False):
        assert isinstance(chunk, CompletionChunk)
        assert isinstance(chunk, ChunkModel)
        assert chunk.to_dict() == sent
        assert json.loads(chunk.to_json()) == sent
        assert chunk.id == sent["id"]
        assert chunk.object == sent.get("object")
        assert chunk.get("choices") == sent.get("choices")
    first = chunks[0]
    assert first.choices[0].delta.content == first.text == "Hé"
    assert isinstance(first.choices[0], ChunkChoice)
    assert isinstance(first.choices[0].delta, Delta)
    assert first.choices[0].delta.role == "assistant"
    assert (first.choices[0].index, first.choices[0].finish_reason, first.choices[0].x) == (0, None, 1)  # type: ignore[attr-defined]
    assert (first.created, first.model) == (1, "m")
    assert first.novel == {"deep": [1, {"k": "v"}]}  # type: ignore[attr-defined]  # unknown, readable
    assert first.get("missing", 7) == 7
    assert first["novel"]["deep"][0] == 1
    assert isinstance(first.message, ChunkMessage)
    assert first.message.content == "Hé"
    # No choices, an empty list, empty or null deltas: no text, nothing raised.
    assert [c.text for c in chunks[1:6]] == [None] * 5
    assert chunks[1].choices is None
    assert chunks[1].message is None
    assert chunks[2].choices == []
    assert chunks[3].choices[0].delta.content is None
    assert chunks[4].choices[0].delta is None
    assert chunks[5].choices[0].delta is None
    call = chunks[6].choices[0].delta.function_call
    assert isinstance(call, FunctionCall)
    assert call.name == "f"
    assert chunks[6].choices[0].index is None
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage == {"total_tokens": 3}


def test_final_is_tallied_in_the_core() -> None:
    with RawServer(serve(frames(EVENTS))) as srv:
        final = raw_client(srv).completions.create(canvas_id="c", stream=True).final()
    assert final.text == "Héllo 🦊"
    assert final.finish_reason == "stop"
    assert final.chunks == len(EVENTS)
    assert final.structured_content == {"total": 42}
    assert isinstance(final.message, ChunkMessage)
    assert final.message.to_dict() == EVENTS[-1]["message"]
    # As for a non-streamed completion: the structured content when the canvas has one.
    assert final.content == {"total": 42}


def test_unicode_split_across_reads() -> None:
    data = frames(EVENTS)
    cut = data.index("🦊".encode()) + 2  # inside the emoji's four bytes
    with RawServer(serve(data[:cut], data[cut:])) as srv:
        stream = raw_client(srv).completions.create(canvas_id="c", stream=True)
        texts = [c.text for c in stream]
        final = stream.final()
    assert "llo 🦊" in texts
    assert final.text == "Héllo 🦊"


def test_chunks_are_read_only_and_keep_the_model_conveniences() -> None:
    chunk = CompletionChunk(EVENTS[0])
    with pytest.raises(AttributeError, match="read-only"):
        chunk.id = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="read-only"):
        chunk.novel = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="read-only"):
        del chunk.id
    with pytest.raises(AttributeError, match="has no field 'missing'"):
        _ = chunk.missing  # type: ignore[attr-defined]
    with pytest.raises(KeyError):
        _ = chunk["missing"]
    copied = chunk.to_dict()
    copied["choices"][0]["delta"]["content"] = "changed"
    assert chunk.text == "Hé"
    assert chunk.to_dict() == EVENTS[0]
    assert "novel" in dir(chunk)
    assert "choices" in dir(chunk)
    assert repr(chunk) == "CompletionChunk(id='c1', text='Hé')"
    assert repr(chunk.choices[0].delta) == "Delta(role='assistant', content='Hé')"
    assert chunk.choices is chunk.choices  # built once
    with pytest.raises(TypeError, match="a dict"):
        CompletionChunk([])  # type: ignore[arg-type]


def test_chunks_pickle_copy_and_compare_by_content() -> None:
    chunk = CompletionChunk(EVENTS[0])
    for other in (pickle.loads(pickle.dumps(chunk)), copy.copy(chunk), copy.deepcopy(chunk)):
        assert type(other) is CompletionChunk
        assert other == chunk
        assert other.text == "Hé"
        assert other.to_dict() == EVENTS[0]
    choice = chunk.choices[0]
    assert pickle.loads(pickle.dumps(choice)) == choice
    assert chunk != CompletionChunk(EVENTS[1])
    assert chunk != EVENTS[0]  # a dict is not a chunk
    assert len({chunk, chunk}) == 1


def test_emulator_stream_gives_native_chunks_sync_and_async(emulator: Emulator, client: Client) -> None:
    reply = "Ünïcödé ✓ 🦊 " * 20
    cid = emulator.add_canvas(template="t", reply=reply, stream={"chunk_size": 3}).id
    with client.completions.create(canvas_id=cid, stream=True) as stream:
        chunks = list(stream)
        final = stream.final()
    assert all(type(c) is CompletionChunk for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == reply
    assert final.text == reply
    assert final.chunks == len(chunks)


@pytest.mark.lax  # checks a field the docs do not show (the emulator's strict mode drops it)
async def test_async_stream_gives_native_chunks(emulator: Emulator, aclient: AsyncClient) -> None:
    cid = emulator.add_canvas(template="t", reply="abc" * 30, stream={"chunk_size": 2}).id
    stream = await aclient.completions.create(canvas_id=cid, stream=True)
    texts = [c.text async for c in stream]
    final = await stream.final()
    assert "".join(t or "" for t in texts) == "abc" * 30
    assert final.text == "abc" * 30
    assert final.finish_reason == "stop"


def test_tally_is_a_named_record_readable_while_a_read_waits() -> None:
    """The core's totals come as a dict of named fields (not a tuple unpacked by position),
    and live under a lock of their own: a read blocked on a silent server does not hide
    them (they used to come back as None, and ``final()`` silently empty)."""
    release = threading.Event()

    def handler(conn: RawConn) -> None:
        conn.send(response(200, SSE))
        conn.send(frames(EVENTS[:1] + EVENTS[-1:]))
        release.wait(60)
        conn.send(b"data: [DONE]\n\n")

    with RawServer(handler) as srv:
        stream = raw_client(srv).completions.create(canvas_id="c", stream=True)
        native = stream._native
        got = [next(stream), next(stream)]
        reading = threading.Event()

        def spy(frame: Any, event: str, arg: Any) -> None:
            if event == "c_call" and getattr(arg, "__name__", "") == "next_batch":
                reading.set()

        def read_rest() -> None:
            sys.setprofile(spy)
            got.extend(stream)

        reader = threading.Thread(target=read_rest)
        reader.start()
        try:
            assert reading.wait(60), "the reader never reached the native read"
            # The reader now waits inside the native read (the server is silent). Probe the
            # totals while it does: each probe must see them.
            pause = threading.Event()
            for _ in range(50):
                totals = native.tally()
                assert isinstance(totals, dict), totals
                assert totals["text"] == "Hé"
                assert totals["chunks"] == 2
                assert native.tally("finish_reason") == "stop"
                pause.wait(0.002)
            assert reader.is_alive()
        finally:
            release.set()
            reader.join(60)
        assert len(got) == 2
        assert set(native.tally()) == {
            "text",
            "finish_reason",
            "message",
            "structured_content",
            "chunks",
            "id",
            "usage",
        }
        assert native.tally("usage") == {"total_tokens": 3}
        with pytest.raises(KeyError):
            native.tally("nope")
        final = stream.final()
    assert (final.text, final.chunks, final.structured_content) == ("Hé", 2, {"total": 42})


def test_totals_the_binding_cannot_parse_are_a_typed_error() -> None:
    """A lone surrogate escape: the core's JSON reader lets it through a field it does not
    decode, Python's parser refuses it. The event itself fails as an
    APIResponseValidationError; ``final()`` afterwards must too, not as a bare ValueError."""
    bad = rb'{"choices":[],"message":{"content":"\ud800"}}'
    with RawServer(serve(b"data: " + bad + b"\n\n")) as srv:
        stream = raw_client(srv).completions.create(canvas_id="c", stream=True)
        with pytest.raises(APIResponseValidationError, match="not JSON"):
            list(stream)
        with pytest.raises(APIResponseValidationError, match="message is not JSON") as e:
            stream.final()
    assert isinstance(e.value, TelaError)
