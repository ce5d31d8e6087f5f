"""Servers that answer what the call does not expect, over real TCP (tests/rawserver.py).

Every error is a ``TelaError``; a body or event the SDK cannot read fails at once, naming the
call; redirects leave the origin only by the user's choice; secrets stay out of messages.
"""

from __future__ import annotations

import atexit
import json
import math
import socket
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import tela_sdk
from tela_sdk import (
    APIConnectionError,
    APIResponseValidationError,
    AsyncClient,
    Client,
    DifyClient,
    File,
    InsecureTransportWarning,
    InvalidRequestError,
    RedirectError,
    TelaError,
)
from tela_sdk.testing import Emulator

from .rawserver import RawConn, RawServer, response

SSE = {"content-type": "text/event-stream"}
CHUNK = b'data: {"choices": [{"delta": {"content": "hi"}}]}\n\n'


def sse(*frames: bytes) -> Callable[[RawConn], None]:
    def handler(conn: RawConn) -> None:
        conn.send(response(200, SSE))
        for f in frames:
            conn.send(f)

    return handler


def json_answer(body: bytes, headers: dict[str, str] | None = None) -> Callable[[RawConn], None]:
    def handler(conn: RawConn) -> None:
        conn.send(response(200, headers if headers is not None else {"content-type": "application/json"}, body))

    return handler


def client(srv: RawServer, **options: Any) -> Client:
    return Client(api_key="k", base_url=srv.url, max_retries=0, **options)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    # Held, never listening: refused, and no server of another test (or xdist worker) can take it.
    atexit.register(s.close)
    return port


# --- item 2: events that are not JSON --------------------------------------------------------


def test_a_non_json_event_raises_after_the_good_events_sync() -> None:
    with RawServer(sse(CHUNK, CHUNK, b"data: <html>oops\n\n", CHUNK)) as srv:
        got = []
        with pytest.raises(APIResponseValidationError, match=r"POST /v2/chat/completions.*not JSON") as info:
            for chunk in client(srv).completions.create(canvas_id="c", stream=True):
                got.append(chunk.text)
    assert got == ["hi", "hi"]
    assert info.value.status_code == 200


async def test_a_non_json_event_raises_after_the_good_events_async() -> None:
    with RawServer(sse(CHUNK, b"data: {truncated\n\n")) as srv:
        got = []
        async with AsyncClient(api_key="k", base_url=srv.url, max_retries=0) as c:
            stream = await c.completions.create(canvas_id="c", stream=True)
            with pytest.raises(APIResponseValidationError, match=r"POST /v2/chat/completions"):
                async for chunk in stream:
                    got.append(chunk.text)
    assert got == ["hi"]


def test_a_non_json_dify_event_raises_after_the_good_events() -> None:
    good = b'data: {"event": "message", "answer": "hi", "task_id": "t", "message_id": "m"}\n\n'
    with RawServer(sse(good, b"data: nope\n\n")) as srv:
        dify = DifyClient(api_key="k", base_url=srv.url, max_retries=0)
        got = []
        with pytest.raises(APIResponseValidationError, match=r"POST /completion-messages.*not JSON"):
            for ev in dify.completion_messages.create(inputs={}, user="u", stream=True):
                got.append(ev.event)
    assert got == ["message"]


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        (b"data: 42\n\n", "a JSON object"),
        (b'data: "text"\n\n', "a JSON object"),
        (b"data: [1,2]\n\n", "a JSON object"),
        (b"data: null\n\n", "a JSON object"),
        (b"data:\n\n", "empty"),
        (b'data: {"choices": 5}\n\n', "choices to be a list of objects"),
        (b'data: {"choices": [{"delta": "x"}]}\n\n', "delta to be a JSON object"),
    ],
)
def test_an_event_of_the_wrong_shape_raises_at_once(frame: bytes, says: str) -> None:
    with RawServer(sse(CHUNK, frame)) as srv:
        stream = client(srv).completions.create(canvas_id="c", stream=True)
        assert next(stream).text == "hi"
        with pytest.raises(APIResponseValidationError, match=says):
            next(stream)


# --- item 2: values that cannot be sent ------------------------------------------------------


class Opaque:
    pass


def deep(n: int) -> Any:
    v: Any = "x"
    for _ in range(n):
        v = [v]
    return v


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda c: c.completions.create(canvas_id="c", variables={"x": math.nan}), "NaN"),
        (lambda c: c.completions.create(canvas_id="c", variables={"x": math.inf}), "infinity"),
        (lambda c: c.completions.create(canvas_id="c", variables={"x": {1, 2}}), "set"),
        (lambda c: c.completions.create(canvas_id="c", variables={"x": Opaque()}), "Opaque"),
        (lambda c: c.completions.create(canvas_id="c", override={1: "x"}), "keys must be str"),
        (lambda c: c.completions.create(canvas_id="c", extra_body={"x": deep(100)}), "nested"),
        (lambda c: c.completions.create(canvas_id="c", timeout="5"), "timeout"),
        (lambda c: c.completions.create(canvas_id="c", max_retries="2"), "max_retries"),
        (lambda c: c.completions.create(canvas_id="c", variables={"f": File(123)}), "File"),  # type: ignore[arg-type]
    ],
)
def test_values_that_cannot_be_sent_raise_invalid_request(call: Callable[[Client], Any], says: str) -> None:
    with RawServer(json_answer(b"{}")) as srv:
        with pytest.raises(InvalidRequestError, match=says) as info:
            call(client(srv))
        assert srv.requests == []
    # Code written against earlier versions catches TypeError.
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, TelaError)


# --- item 3: answers that are not what the call expects --------------------------------------


@pytest.mark.parametrize(
    ("headers", "body", "says"),
    [
        ({"content-type": "text/html"}, b"<html><body>Log in to the Wi-Fi</body></html>", r'"text/html".*<html>'),
        (
            {"content-type": "application/json"},
            b'{"choices": [{"message": {"content": "hi"}}]}',
            r'"application/json".*choices',
        ),
        ({}, b"", "no Content-Type and an empty body"),
    ],
)
def test_stream_answered_by_something_else_raises(headers: dict[str, str], body: bytes, says: str) -> None:
    with RawServer(json_answer(body, headers)) as srv, pytest.raises(APIResponseValidationError, match=says) as info:
        client(srv).completions.create(canvas_id="c", stream=True)
    assert "POST /v2/chat/completions" in str(info.value)


def test_stream_answered_by_204_raises() -> None:
    def handler(conn: RawConn) -> None:
        conn.send(b"HTTP/1.1 204 No Content\r\n\r\n")

    with RawServer(handler) as srv, pytest.raises(APIResponseValidationError, match=r"HTTP 204.*no Content-Type"):
        client(srv).completions.create(canvas_id="c", stream=True)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"42", "a JSON object"),
        (b'"text"', "a JSON object"),
        (b"[1,2]", "a JSON object"),
        (b"null", "a JSON object"),
        (b"", "empty"),
        (b'{"choices": 5}', "choices to be a list of objects"),
        (b'{"choices": [{"message": 5}]}', "message to be a JSON object"),
        (b"<html>", "not JSON"),
    ],
)
def test_a_body_of_the_wrong_shape_raises_naming_the_call(body: bytes, says: str) -> None:
    with RawServer(json_answer(body)) as srv, pytest.raises(APIResponseValidationError, match=says) as info:
        client(srv).completions.create(canvas_id="c")
    assert "Unexpected response from POST /v2/chat/completions (HTTP 200)" in str(info.value)


def test_a_dify_answer_of_the_wrong_shape_raises() -> None:
    with RawServer(json_answer(b"[]")) as srv:
        dify = DifyClient(api_key="k", base_url=srv.url, max_retries=0)
        with pytest.raises(APIResponseValidationError, match="POST /completion-messages"):
            dify.completion_messages.create(inputs={}, user="u")


# --- item 4: a cap on one event --------------------------------------------------------------


def test_a_64_mib_event_is_delivered() -> None:
    text = "x" * (64 * 1024 * 1024)
    frame = b'data: {"choices": [{"delta": {"content": "' + text.encode() + b'"}}]}\n\n'
    with RawServer(sse(frame)) as srv:
        chunks = list(client(srv).completions.create(canvas_id="c", stream=True))
    assert len(chunks) == 1
    assert chunks[0].text == text
    assert Client(api_key="k", base_url=srv.url).max_event_bytes == 128 * 1024 * 1024


def test_an_endless_line_raises_naming_the_cap() -> None:
    sent = [0]
    done = threading.Event()

    def handler(conn: RawConn) -> None:
        conn.send(response(200, SSE) + b"data: ")
        block = b"x" * 65536
        # Never a newline: without a cap the client would buffer until the idle timeout.
        while conn.send(block) and sent[0] < 512 * 1024 * 1024:
            sent[0] += len(block)
        done.set()

    with RawServer(handler) as srv:
        stream = client(srv, max_event_bytes=1024 * 1024).completions.create(canvas_id="c", stream=True)
        with pytest.raises(APIResponseValidationError, match=r"max_event_bytes=1048576") as info:
            next(stream)
        # The client closes the connection: the server sees it long before its 512 MiB.
        assert done.wait(30)
    assert sent[0] < 256 * 1024 * 1024
    assert "POST /v2/chat/completions" in str(info.value)


def test_max_event_bytes_must_be_positive() -> None:
    with pytest.raises(tela_sdk.ConfigurationError, match="max_event_bytes"):
        Client(api_key="k", base_url="http://127.0.0.1:1", max_event_bytes=0)


# --- item 5: redirects, passwords, proxies, plain http ---------------------------------------


def test_a_cross_origin_redirect_is_not_followed() -> None:
    with RawServer(json_answer(b'{"choices": []}')) as other:
        target = f"{other.url}/v2/chat/completions"

        def redirect(conn: RawConn) -> None:
            conn.send(response(307, {"location": target, "content-length": "0"}))

        with RawServer(redirect) as srv:
            c = client(srv, default_headers={"x-team": "secret-team"})
            with pytest.raises(RedirectError, match=f"another origin: {target}") as info:
                c.completions.create(canvas_id="c", extra_headers={"x-private": "p"})
            assert len(srv.requests) == 1
        assert other.requests == []
    assert info.value.location == target
    assert info.value.status_code == 307


def test_a_same_origin_redirect_is_followed() -> None:
    def handler(conn: RawConn) -> None:
        if conn.request.path == "/v2/chat/completions":
            conn.send(response(308, {"location": "/moved/v2/chat/completions", "content-length": "0"}))
        else:
            conn.send(response(200, {"content-type": "application/json"}, b'{"choices": []}'))

    with RawServer(handler) as srv:
        client(srv).completions.create(canvas_id="c")
        assert [r.path for r in srv.requests] == ["/v2/chat/completions", "/moved/v2/chat/completions"]
        assert json.loads(srv.requests[1].body)["canvas_id"] == "c"


def test_a_password_in_base_url_is_masked() -> None:
    port = closed_port()
    c = Client(api_key="k", base_url=f"http://user:s3cret-pw@127.0.0.1:{port}", max_retries=0)
    assert "s3cret-pw" not in repr(c)
    assert "s3cret-pw" not in c.base_url
    with pytest.raises(APIConnectionError) as info:
        c.completions.create(canvas_id="c")
    assert "s3cret-pw" not in str(info.value)
    assert f"http://user:***@127.0.0.1:{port}" in str(info.value)


def test_a_refusing_proxy_is_named() -> None:
    port = closed_port()
    with RawServer(json_answer(b"{}")) as srv:
        c = client(srv, proxy=f"http://proxyuser:proxypw@127.0.0.1:{port}")
        with pytest.raises(APIConnectionError, match=f"proxy http://proxyuser:\\*\\*\\*@127.0.0.1:{port}") as info:
            c.completions.create(canvas_id="c")
        assert srv.requests == []
    assert "proxypw" not in str(info.value)
    assert info.value.kind == "refused"


def _set_proxy_env(monkeypatch: pytest.MonkeyPatch, proxy: str | None, no_proxy: str | None = None) -> None:
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        if proxy is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, proxy)
    for var in ("NO_PROXY", "no_proxy"):
        if no_proxy is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, no_proxy)


def test_a_refusing_proxy_from_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    _set_proxy_env(monkeypatch, f"http://envuser:envpw@127.0.0.1:{port}")
    with RawServer(json_answer(b"{}")) as srv:
        c = client(srv)
        with pytest.raises(APIConnectionError, match=f"proxy http://127.0.0.1:{port}/ ") as info:
            c.completions.create(canvas_id="c")
        assert srv.requests == []
    message = str(info.value)
    assert "environment" in message
    assert "trust_env=False" in message
    assert "envpw" not in message
    assert "envuser" not in message


def test_no_proxy_and_trust_env_false_bypass_the_environment_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    with RawServer(json_answer(b"{}")) as srv:
        _set_proxy_env(monkeypatch, dead, no_proxy="127.0.0.1")
        client(srv).completions.create(canvas_id="c")
        _set_proxy_env(monkeypatch, dead)
        client(srv, trust_env=False).completions.create(canvas_id="c")
        assert len(srv.requests) == 2
    # A refused target with no proxy in play names no proxy.
    _set_proxy_env(monkeypatch, dead)
    with pytest.raises(APIConnectionError) as info:
        Client(
            api_key="k", base_url=f"http://127.0.0.1:{closed_port()}", max_retries=0, trust_env=False
        ).completions.create(canvas_id="c")
    assert "proxy" not in str(info.value)


def test_emulator_clients_ignore_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(var, dead)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with Emulator(strict=True) as emu:
        canvas = emu.add_canvas(template="t", reply="hello")
        with emu.client(max_retries=0) as c:
            assert c.completions.create(canvas_id=canvas.id).content == "hello"
        app = emu.add_dify_app(answer="hi")
        assert emu.dify_client(app).completion_messages.create(inputs={}, user="u").answer == "hi"
        # A client the user builds still honours the variables (trust_env defaults to True).
        plain = Client(api_key=emu.api_key, base_url=emu.url, max_retries=0)
        with pytest.raises(APIConnectionError, match="refused"):
            plain.completions.create(canvas_id=canvas.id)


def test_a_key_over_plain_http_warns_once() -> None:
    with pytest.warns(InsecureTransportWarning, match=r"http://warn-once\.invalid.*unencrypted") as record:
        Client(api_key="k", base_url="http://warn-once.invalid")
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Client(api_key="k", base_url="http://warn-once.invalid")
        for quiet in (
            "https://warn-once.invalid",
            "http://127.0.0.1:1",
            "http://127.8.9.10:1",
            "http://localhost:1",
            "http://[::1]:1",
        ):
            Client(api_key="k", base_url=quiet)
    with pytest.warns(InsecureTransportWarning):
        DifyClient(api_key="k", base_url="http://warn-once-dify.invalid/v1")
    base = Client(api_key="k", base_url="http://127.0.0.1:1")
    with pytest.warns(InsecureTransportWarning):
        base.with_options(base_url="http://warn-once-copy.invalid")
