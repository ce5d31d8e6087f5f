"""Property tests of streaming over real TCP: random chunk events, encoded as SSE in every
legal way (CR/LF/CRLF, comments, pings, ``data:`` split over lines, ids), sent as random
writes that cut through lines, CRLFs and multi-byte characters, must come out of the stream
exactly, in order, and the stream must end cleanly. The Rust twin is
crates/tela-core/tests/sse_proptest.rs (the decoder alone, many more cases)."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tela_sdk import AsyncClient, Client

from .fuzzing import examples
from .rawserver import RawConn, RawServer, response

# JSON values as jiter and json.loads agree on them: finite floats, integers within i64.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def chunk(draw: st.DrawFn) -> dict[str, Any]:
    """A ``chat.completion.chunk`` with random text and random extra fields (never a truthy ``error``)."""
    text = draw(st.text(max_size=20) | st.sampled_from(["é", "😀🦊", "€✓", "\u2028", "日本語"]))
    extra = draw(st.dictionaries(st.text(max_size=6).filter(lambda k: k != "error"), _json, max_size=3))
    return {
        **extra,
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"delta": {"content": text}, "index": 0, "finish_reason": None}],
    }


@dataclass
class Encoding:
    """Every choice of how one stream of events goes on the wire."""

    choices: list[int]
    framing: str  # "close", "length" or "chunked"
    done: bool  # ends with `data: [DONE]` (then junk that must be ignored), else at EOF
    cuts: list[int]
    pos: int = 0
    last_cr: bool = False
    out: list[bytes] = field(default_factory=list)

    def pick(self, n: int) -> int:
        c = self.choices[self.pos % len(self.choices)]
        self.pos += 1
        return c % n

    def line(self, content: str) -> None:
        eol = ("\n", "\r", "\r\n")[self.pick(3)]
        if self.last_cr and not content and eol[0] == "\n":
            eol = "\r\n"  # CR then a blank LF line would read as one CRLF: not what we meant
        self.out.append((content + eol).encode())
        self.last_cr = eol == "\r"

    def event(self, ev: dict[str, Any]) -> None:
        if self.pick(4) == 0:
            self.line(": keep-alive é")
        if self.pick(5) == 0:
            self.line("event: ping")
            self.line("")
        name = ("", "event: message", "event: chunk", "event:")[self.pick(4)]
        if name:
            self.line(name)
        if self.pick(3) == 0:
            self.line(f"id: {self.pos}")
        ascii_only = self.pick(4) == 0
        if self.pick(2):
            # Pretty-printed JSON over several `data:` lines: joined with "\n" it parses the same.
            for part in json.dumps(ev, indent=1, ensure_ascii=ascii_only).split("\n"):
                self.line(("data: " if part.startswith(" ") or self.pick(2) else "data:") + part)
        else:
            self.line("data: " + json.dumps(ev, ensure_ascii=ascii_only))
        self.line("")

    def body(self, events: list[dict[str, Any]]) -> bytes:
        if self.pick(3) == 0:
            self.out.append(b"\xef\xbb\xbf")
        for ev in events:
            self.event(ev)
        if self.done:
            self.line("data: [DONE]")
            self.line("")
            self.line('data: {"after": "done"}')
            self.line("")
        return b"".join(self.out)

    def writes(self, body: bytes) -> list[bytes]:
        """The body cut at `cuts`, framed as the response's transfer encoding needs."""
        points = sorted({c % (len(body) + 1) for c in self.cuts} | {0, len(body)})
        pieces = [body[a:b] for a, b in itertools.pairwise(points) if b > a]
        if self.framing == "chunked":
            framed = [f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces]
            return [*framed, b"0\r\n\r\n"]
        return pieces

    def head(self, body: bytes) -> bytes:
        # One response per connection: a pooled connection this server already closed would race.
        headers = {"content-type": "text/event-stream", "x-request-id": "req_fuzz", "connection": "close"}
        if self.framing == "length":
            headers["content-length"] = str(len(body))
        elif self.framing == "chunked":
            headers["transfer-encoding"] = "chunked"
        return response(200, headers)


@st.composite
def encodings(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Encoding, bytes]:
    events = draw(st.lists(chunk(), min_size=0, max_size=6))
    enc = Encoding(
        choices=draw(st.lists(st.integers(0, 255), min_size=1, max_size=32)),
        framing=draw(st.sampled_from(["close", "length", "chunked"])),
        done=draw(st.booleans()),
        cuts=[],
    )
    body = enc.body(events)
    # Random cuts, plus cuts just after a UTF-8 lead byte (inside a multi-byte character).
    inside = [i + 1 for i, b in enumerate(body) if b >= 0xC0]
    enc.cuts = draw(st.lists(st.integers(0, len(body)), max_size=12))
    if inside:
        enc.cuts += draw(st.lists(st.sampled_from(inside), max_size=4))
    return events, enc, body


class Feed:
    """One raw server for a whole property test; each example sets what it answers."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.lock = threading.Lock()
        self.server = RawServer(self._handle)

    def _handle(self, conn: RawConn) -> None:
        with self.lock:
            writes = list(self.writes)
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for w in writes:
            if not conn.send(w):
                return
            time.sleep(0.001)  # so each write reaches the client as its own read, most of the time

    def serve(self, enc: Encoding, body: bytes) -> None:
        with self.lock:
            self.writes = [enc.head(body), *enc.writes(body)]


@pytest.fixture(scope="module")
def feed() -> Iterator[Feed]:
    f = Feed()
    with f.server:
        yield f


@pytest.fixture(scope="module")
def fuzz_client(feed: Feed) -> Iterator[Client]:
    with Client(api_key="k", base_url=feed.server.url, max_retries=0, timeout=30) as c:
        yield c


@hsettings(max_examples=examples(60))
@given(case=encodings())
def test_sync_stream_yields_exactly_the_events(feed: Feed, fuzz_client: Client, case: Any) -> None:
    events, enc, body = case
    feed.serve(enc, body)
    with fuzz_client.completions.create(canvas_id="c", stream=True) as stream:
        got = [c.to_dict() for c in stream]
        final = stream.final()
    assert got == events
    assert final.text == "".join(e["choices"][0]["delta"]["content"] for e in events)
    assert stream.request_id == "req_fuzz"


@hsettings(max_examples=examples(25))
@given(case=encodings())
def test_async_stream_yields_exactly_the_events(feed: Feed, case: Any) -> None:
    events, enc, body = case
    feed.serve(enc, body)

    async def run() -> list[dict[str, Any]]:
        async with AsyncClient(api_key="k", base_url=feed.server.url, max_retries=0, timeout=30) as client:
            stream = await client.completions.create(canvas_id="c", stream=True)
            async with stream:
                return [c.to_dict() async for c in stream]

    assert asyncio.run(run()) == events
