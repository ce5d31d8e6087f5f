"""Deadlines of a non-streaming call: read and total, client-level and per call, and the
``Timeout`` value type. Stream deadlines (stream_idle, stream_total) are tested with streams.

Connect timeouts are not tested here: on loopback a connection is either accepted or refused
at once, and faking a blackhole address would depend on the sandbox's network."""

from __future__ import annotations

import time

import pytest

from tela_sdk import APIConnectionError, APITimeoutError, Client, TelaError, Timeout

SERVER_DELAY = 30  # far longer than any deadline below: a call that waits for it has failed


def _check_timeout(err: APITimeoutError, kind: str, after: float) -> None:
    assert isinstance(err, APITimeoutError)
    assert isinstance(err, TimeoutError)
    assert isinstance(err, APIConnectionError)
    assert isinstance(err, TelaError)
    assert err.kind == kind
    assert err.after == pytest.approx(after)
    text = str(err)
    # Says which deadline fired and how to raise it.
    assert f"Timeout({kind}=...)" in text
    assert "None" in text
    assert "/v2/chat/completions" in text
    assert err.status_code is None


# --- read -------------------------------------------------------------------------------


def test_read_timeout(emulator, canvas, client):
    emulator.fail(delay=SERVER_DELAY)
    start = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=canvas.id, timeout=0.5)
    elapsed = time.monotonic() - start
    _check_timeout(info.value, "read", 0.5)
    assert str(info.value).startswith("Read timeout after 0.5")
    assert elapsed >= 0.45
    assert elapsed < 5


async def test_async_read_timeout(emulator, canvas, aclient):
    emulator.fail(delay=SERVER_DELAY)
    start = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        await aclient.completions.create(canvas_id=canvas.id, timeout=0.5)
    assert time.monotonic() - start < 5
    _check_timeout(info.value, "read", 0.5)


def test_named_read_timeout(emulator, canvas, client):
    emulator.fail(delay=SERVER_DELAY)
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=canvas.id, timeout=Timeout(read=0.4))
    _check_timeout(info.value, "read", 0.4)


def test_read_timeout_is_not_retried(emulator, canvas):
    # The server may be running the canvas: resending would start a second run.
    client = emulator.client(max_retries=2)
    emulator.fail(delay=SERVER_DELAY, times=3)
    start = time.monotonic()
    with pytest.raises(APITimeoutError):
        client.completions.create(canvas_id=canvas.id, timeout=0.4)
    assert time.monotonic() - start < 5
    assert len(emulator.requests) == 1


async def test_async_read_timeout_is_not_retried(emulator, canvas):
    client = emulator.async_client(max_retries=2)
    emulator.fail(delay=SERVER_DELAY, times=3)
    with pytest.raises(APITimeoutError):
        await client.completions.create(canvas_id=canvas.id, timeout=0.4)
    assert len(emulator.requests) == 1


def test_slow_answer_within_the_deadline_succeeds(emulator, canvas, client):
    emulator.fail(delay=0.3)  # delays, then answers normally
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "slow"}, timeout=5)
    assert out.content == "Summary of slow"


# --- total ------------------------------------------------------------------------------


def test_total_timeout(emulator, canvas, client):
    emulator.fail(delay=SERVER_DELAY)
    start = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=canvas.id, timeout=Timeout(total=0.5))
    elapsed = time.monotonic() - start
    _check_timeout(info.value, "total", 0.5)
    assert str(info.value).startswith("Total timeout after 0.5")
    assert elapsed >= 0.45
    assert elapsed < 5


async def test_async_total_timeout(emulator, canvas, aclient):
    emulator.fail(delay=SERVER_DELAY)
    with pytest.raises(APITimeoutError) as info:
        await aclient.completions.create(canvas_id=canvas.id, timeout=Timeout(total=0.5))
    _check_timeout(info.value, "total", 0.5)


def test_total_timeout_bounds_retries(emulator, canvas):
    # Each attempt is answered at once, but the server asks to wait 1 s between them.
    client = emulator.client(max_retries=5)
    emulator.fail(status=429, times=10, retry_after=1)
    start = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=canvas.id, timeout=Timeout(total=0.6))
    assert time.monotonic() - start < 5
    assert info.value.kind == "total"
    assert len(emulator.requests) == 1


def test_shorter_of_read_and_total_fires(emulator, canvas, client):
    emulator.fail(delay=SERVER_DELAY)
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=canvas.id, timeout=Timeout(read=0.3, total=20))
    assert info.value.kind == "read"
    emulator.fail(delay=SERVER_DELAY)
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=canvas.id, timeout=Timeout(read=20, total=0.3))
    assert info.value.kind == "total"


# --- client level vs per call -----------------------------------------------------------


def test_client_level_timeout_applies_to_calls(emulator, canvas):
    client = emulator.client(max_retries=0, timeout=0.5)
    assert client.timeout["read"] == 0.5
    emulator.fail(delay=SERVER_DELAY)
    start = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=canvas.id)
    assert time.monotonic() - start < 5
    _check_timeout(info.value, "read", 0.5)


async def test_async_client_level_timeout_applies_to_calls(emulator, canvas):
    client = emulator.async_client(max_retries=0, timeout=Timeout(total=0.5))
    emulator.fail(delay=SERVER_DELAY)
    with pytest.raises(APITimeoutError) as info:
        await client.completions.create(canvas_id=canvas.id)
    _check_timeout(info.value, "total", 0.5)


def test_per_call_timeout_beats_a_short_client_timeout(emulator, canvas):
    client = emulator.client(max_retries=0, timeout=0.3)
    emulator.fail(delay=1)
    start = time.monotonic()
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "waited"}, timeout=10)
    assert time.monotonic() - start >= 0.9
    assert out.content == "Summary of waited"


async def test_async_per_call_timeout_beats_a_short_client_timeout(emulator, canvas):
    client = emulator.async_client(max_retries=0, timeout=0.3)
    emulator.fail(delay=1)
    out = await client.completions.create(canvas_id=canvas.id, variables={"document": "w"}, timeout=Timeout(read=10))
    assert out.content == "Summary of w"


def test_per_call_timeout_beats_a_long_client_timeout(emulator, canvas):
    client = emulator.client(max_retries=0, timeout=60)
    emulator.fail(delay=SERVER_DELAY)
    start = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=canvas.id, timeout=0.4)
    assert time.monotonic() - start < 5
    _check_timeout(info.value, "read", 0.4)


def test_per_call_named_timeout_keeps_the_clients_other_deadlines(emulator, canvas):
    # The client's total still applies when the call only changes read.
    client = emulator.client(max_retries=0, timeout=Timeout(total=0.5))
    emulator.fail(delay=SERVER_DELAY)
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=canvas.id, timeout=Timeout(read=20))
    _check_timeout(info.value, "total", 0.5)


def test_per_call_timeout_does_not_change_the_client(emulator, canvas):
    client = emulator.client(max_retries=0, timeout=0.4)
    client.completions.create(canvas_id=canvas.id, timeout=10)
    assert client.timeout["read"] == 0.4
    emulator.fail(delay=SERVER_DELAY)
    with pytest.raises(APITimeoutError) as info:
        client.completions.create(canvas_id=canvas.id)
    assert info.value.after == pytest.approx(0.4)


def test_with_options_timeout(emulator, canvas):
    client = emulator.client(max_retries=0)
    short = client.with_options(timeout=Timeout(read=0.4))
    assert short.timeout["read"] == 0.4
    assert client.timeout["read"] == 600.0
    emulator.fail(delay=SERVER_DELAY)
    with pytest.raises(APITimeoutError) as info:
        short.completions.create(canvas_id=canvas.id)
    _check_timeout(info.value, "read", 0.4)


def test_scalar_timeout_sets_connect_read_and_stream_idle():
    client = Client(api_key="k", base_url="http://127.0.0.1:1", timeout=7)
    assert client.timeout == {"connect": 7.0, "read": 7.0, "total": None, "stream_idle": 7.0, "stream_total": None}


def test_named_timeout_leaves_the_others_at_their_defaults():
    client = Client(api_key="k", base_url="http://127.0.0.1:1", timeout=Timeout(read=3, stream_total=None))
    assert client.timeout == {"connect": 10.0, "read": 3.0, "total": None, "stream_idle": 120.0, "stream_total": None}
    client = Client(api_key="k", base_url="http://127.0.0.1:1", timeout=Timeout(read=None, total=90))
    assert client.timeout["read"] is None
    assert client.timeout["total"] == 90.0


# --- the Timeout type -------------------------------------------------------------------


def test_timeout_repr_and_as_dict():
    t = Timeout(read=5, total=None)
    assert repr(t) == "Timeout(read=5, total=None)"
    assert t.as_dict() == {"read": 5, "total": None}
    assert repr(Timeout()) == "Timeout()"
    assert Timeout().as_dict() == {}
    full = Timeout(connect=1, read=2, total=3, stream_idle=4, stream_total=5)
    assert full.as_dict() == {"connect": 1, "read": 2, "total": 3, "stream_idle": 4, "stream_total": 5}
    assert repr(full) == "Timeout(connect=1, read=2, total=3, stream_idle=4, stream_total=5)"


def test_timeout_as_dict_is_a_copy():
    t = Timeout(read=5)
    d = t.as_dict()
    d["read"] = 1
    d["total"] = 2
    assert t.as_dict() == {"read": 5}


def test_timeout_equality_and_hash():
    assert Timeout(read=5, total=None) == Timeout(total=None, read=5)
    assert Timeout(read=5) != Timeout(read=5, total=None)
    assert Timeout(read=5) != Timeout(read=6)
    assert hash(Timeout(read=5, total=1)) == hash(Timeout(total=1, read=5))
    assert len({Timeout(read=5), Timeout(read=5), Timeout(read=6)}) == 2
    assert Timeout(read=5) != {"read": 5}


def test_timeout_takes_keywords_only():
    with pytest.raises(TypeError):
        Timeout(5)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Timeout(idle=5)  # type: ignore[call-arg]
