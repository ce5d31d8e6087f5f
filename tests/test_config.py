"""Client configuration: arguments, then the environment, then defaults; secrets stay masked;
with_options shares the pool; closed clients refuse calls; headers reach the wire."""

from __future__ import annotations

import atexit
import pickle
import socket
from collections.abc import Iterator
from typing import Any

import pytest

import tela_sdk
from tela_sdk import AsyncClient, Client, ConfigurationError, TelaError, Timeout
from tela_sdk._base import ClientSettings
from tela_sdk.testing import Emulator

SECRET = "sk-secret-0123456789abcdef"
SECRET_TAIL = SECRET[-4:]
# Any run of the key longer than the 4-character hint must never be printed.
SECRET_PIECES = ("sk-secret", "0123456789", "secret-0123")


_HELD: list[socket.socket] = []


def _closed_port_url() -> str:
    """A port that refuses connections: bound (so no other test's server, in this or another
    pytest-xdist worker, can take it) but never listening."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    atexit.register(s.close)
    return f"http://127.0.0.1:{s.getsockname()[1]}"


def _assert_no_secret(text: str) -> None:
    assert SECRET not in text
    for piece in SECRET_PIECES:
        assert piece not in text, text


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("TELA_API_KEY", raising=False)
    monkeypatch.delenv("TELA_BASE_URL", raising=False)
    return monkeypatch


@pytest.fixture
def secret_emulator() -> Iterator[Emulator]:
    """An emulator that accepts the long fake secret (and a second key for with_options)."""
    with Emulator(api_keys=[SECRET, "sk-other-key-9876543210wxyz"]) as emu:
        yield emu


# --- environment ------------------------------------------------------------------------


def test_key_and_base_url_come_from_the_environment(clean_env, secret_emulator):
    clean_env.setenv("TELA_API_KEY", SECRET)
    clean_env.setenv("TELA_BASE_URL", secret_emulator.url)
    canvas = secret_emulator.add_canvas(reply="from env")
    client = Client(max_retries=0)
    assert client.base_url == secret_emulator.url
    assert client.completions.create(canvas_id=canvas.id).content == "from env"
    recorded = secret_emulator.requests[-1]
    assert recorded.headers["authorization"] == f"Bearer ***{SECRET_TAIL}"


async def test_async_key_and_base_url_come_from_the_environment(clean_env, secret_emulator):
    clean_env.setenv("TELA_API_KEY", SECRET)
    clean_env.setenv("TELA_BASE_URL", secret_emulator.url)
    canvas = secret_emulator.add_canvas(reply="from env")
    async with AsyncClient(max_retries=0) as client:
        assert client.base_url == secret_emulator.url
        out = await client.completions.create(canvas_id=canvas.id)
    assert out.content == "from env"
    assert secret_emulator.requests[-1].headers["authorization"] == f"Bearer ***{SECRET_TAIL}"


def test_base_url_from_the_environment_loses_its_trailing_slash(clean_env, secret_emulator):
    clean_env.setenv("TELA_BASE_URL", secret_emulator.url + "/")
    canvas = secret_emulator.add_canvas(reply="ok")
    client = Client(api_key=SECRET, max_retries=0)
    assert client.base_url == secret_emulator.url
    assert client.completions.create(canvas_id=canvas.id).content == "ok"
    assert secret_emulator.requests[-1].path == "/v2/chat/completions"


def test_explicit_arguments_beat_the_environment(clean_env, secret_emulator):
    # The environment points at nothing and carries a key the emulator rejects.
    clean_env.setenv("TELA_API_KEY", "sk-wrong-key-from-the-env-0000")
    clean_env.setenv("TELA_BASE_URL", _closed_port_url())
    canvas = secret_emulator.add_canvas(reply="explicit")
    client = Client(api_key=SECRET, base_url=secret_emulator.url, max_retries=0)
    assert client.base_url == secret_emulator.url
    assert client.completions.create(canvas_id=canvas.id).content == "explicit"
    assert secret_emulator.requests[-1].headers["authorization"] == f"Bearer ***{SECRET_TAIL}"


def test_explicit_key_beats_a_valid_environment_key(clean_env, secret_emulator):
    clean_env.setenv("TELA_API_KEY", SECRET)
    canvas = secret_emulator.add_canvas(reply="x")
    client = Client(api_key="sk-not-accepted-by-the-emulator", base_url=secret_emulator.url, max_retries=0)
    with pytest.raises(tela_sdk.AuthenticationError):
        client.completions.create(canvas_id=canvas.id)
    assert secret_emulator.requests[-1].headers["authorization"] == "Bearer ***ator"


def test_default_base_url_is_the_public_api(clean_env):
    assert Client(api_key="k").base_url == "https://api.tela.com"


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_missing_key_names_the_environment_variable(clean_env, cls):
    with pytest.raises(ConfigurationError) as info:
        cls(base_url="http://127.0.0.1:1")
    assert "TELA_API_KEY" in str(info.value)
    assert isinstance(info.value, TelaError)
    assert isinstance(info.value, ValueError)


def test_blank_environment_key_counts_as_missing(clean_env):
    clean_env.setenv("TELA_API_KEY", "   ")
    with pytest.raises(ConfigurationError, match="TELA_API_KEY"):
        Client(base_url="http://127.0.0.1:1")


def test_empty_explicit_key_is_rejected(clean_env):
    with pytest.raises(ConfigurationError, match="empty"):
        Client(api_key="", base_url="http://127.0.0.1:1")


def test_key_with_a_stray_newline_is_rejected_without_echoing_it(clean_env):
    with pytest.raises(ConfigurationError) as info:
        Client(api_key=SECRET + "\n", base_url="http://127.0.0.1:1")
    assert "newline" in str(info.value)
    _assert_no_secret(str(info.value))


@pytest.mark.parametrize(
    "base_url",
    ["nope", "ftp://example.com", "http://example.com/?q=1", "http://example.com/#frag", "api.tela.com"],
)
@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_bad_base_url_is_a_configuration_error(clean_env, cls, base_url):
    with pytest.raises(ConfigurationError) as info:
        cls(api_key="k", base_url=base_url)
    assert "base_url" in str(info.value)


def test_bad_base_url_from_the_environment_is_a_configuration_error(clean_env):
    clean_env.setenv("TELA_BASE_URL", "not a url")
    with pytest.raises(ConfigurationError, match="base_url"):
        Client(api_key="k")


# --- max_retries and timeout ------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 10])
def test_max_retries_in_range_is_accepted(clean_env, value):
    assert Client(api_key="k", base_url="http://127.0.0.1:1", max_retries=value).max_retries == value


def test_max_retries_defaults_to_two(clean_env):
    assert Client(api_key="k", base_url="http://127.0.0.1:1").max_retries == 2


@pytest.mark.parametrize("value", [11, 100, -1])
@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_max_retries_out_of_range_is_a_configuration_error(clean_env, cls, value):
    with pytest.raises(ConfigurationError) as info:
        cls(api_key="k", base_url="http://127.0.0.1:1", max_retries=value)
    assert "max_retries" in str(info.value)


@pytest.mark.parametrize(
    "timeout",
    [0, 0.0, -1, -0.5, float("nan"), Timeout(read=0), Timeout(connect=-1), Timeout(total=0)],
    ids=["0", "0.0", "-1", "-0.5", "nan", "read=0", "connect=-1", "total=0"],
)
@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_zero_or_negative_timeout_is_a_configuration_error(clean_env, cls, timeout):
    with pytest.raises(ConfigurationError) as info:
        cls(api_key="k", base_url="http://127.0.0.1:1", timeout=timeout)
    assert "timeout" in str(info.value)


def test_timeout_of_the_wrong_type_is_a_type_error(clean_env):
    bad: object = "5"
    with pytest.raises(TypeError, match="timeout"):
        Client(api_key="k", base_url="http://127.0.0.1:1", timeout=bad)  # type: ignore[arg-type]


def test_resolved_timeouts_are_visible(clean_env):
    client = Client(api_key="k", base_url="http://127.0.0.1:1")
    assert client.timeout == {"connect": 10.0, "read": 600.0, "total": None, "stream_idle": 120.0, "stream_total": None}
    client = Client(api_key="k", base_url="http://127.0.0.1:1", timeout=5)
    assert client.timeout == {"connect": 5.0, "read": 5.0, "total": None, "stream_idle": 5.0, "stream_total": None}
    client = Client(api_key="k", base_url="http://127.0.0.1:1", timeout=Timeout(total=30, read=None))
    assert client.timeout["total"] == 30.0
    assert client.timeout["read"] is None
    assert client.timeout["connect"] == 10.0


# --- secrets ----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_repr_and_str_never_show_the_key(clean_env, cls):
    client = cls(api_key=SECRET, base_url="http://127.0.0.1:1")
    for text in (repr(client), str(client)):
        _assert_no_secret(text)
        assert f"***{SECRET_TAIL}" in text
        assert "http://127.0.0.1:1" in text
    _assert_no_secret(repr(client.with_options(max_retries=1)))


def test_short_key_is_masked_entirely(clean_env):
    text = repr(Client(api_key="abcdefgh", base_url="http://127.0.0.1:1"))
    assert "abcdefgh" not in text
    assert "efgh" not in text


def test_recorded_authorization_is_masked_and_the_key_never_appears(secret_emulator):
    canvas = secret_emulator.add_canvas(reply="ok")
    client = secret_emulator.client(max_retries=0)
    client.completions.create(canvas_id=canvas.id)
    recorded = secret_emulator.requests
    assert len(recorded) == 1
    assert recorded[0].headers["authorization"] == f"Bearer ***{SECRET_TAIL}"
    _assert_no_secret(repr(recorded))
    _assert_no_secret(repr(recorded[0].to_dict()))
    _assert_no_secret(recorded[0].to_json())
    _assert_no_secret(repr(secret_emulator))


def test_key_never_appears_in_error_messages(secret_emulator):
    client = Client(api_key=SECRET, base_url=_closed_port_url(), max_retries=0)
    with pytest.raises(tela_sdk.APIConnectionError) as info:
        client.completions.create(canvas_id="c")
    _assert_no_secret(str(info.value))
    _assert_no_secret(repr(info.value))
    secret_emulator.fail(status=500)
    client = secret_emulator.client(max_retries=0)
    with pytest.raises(tela_sdk.InternalServerError) as info2:
        client.completions.create(canvas_id="c")
    _assert_no_secret(str(info2.value))
    _assert_no_secret(repr(info2.value.body))


# --- with_options -----------------------------------------------------------------------


def test_with_options_works_and_shares_the_pool(emulator, canvas):
    client = emulator.client(max_retries=0)
    other = client.with_options(max_retries=3)
    assert isinstance(other, Client)
    assert other is not client
    assert other.max_retries == 3
    assert client.max_retries == 0
    assert other.base_url == client.base_url
    assert client._native.shares_pool_with(other._native)
    assert other._native.shares_pool_with(client._native)
    out = other.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    assert out.content == "Summary of d"


async def test_async_with_options_works_and_shares_the_pool(emulator, canvas, aclient):
    other = aclient.with_options(max_retries=1)
    assert isinstance(other, AsyncClient)
    assert other.max_retries == 1
    assert aclient._native.shares_pool_with(other._native)
    out = await other.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    assert out.content == "Summary of d"


def test_with_options_read_timeout_keeps_the_pool_but_connect_timeout_does_not(emulator):
    client = emulator.client(max_retries=0)
    same = client.with_options(timeout=Timeout(read=5, total=20))
    assert client._native.shares_pool_with(same._native)
    assert same.timeout["read"] == 5.0
    assert same.timeout["connect"] == client.timeout["connect"]
    different = client.with_options(timeout=Timeout(connect=3))
    assert not client._native.shares_pool_with(different._native)


def test_with_options_proxy_gives_a_different_pool(emulator):
    client = emulator.client(max_retries=0)
    proxied = client.with_options(proxy="http://127.0.0.1:9")
    assert not client._native.shares_pool_with(proxied._native)
    assert not proxied._native.shares_pool_with(client._native)


def test_with_options_bad_values_are_configuration_errors(emulator):
    client = emulator.client(max_retries=0)
    with pytest.raises(ConfigurationError):
        client.with_options(base_url="ftp://x")
    with pytest.raises(ConfigurationError):
        client.with_options(max_retries=11)
    with pytest.raises(ConfigurationError):
        client.with_options(proxy="not a proxy url")


def test_with_options_zero_timeout_is_a_configuration_error(emulator):
    client = emulator.client(max_retries=0)
    with pytest.raises(ConfigurationError, match="timeout"):
        client.with_options(timeout=0)


def test_with_options_api_key_and_base_url(secret_emulator):
    canvas = secret_emulator.add_canvas(reply="ok")
    client = Client(api_key=SECRET, base_url=_closed_port_url(), max_retries=0)
    pointed = client.with_options(base_url=secret_emulator.url)
    assert pointed.completions.create(canvas_id=canvas.id).content == "ok"
    assert secret_emulator.requests[-1].headers["authorization"] == f"Bearer ***{SECRET_TAIL}"
    other_key = pointed.with_options(api_key="sk-other-key-9876543210wxyz")
    assert other_key.completions.create(canvas_id=canvas.id).content == "ok"
    assert secret_emulator.requests[-1].headers["authorization"] == "Bearer ***wxyz"
    assert "***wxyz" in repr(other_key)


def test_with_options_merges_default_headers(emulator, canvas):
    client = emulator.client(max_retries=0, default_headers={"X-Team": "a", "X-Keep": "k"})
    child = client.with_options(default_headers={"x-team": "b", "X-New": "n"})
    child.completions.create(canvas_id=canvas.id)
    headers = emulator.requests[-1].headers
    assert headers["x-team"] == "b"
    assert headers["x-keep"] == "k"
    assert headers["x-new"] == "n"
    client.completions.create(canvas_id=canvas.id)
    headers = emulator.requests[-1].headers
    assert headers["x-team"] == "a"
    assert "x-new" not in headers


# --- lifecycle --------------------------------------------------------------------------


def test_context_manager_closes_the_client(emulator, canvas):
    with Client(api_key=emulator.api_key, base_url=emulator.url, max_retries=0) as client:
        assert isinstance(client, Client)
        assert client.completions.create(canvas_id=canvas.id, variables={"document": "x"}).content == "Summary of x"
    with pytest.raises(TelaError, match="closed"):
        client.completions.create(canvas_id=canvas.id)
    assert len(emulator.requests) == 1


async def test_async_context_manager_closes_the_client(emulator, canvas):
    async with AsyncClient(api_key=emulator.api_key, base_url=emulator.url, max_retries=0) as client:
        assert isinstance(client, AsyncClient)
        out = await client.completions.create(canvas_id=canvas.id, variables={"document": "x"})
        assert out.content == "Summary of x"
    with pytest.raises(TelaError, match="closed"):
        await client.completions.create(canvas_id=canvas.id)
    assert len(emulator.requests) == 1


def test_calls_after_close_raise_and_send_nothing(emulator, canvas):
    client = emulator.client(max_retries=0)
    client.close()
    with pytest.raises(TelaError):
        client.completions.create(canvas_id=canvas.id)
    with pytest.raises(TelaError):
        client.completions.create(canvas_id=canvas.id, stream=True)
    assert emulator.requests == []


async def test_async_calls_after_close_raise_and_send_nothing(emulator, canvas):
    client = emulator.async_client(max_retries=0)
    await client.close()
    with pytest.raises(TelaError):
        await client.completions.create(canvas_id=canvas.id)
    assert emulator.requests == []


def test_copy_made_before_close_keeps_working(emulator, canvas):
    client = emulator.client(max_retries=0)
    copy = client.with_options(max_retries=1)
    client.close()
    assert copy.completions.create(canvas_id=canvas.id, variables={"document": "y"}).content == "Summary of y"


# --- headers on the wire ----------------------------------------------------------------


def test_default_headers_reach_the_wire(emulator, canvas):
    client = emulator.client(max_retries=0, default_headers={"X-Team": "search", "X-Trace": "t-1"})
    client.completions.create(canvas_id=canvas.id)
    headers = emulator.requests[-1].headers
    assert headers["x-team"] == "search"
    assert headers["x-trace"] == "t-1"


async def test_async_default_headers_reach_the_wire(emulator, canvas):
    client = emulator.async_client(max_retries=0, default_headers={"X-Team": "search"})
    await client.completions.create(canvas_id=canvas.id)
    assert emulator.requests[-1].headers["x-team"] == "search"


def test_extra_headers_reach_the_wire_and_beat_default_headers(emulator, canvas):
    client = emulator.client(max_retries=0, default_headers={"X-Team": "default"})
    client.completions.create(canvas_id=canvas.id, extra_headers={"X-Team": "per-call", "X-Call": "1"})
    headers = emulator.requests[-1].headers
    assert headers["x-team"] == "per-call"
    assert headers["x-call"] == "1"
    client.completions.create(canvas_id=canvas.id)
    headers = emulator.requests[-1].headers
    assert headers["x-team"] == "default"
    assert "x-call" not in headers


async def test_async_extra_headers_reach_the_wire(emulator, canvas, aclient):
    await aclient.completions.create(canvas_id=canvas.id, extra_headers={"X-Call": "async"})
    assert emulator.requests[-1].headers["x-call"] == "async"


def test_standard_headers_are_sent(emulator, canvas, client):
    client.completions.create(canvas_id=canvas.id)
    headers = emulator.requests[-1].headers
    assert headers["user-agent"].startswith("tela-sdk-python/")
    assert tela_sdk.__version__ in headers["user-agent"]
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"
    assert headers["authorization"] == "Bearer ***-key"


def test_invalid_default_header_is_a_configuration_error(clean_env):
    with pytest.raises(ConfigurationError):
        Client(api_key="k", base_url="http://127.0.0.1:1", default_headers={"Bad Name": "x"})
    with pytest.raises(ConfigurationError):
        Client(api_key="k", base_url="http://127.0.0.1:1", default_headers={"X-Ok": "line\nbreak"})


# --- settings listed once ---------------------------------------------------------------

#: A self-signed CA certificate (never used to verify anything): a readable PEM bundle.
_CA_PEM = """-----BEGIN CERTIFICATE-----
MIIBjTCCATOgAwIBAgIUKWNGuH00N2oJP9+OzV6kdq7nfi8wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQdGVsYS1zZGsgdGVzdCBDQTAgFw0yNjEyMDUxMjM1MTlaGA8y
MTI2MTExMTEyMzUxOVowGzEZMBcGA1UEAwwQdGVsYS1zZGsgdGVzdCBDQTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABJCQQN003NvHJyUZfCSsnOoPmrYm01B4HiW2
e6GKNPBOVrxDopvtkQ59kAF28h1EyKsnlN8JupfUi64dh7QZKAKjUzBRMB0GA1Ud
DgQWBBQwRWcaizhM8YeBy0pWz1B5+Ma+gTAfBgNVHSMEGDAWgBQwRWcaizhM8YeB
y0pWz1B5+Ma+gTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIAqZ
w0DeTu0apz+0m1hwRNl7HLbk85C4OMT9MxUJEocdAiEA7ghjAtO2V7SMJMQB/odx
t4IMdk84VvQIV95RZ3Oh3Q8=
-----END CERTIFICATE-----
"""


def _seen(client: Client) -> dict[str, Any]:
    """What a client shows of its settings, and the record its pickle is rebuilt from."""
    return {
        "base_url": client.base_url,
        "api_key": client._native.api_key_hint,
        "timeout": client.timeout,
        "max_retries": client.max_retries,
        "upload": client.upload,
        "max_event_bytes": client.max_event_bytes,
        "check_variables": client._check_variables,
        "record": client._config,
    }


def test_every_setting_survives_with_options_and_pickling_and_can_be_overridden(clean_env, tmp_path):
    ca, other_ca = tmp_path / "ca.pem", tmp_path / "other-ca.pem"
    ca.write_text(_CA_PEM)
    other_ca.write_text(_CA_PEM)
    settings: dict[str, Any] = {
        "api_key": "sk-round-trip-0123456789",
        "base_url": "http://127.0.0.1:9/v1",
        "timeout": Timeout(connect=3, read=40, total=90, stream_idle=20, stream_total=300),
        "max_retries": 4,
        "default_headers": {"X-Team": "a"},
        "proxy": "http://127.0.0.1:8",
        "ca_bundle": ca,
        "upload": "vault",
        "max_event_bytes": 1 << 20,
        "trust_env": False,
        "check_variables": True,
    }
    overrides: dict[str, Any] = {
        "api_key": "sk-overridden-key-wxyz",
        "base_url": "http://127.0.0.1:7",
        "timeout": Timeout(read=5),
        "max_retries": 1,
        "default_headers": {"X-Team": "b"},
        "proxy": "http://127.0.0.1:6",
        "ca_bundle": other_ca,
        "upload": "inline",
        "max_event_bytes": 4096,
        "trust_env": True,
        "check_variables": False,
    }
    # A setting added to ClientSettings must be added here too.
    assert set(settings) == set(overrides) == set(ClientSettings.__optional_keys__)
    parent = Client(**settings)
    child = parent.with_options()
    assert _seen(child) == _seen(parent)
    assert child._native.shares_pool_with(parent._native)  # same proxy, CA bundle, trust_env
    rebuilt = pickle.loads(pickle.dumps(child))
    assert _seen(rebuilt) == _seen(parent)
    assert rebuilt.timeout["stream_total"] == 300.0
    for name, value in overrides.items():
        changed = parent.with_options(**{name: value})
        seen, before = _seen(changed), _seen(parent)
        given = str(value) if name == "ca_bundle" else value
        assert seen.pop("record") == (*before.pop("record"), {name: given}), name
        differs = {k for k in seen if seen[k] != before[k]}
        assert differs == ({name} if name in seen else set()), name
        pool_setting = name in ("proxy", "ca_bundle", "trust_env")
        assert changed._native.shares_pool_with(parent._native) is not pool_setting, name
        # The pickle keeps what the core merged: the parent's other deadlines, here.
        assert _seen(pickle.loads(pickle.dumps(changed))) == _seen(changed), name


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"max_retries": "3"}, 'max_retries: invalid type: string "3", expected an int'),
        ({"max_retries": 11}, "max_retries=11 is out of range"),
        ({"trust_env": "yes"}, "trust_env: invalid type"),
        ({"max_event_bytes": 1.5}, "max_event_bytes: invalid type: floating point"),
        ({"timeout": float("nan")}, "timeout=NaN is not valid"),
        ({"timeout": Timeout(read="soon")}, 'timeout.read: invalid type: string "soon"'),  # type: ignore[arg-type]
        ({"default_headers": {"X-Count": 1}}, 'default_headers: the value of "X-Count" must be a str, got int 1'),
    ],
)
def test_a_bad_setting_value_is_the_cores_configuration_error_said_once(
    clean_env, settings: dict[str, Any], fragment: str
) -> None:
    client = Client(api_key="k", base_url="http://127.0.0.1:9")
    for with_options in (False, True):
        with pytest.raises(ConfigurationError) as info:
            if with_options:
                client.with_options(**settings)
            else:
                Client(api_key="k", base_url="http://127.0.0.1:9", **settings)
        message = str(info.value)
        assert message.count(fragment) == 1, message
        assert info.value.__context__ is None, "raised once, not wrapped"
        assert info.value.__cause__ is None


@pytest.mark.parametrize(
    ("value", "got"), [(1, "int 1"), (1.5, "float 1.5"), (True, "True"), (None, "None"), (["a"], "a list")]
)
def test_a_header_value_that_is_not_a_str_is_a_typed_error_before_any_request(
    emulator: Emulator, canvas: Any, value: Any, got: str
) -> None:
    client = emulator.client(max_retries=0)
    said = f'the value of "X-Count" must be a str, got {got}'
    with pytest.raises(tela_sdk.InvalidRequestError) as info:
        client.completions.create(canvas_id=canvas.id, extra_headers={"X-Count": value})
    assert str(info.value).startswith(f"extra_headers: {said}")
    with pytest.raises(tela_sdk.InvalidRequestError) as info:
        client.completions.create(canvas_id=canvas.id, extra_query={"p": value})
    assert str(info.value).startswith('extra_query: the value of "p" must be a str')
    assert emulator.requests == []
    with pytest.raises(ConfigurationError) as config_info:
        emulator.client(default_headers={"X-Count": value})
    assert said in str(config_info.value)
    with pytest.raises(ConfigurationError):
        client.with_options(default_headers={"X-Count": value})
