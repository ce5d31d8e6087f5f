"""The transport under bytes that arrive in awkward pieces, fork, and closed clients (issue 22).

Over real TCP (tests/rawserver.py): a body whose first read is exactly half of it, a stream
read in a forked child, and the sockets a closed sync client leaves behind.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
import threading
import time
from typing import Any

import pytest

from tela_sdk import APIConnectionError, AsyncClient, Client, InvalidRequestError

from .rawserver import RawConn, RawServer, _read_request, response

JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream"}
CHUNK = b'data: {"choices": [{"delta": {"content": "hi"}}]}\n\n'
# Generous for a loaded 2-core machine; only reached when the SDK is broken.
DEADLINE = 30.0


def _body(size: int) -> bytes:
    """A completion of exactly `size` bytes (even, so it splits into two equal halves)."""
    empty = json.dumps({"id": "", "choices": []}).encode()
    body = json.dumps({"id": "x" * (size - len(empty)), "choices": []}).encode()
    assert len(body) == size
    assert size % 2 == 0
    return body


def _unread_bytes(conn: RawConn) -> int | None:
    """Bytes the client has not yet read from its socket: the receive queue of the client's
    end of `conn` (same process, loopback), from /proc/net/tcp. None once it is gone."""
    port = conn.sock.getpeername()[1]
    local = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == local:
                return int(fields[4].split(":")[1], 16)
    return None


def _send_half_then_wait_until_read(conn: RawConn, body: bytes) -> None:
    """Head and first half in one write, then wait until the client has read them (its
    receive queue is empty), so the second half can only arrive in a later read."""
    half = len(body) // 2
    conn.send(response(200, {**JSON, "content-length": str(len(body))}) + body[:half])
    end = time.monotonic() + DEADLINE
    while _unread_bytes(conn) != 0:
        assert time.monotonic() < end, "the client never read the first half"
        time.sleep(0.001)


needs_proc_net = pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc/net/tcp")


# --- item 2: a first chunk of exactly half the body -----------------------------------------


@needs_proc_net
@pytest.mark.parametrize("size", [32, 200, 2_000, 8_000])
def test_a_body_read_in_two_halves_is_read_whole(size: int) -> None:
    body = _body(size)

    def handler(conn: RawConn) -> None:
        _send_half_then_wait_until_read(conn, body)
        conn.send(body[len(body) // 2 :])
        conn.wait_peer_close(DEADLINE)

    with RawServer(handler) as srv, Client(api_key="k", base_url=srv.url, max_retries=0) as c:
        completion = c.completions.create(canvas_id="c")
        assert completion.id == json.loads(body)["id"]


@needs_proc_net
@pytest.mark.parametrize("size", [32, 2_000])
def test_a_body_cut_at_the_halfway_point_is_a_connection_error(size: int) -> None:
    body = _body(size)

    def handler(conn: RawConn) -> None:
        _send_half_then_wait_until_read(conn, body)
        conn.close()

    with RawServer(handler) as srv, Client(api_key="k", base_url=srv.url, max_retries=0) as c:
        with pytest.raises(APIConnectionError):
            c.completions.create(canvas_id="c")
        assert len(srv.requests) == 1


@needs_proc_net
async def test_async_body_read_in_two_halves_is_read_whole() -> None:
    body = _body(2_000)

    def handler(conn: RawConn) -> None:
        _send_half_then_wait_until_read(conn, body)
        conn.send(body[len(body) // 2 :])
        conn.wait_peer_close(DEADLINE)

    with RawServer(handler) as srv:
        async with AsyncClient(api_key="k", base_url=srv.url, max_retries=0) as c:
            completion = await c.completions.create(canvas_id="c")
    assert completion.id == json.loads(body)["id"]


# --- item 3: a stream opened before fork() and read in the child ----------------------------

# The child's exit codes.
SAW_TYPED_ERROR = 0
SAW_OTHER_ERROR = 2
READ_SOMETHING = 3


def _held_stream(conn: RawConn) -> None:
    """One event, then nothing: the stream stays open until the client goes away."""
    conn.send(response(200, SSE) + CHUNK)
    conn.wait_peer_close(DEADLINE * 2)


def _run_child(read: Any) -> int:
    """Forks; the child calls `read()` and exits with what it saw. The parent waits with a
    deadline and kills a child that hangs (then the test fails instead of hanging)."""
    pid = os.fork()
    if pid == 0:
        code = SAW_OTHER_ERROR
        try:
            read()
            code = READ_SOMETHING
        except InvalidRequestError as e:
            ok = "fork" in str(e) and "belongs" in str(e)
            code = SAW_TYPED_ERROR if ok else SAW_OTHER_ERROR
        except BaseException:
            code = SAW_OTHER_ERROR
        finally:
            os._exit(code)
    status: list[int] = []
    done = threading.Event()

    def reap() -> None:
        status.append(os.waitpid(pid, 0)[1])
        done.set()

    threading.Thread(target=reap, daemon=True).start()
    if not done.wait(DEADLINE):
        os.kill(pid, signal.SIGKILL)
        done.wait(DEADLINE)
        pytest.fail("the child hung reading the parent's stream")
    return os.waitstatus_to_exitcode(status[0])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_stream_read_in_a_forked_child_raises_a_typed_error() -> None:
    with RawServer(_held_stream) as srv, Client(api_key="k", base_url=srv.url, max_retries=0) as c:
        stream = c.completions.create(canvas_id="c", stream=True)
        assert next(iter(stream)).choices[0].delta.content == "hi"
        assert _run_child(lambda: next(iter(stream))) == SAW_TYPED_ERROR
        # The parent's stream is unharmed: it is still open, and closes when asked.
        stream.close()
        srv.connections[0].closed_by_peer.wait(DEADLINE)
        assert srv.connections[0].closed_by_peer.is_set()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_an_async_stream_read_in_a_forked_child_raises_a_typed_error() -> None:
    with RawServer(_held_stream) as srv:

        async def open_stream() -> Any:
            c = AsyncClient(api_key="k", base_url=srv.url, max_retries=0)
            stream = await c.completions.create(canvas_id="c", stream=True)
            first = await stream.__anext__()
            assert first.choices[0].delta.content == "hi"
            return stream

        stream = asyncio.run(open_stream())

        async def read() -> None:
            await stream.__anext__()

        assert _run_child(lambda: asyncio.run(read())) == SAW_TYPED_ERROR


# --- item 6: sockets of closed sync clients ---------------------------------------------------


class _Counting:
    """A keep-alive server that knows which of its connections the client still holds."""

    def __init__(self) -> None:
        self.server = RawServer(self._handle)

    def _handle(self, conn: RawConn) -> None:
        # Answers every request the connection carries (keep-alive) until the client closes it.
        try:
            while (
                conn.send(response(200, {**JSON, "connection": "keep-alive"}, _body(32)))
                and _read_request(conn.sock) is not None
            ):
                pass
        except OSError:
            pass
        conn.closed_by_peer.set()

    def open_count(self) -> int:
        return sum(not c.closed_by_peer.is_set() for c in self.server.connections)

    def wait_all_closed(self) -> int:
        """Waits (up to the deadline) until the client has closed every connection; returns
        how many are still open."""
        end = time.monotonic() + DEADLINE
        for conn in list(self.server.connections):
            conn.closed_by_peer.wait(max(0.0, end - time.monotonic()))
        return self.open_count()


N_CLIENTS = 10


def test_closed_sync_clients_close_their_sockets() -> None:
    srv = _Counting()
    with srv.server:
        clients = [Client(api_key="k", base_url=srv.server.url, max_retries=0) for _ in range(N_CLIENTS)]
        for c in clients:
            c.completions.create(canvas_id="c")
        assert len(srv.server.connections) == N_CLIENTS
        for c in clients:
            c.close()
        # The clients are still referenced: close() alone must release the sockets, with
        # nothing else running.
        assert srv.wait_all_closed() == 0
        assert all(c._closed for c in clients)


def test_dropped_sync_clients_close_their_sockets() -> None:
    srv = _Counting()
    with srv.server:

        def use_once() -> None:
            Client(api_key="k", base_url=srv.server.url, max_retries=0).completions.create(canvas_id="c")

        for _ in range(N_CLIENTS):
            use_once()
        gc.collect()
        assert len(srv.server.connections) == N_CLIENTS
        assert srv.wait_all_closed() == 0


def test_closing_a_client_keeps_the_pool_of_its_copies() -> None:
    srv = _Counting()
    with srv.server:
        c = Client(api_key="k", base_url=srv.server.url, max_retries=0)
        copy = c.with_options(max_retries=1)
        assert c._native.shares_pool_with(copy._native)
        c.completions.create(canvas_id="c")
        c.close()
        # The copy still uses the pool: its connection is reused, not reopened.
        assert copy.completions.create(canvas_id="c").id
        assert len(srv.server.connections) == 1
        assert srv.open_count() == 1
        copy.close()
        assert srv.wait_all_closed() == 0


def test_a_closed_client_refuses_calls() -> None:
    srv = _Counting()
    with srv.server:
        c = Client(api_key="k", base_url=srv.server.url, max_retries=0)
        c.close()
        c.close()  # idempotent
        with pytest.raises(Exception, match="closed"):
            c.completions.create(canvas_id="c")
        assert "Client(" in repr(c)
        assert srv.server.requests == []


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="POSIX sockets and fork")
