"""The error hierarchy over real HTTP: status -> class, the attributes every API error
carries, and the connection failures (refused, dropped, DNS)."""

from __future__ import annotations

import atexit
import socket
from typing import Any

import pytest

import tela_sdk
from tela_sdk import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsecureTransportWarning,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    TelaError,
    UnprocessableEntityError,
    UsageLimitError,
)

STATUS_CLASSES: list[tuple[int, type[APIStatusError]]] = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (502, InternalServerError),
    (503, InternalServerError),
    (504, InternalServerError),
    (418, APIStatusError),
    (402, UsageLimitError),
]

SPECIFIC = (
    BadRequestError,
    AuthenticationError,
    PermissionDeniedError,
    NotFoundError,
    ConflictError,
    UnprocessableEntityError,
    RateLimitError,
    InternalServerError,
    UsageLimitError,
)


_HELD: list[socket.socket] = []


def _closed_port_url() -> str:
    """A port that refuses connections: bound (so no other test's server, in this or another
    pytest-xdist worker, can take it) but never listening."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    atexit.register(s.close)
    return f"http://127.0.0.1:{s.getsockname()[1]}"


def _envelope(status: int) -> dict[str, Any]:
    return {
        "name": "Error",
        "code": f"CODE_{status}",
        "message": f"server says {status}",
        "status": status,
        "details": {"hint": "h"},
    }


def _check_status_error(err: APIStatusError, status: int, cls: type[APIStatusError]) -> None:
    assert type(err) is cls
    assert isinstance(err, APIStatusError)
    assert isinstance(err, APIError)
    assert isinstance(err, TelaError)
    assert not isinstance(err, APIConnectionError)
    if cls is APIStatusError:
        assert not isinstance(err, SPECIFIC)
    assert err.status_code == status
    assert err.code == f"CODE_{status}"
    assert err.body == _envelope(status)
    assert f"server says {status}" in err.message
    assert err.message == str(err)
    assert f"HTTP {status}" in str(err)
    assert err.request_id is not None
    assert err.request_id.startswith("req_")
    assert err.request_id in str(err)


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_status_maps_to_class(emulator, canvas, client, status, cls):
    emulator.fail(status=status, body=_envelope(status))
    with pytest.raises(cls) as info:
        client.completions.create(canvas_id=canvas.id)
    _check_status_error(info.value, status, cls)
    assert len(emulator.requests) == 1
    assert emulator.requests[0].status == status


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
async def test_async_status_maps_to_class(emulator, canvas, aclient, status, cls):
    emulator.fail(status=status, body=_envelope(status))
    with pytest.raises(cls) as info:
        await aclient.completions.create(canvas_id=canvas.id)
    _check_status_error(info.value, status, cls)
    assert len(emulator.requests) == 1


def test_class_is_chosen_by_status_not_body(emulator, canvas, client):
    # A body that claims another status must not change the class.
    emulator.fail(status=404, body={"code": "RATE_LIMITED", "message": "m", "status": 429})
    with pytest.raises(NotFoundError) as info:
        client.completions.create(canvas_id=canvas.id)
    assert info.value.status_code == 404
    assert info.value.code == "RATE_LIMITED"


def test_wrong_api_key_is_an_authentication_error(emulator, canvas):
    bad_key = "sk-wrong-0123456789abcdef"
    client = tela_sdk.Client(api_key=bad_key, base_url=emulator.url, max_retries=0)
    with pytest.raises(AuthenticationError) as info:
        client.completions.create(canvas_id=canvas.id)
    err = info.value
    assert err.status_code == 401
    assert err.code == "UNAUTHORIZED"
    assert isinstance(err.body, dict)
    assert err.body["status"] == 401
    assert err.request_id is not None
    assert err.request_id.startswith("req_")
    assert bad_key not in str(err)
    assert "0123456789" not in repr(err)


async def test_async_wrong_api_key_is_an_authentication_error(emulator, canvas):
    client = tela_sdk.AsyncClient(api_key="sk-wrong-key-abcdef", base_url=emulator.url, max_retries=0)
    with pytest.raises(AuthenticationError) as info:
        await client.completions.create(canvas_id=canvas.id)
    assert info.value.status_code == 401


def test_default_envelope_is_parsed(emulator, canvas, client):
    emulator.fail(status=403)
    with pytest.raises(PermissionDeniedError) as info:
        client.completions.create(canvas_id=canvas.id)
    err = info.value
    assert err.code == "FORBIDDEN"
    assert err.body == {"name": "Error", "code": "FORBIDDEN", "message": "Injected fault: Forbidden", "status": 403}
    assert "Injected fault: Forbidden" in str(err)


def test_wrapped_error_envelope_is_parsed(emulator, canvas, client):
    emulator.fail(status=422, body={"error": {"code": "BAD_SCHEMA", "message": "field x is wrong"}})
    with pytest.raises(UnprocessableEntityError) as info:
        client.completions.create(canvas_id=canvas.id)
    assert info.value.code == "BAD_SCHEMA"
    assert "field x is wrong" in str(info.value)
    assert info.value.body == {"error": {"code": "BAD_SCHEMA", "message": "field x is wrong"}}


def test_non_json_error_body_is_kept_as_text(emulator, canvas, client):
    emulator.fail(status=502, body="<html>Bad gateway</html>")
    with pytest.raises(InternalServerError) as info:
        client.completions.create(canvas_id=canvas.id)
    err = info.value
    assert err.status_code == 502
    assert err.code is None
    assert err.body == "<html>Bad gateway</html>"
    assert "Bad gateway" in str(err)


def test_empty_error_body_uses_the_reason_phrase(emulator, canvas, client):
    emulator.fail(status=503, body="")
    with pytest.raises(InternalServerError) as info:
        client.completions.create(canvas_id=canvas.id)
    assert info.value.body is None
    assert info.value.code is None
    assert "Service Unavailable" in str(info.value)


def test_server_validation_error_is_a_bad_request(emulator, canvas, client):
    # extra_body is unchecked by design, so the server is the one to reject this.
    with pytest.raises(BadRequestError) as info:
        client.completions.create(canvas_id=canvas.id, extra_body={"variables": "not an object"})
    assert info.value.code == "INVALID_SCHEMA"
    assert "variables" in str(info.value)


def test_callback_failure_is_an_internal_server_error(emulator, client):
    def reply(request: Any) -> str:
        raise RuntimeError("model exploded")

    broken = emulator.add_canvas(reply=reply)
    with pytest.raises(InternalServerError) as info:
        client.completions.create(canvas_id=broken.id)
    assert info.value.status_code == 500
    assert "model exploded" in str(info.value)


# --- connection failures ----------------------------------------------------------------


def test_connection_refused(emulator):
    client = tela_sdk.Client(api_key="k", base_url=_closed_port_url(), max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        client.completions.create(canvas_id="c")
    err = info.value
    assert type(err) is APIConnectionError
    assert not isinstance(err, APITimeoutError)
    assert not isinstance(err, APIStatusError)
    assert isinstance(err, APIError)
    assert isinstance(err, TelaError)
    assert err.kind == "refused"
    assert "refused" in str(err)
    assert err.status_code is None
    assert err.request_id is None


async def test_async_connection_refused(emulator):
    client = tela_sdk.AsyncClient(api_key="k", base_url=_closed_port_url(), max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        await client.completions.create(canvas_id="c")
    assert type(info.value) is APIConnectionError
    assert info.value.kind == "refused"
    assert "refused" in str(info.value)


def test_dropped_connection_is_a_connection_error_sent_once(emulator, canvas):
    client = emulator.client(max_retries=2)
    emulator.fail(drop=True)
    with pytest.raises(APIConnectionError) as info:
        client.completions.create(canvas_id=canvas.id)
    err = info.value
    assert not isinstance(err, APITimeoutError)
    assert not isinstance(err, TimeoutError)
    assert err.kind in ("incomplete", "reset")
    # The server may have started the run: the POST must not be repeated.
    posts = [r for r in emulator.requests if r.method == "POST"]
    assert len(posts) == 1
    assert posts[0].status == 0


def test_dropped_reused_connection_is_sent_once(emulator, canvas):
    client = emulator.client(max_retries=2)
    client.completions.create(canvas_id=canvas.id)  # leaves a pooled keep-alive connection
    emulator.clear_requests()
    emulator.fail(drop=True)
    with pytest.raises(APIConnectionError):
        client.completions.create(canvas_id=canvas.id)
    assert len(emulator.requests) == 1


async def test_async_dropped_connection_is_a_connection_error_sent_once(emulator, canvas):
    client = emulator.async_client(max_retries=2)
    emulator.fail(drop=True)
    with pytest.raises(APIConnectionError) as info:
        await client.completions.create(canvas_id=canvas.id)
    assert not isinstance(info.value, APITimeoutError)
    assert info.value.kind in ("incomplete", "reset")
    assert len(emulator.requests) == 1


def test_dns_failure(emulator):
    # Plain http:// to a host that is not loopback: the key-in-clear warning is part of the contract.
    with pytest.warns(InsecureTransportWarning, match="does-not-exist.invalid"):
        client = tela_sdk.Client(
            api_key="k",
            base_url="http://does-not-exist.invalid",
            max_retries=0,
            timeout=tela_sdk.Timeout(connect=5, total=10),
        )
    with pytest.raises(APIConnectionError) as info:
        client.completions.create(canvas_id="c")
    assert type(info.value) is APIConnectionError
    assert info.value.kind == "dns"
    assert "does-not-exist.invalid" in str(info.value)
    assert "resolve" in str(info.value)


async def test_async_dns_failure(emulator):
    # Its own host: the warning comes once per base URL and process.
    with pytest.warns(InsecureTransportWarning, match="does-not-exist-async.invalid"):
        client = tela_sdk.AsyncClient(
            api_key="k",
            base_url="http://does-not-exist-async.invalid",
            max_retries=0,
            timeout=tela_sdk.Timeout(connect=5, total=10),
        )
    with pytest.raises(APIConnectionError) as info:
        await client.completions.create(canvas_id="c")
    assert info.value.kind == "dns"


def test_timeout_error_is_also_a_builtin_timeout_error(emulator, canvas, client):
    assert issubclass(APITimeoutError, TimeoutError)
    assert issubclass(APITimeoutError, APIConnectionError)
    emulator.fail(delay=3)
    with pytest.raises(TimeoutError) as info:
        client.completions.create(canvas_id=canvas.id, timeout=0.3)
    assert isinstance(info.value, APITimeoutError)
    assert isinstance(info.value, APIConnectionError)
    assert isinstance(info.value, TelaError)


def test_every_exported_error_is_a_tela_error():
    for name in tela_sdk.__all__:
        obj = getattr(tela_sdk, name)
        if isinstance(obj, type) and issubclass(obj, BaseException) and not issubclass(obj, Warning):
            assert issubclass(obj, TelaError), name


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda c: c.completions.create(canvas_id=b"abc"), "canvas_id must be a non-empty string, got bytes"),
        (lambda c: c.completions.create(canvas_id=bytearray(b"a")), "canvas_id .* got bytearray"),
        (lambda c: c.completions.create(canvas_id=__import__("pathlib").Path("c")), "canvas_id .* got PosixPath"),
        (lambda c: c.completions.create(canvas_id="c", version_id=b"v"), "version_id .* got bytes"),
        (lambda c: c.completions.submit(application_id=b"a"), "application_id .* got bytes"),
        (lambda c: c.completions.retrieve(b"r"), "the id must be a non-empty string, got bytes"),
        (lambda c: c.completions.wait(b"r"), "the id must be a non-empty string, got bytes"),
        (lambda c: c.files.retrieve(b"f"), "the id must be a non-empty string, got bytes"),
        (lambda c: c.completions.list(prompt_id=b"p"), "prompt_id .* got bytes"),
    ],
)
def test_an_id_of_the_wrong_type_names_the_type_given(emulator, client, call, says):
    emulator.clear_requests()
    with pytest.raises(tela_sdk.InvalidRequestError, match=says):
        call(client)
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("variables", "path"),
    [
        ({"document": "ab\ud800"}, 'variables["document"]: the string has a lone surrogate at position 2'),
        ({"d": ["a", {"x": "\udc00"}]}, 'variables["d"][1]["x"]: the string has a lone surrogate'),
        ({"d": {"\udcff": 1}}, 'variables["d"]: a dict key: the string has a lone surrogate'),
    ],
)
def test_a_lone_surrogate_is_an_invalid_request_naming_its_path(emulator, canvas, client, variables, path):
    emulator.clear_requests()
    with pytest.raises(tela_sdk.InvalidRequestError) as info:
        client.completions.create(canvas_id=canvas.id, variables=variables)
    assert str(info.value).startswith(path)
    assert emulator.requests == []


def test_a_rejected_key_says_where_it_came_from(emulator, canvas, monkeypatch):
    bad_key = "sk-wrong-0123456789abcdef"
    client = tela_sdk.Client(api_key=bad_key, base_url=emulator.url, max_retries=0)
    with pytest.raises(AuthenticationError, match="the API key came from the api_key argument"):
        client.completions.create(canvas_id=canvas.id)
    monkeypatch.setenv("TELA_API_KEY", bad_key)
    from_env = tela_sdk.Client(base_url=emulator.url, max_retries=0)
    with pytest.raises(AuthenticationError, match="came from the TELA_API_KEY environment variable") as info:
        from_env.completions.create(canvas_id=canvas.id)
    assert bad_key not in str(info.value)
    # with_options keeps the source unless it changes the key.
    with pytest.raises(AuthenticationError, match="TELA_API_KEY environment variable"):
        from_env.with_options(max_retries=0).completions.create(canvas_id=canvas.id)
    with pytest.raises(AuthenticationError, match="the api_key argument"):
        from_env.with_options(api_key="sk-other-0123456789").completions.create(canvas_id=canvas.id)
    monkeypatch.setenv("DIFY_API_KEY", bad_key)
    dify = tela_sdk.DifyClient(base_url=emulator.dify_url, max_retries=0)
    with pytest.raises(AuthenticationError, match="DIFY_API_KEY environment variable"):
        dify.info()
