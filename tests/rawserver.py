"""A TCP server on 127.0.0.1 that answers with exactly the bytes a test gives.

The emulator is a polite server; real servers and proxies are not. Tests of failure paths
(truncated frames, wrong content types, redirects, stalls, bytes split anywhere) use this
instead, so the SDK is tested over real TCP against the exact bytes that go on the wire.

    def handler(conn: RawConn) -> None:
        conn.send(response(200, {"content-type": "text/event-stream"}))
        conn.send(b'data: {"choices": []}\\n\\n')
        conn.close()

    with RawServer(handler) as srv:
        client = Client(api_key="k", base_url=srv.url, max_retries=0)
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

__all__ = ["RawConn", "RawRequest", "RawServer", "response"]


@dataclass
class RawRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RawConn:
    """One accepted connection, its parsed request, and ways to answer it byte by byte."""

    sock: socket.socket
    request: RawRequest
    closed_by_peer: threading.Event = field(default_factory=threading.Event)

    def send(self, data: bytes) -> bool:
        """Sends bytes; False when the peer has gone away."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            self.closed_by_peer.set()
            return False

    def wait_peer_close(self, timeout: float) -> bool:
        """Waits until the client closes its end (EOF or reset); True if it did in time."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
        except TimeoutError:
            return False
        except OSError:
            pass
        self.closed_by_peer.set()
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


Handler = Callable[[RawConn], None]


def response(
    status: int = 200,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
    reason: str = "X",
) -> bytes:
    """The head of an HTTP/1.1 response (plus `body` with its Content-Length, if given).

    It says `connection: close` unless `headers` name a connection: the server answers one
    request per connection and then closes it, and a client that pooled the connection would
    otherwise race that close with its next request (a redirect's, say).
    """
    items = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    if not any(k.lower() == "connection" for k, _ in items):
        items.append(("connection", "close"))
    if body is not None and not any(k.lower() == "content-length" for k, _ in items):
        items.append(("content-length", str(len(body))))
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in items) + "\r\n"
    return head.encode("latin-1") + (body or b"")


def _read_request(sock: socket.socket) -> RawRequest | None:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return RawRequest(method, path, headers, rest[:length])


class RawServer:
    """Serves each connection on its own thread with `handler`, which owns the socket.

    `requests` records every request received; `connections` every accepted connection, so
    a test can wait on `conn.closed_by_peer` or call `conn.wait_peer_close()`.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[RawRequest] = []
        self.connections: list[RawConn] = []
        self.accepted = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            request = _read_request(sock)
        except OSError:
            request = None
        if request is None:
            sock.close()
            return
        conn = RawConn(sock, request)
        with self._lock:
            self.requests.append(request)
            self.connections.append(conn)
        self.accepted.set()
        try:
            self._handler(conn)
        except OSError:
            conn.closed_by_peer.set()
        finally:
            conn.close()

    def close(self) -> None:
        self._stopping = True
        self._listener.close()
        with self._lock:
            conns = list(self.connections)
        for conn in conns:
            conn.close()
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
