"""Retries of the run-creating POST: only when the server cannot have started the run,
honouring the server's hints, bounded, with one idempotency key per call."""

from __future__ import annotations

import asyncio
import atexit
import socket
import time

import pytest

import tela_sdk
from tela_sdk import APIConnectionError, InternalServerError, InvalidRequestError, RateLimitError
from tela_sdk.testing import Emulator

FAST = 50  # retry-after-ms used where only the number of attempts matters


def _closed_port_url() -> str:
    # Held, never listening: refused, and no server of another test (or xdist worker) can take it.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    atexit.register(s.close)
    return f"http://127.0.0.1:{s.getsockname()[1]}"


def _statuses(emulator: Emulator) -> list[int]:
    return [r.status for r in emulator.requests]


# --- what is retried --------------------------------------------------------------------


def test_429_without_retry_after_is_retried(emulator, canvas):
    client = emulator.client(max_retries=2)
    emulator.fail(status=429)
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    assert out.content == "Summary of d"
    assert _statuses(emulator) == [429, 200]


async def test_async_429_without_retry_after_is_retried(emulator, canvas):
    client = emulator.async_client(max_retries=2)
    emulator.fail(status=429)
    out = await client.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    assert out.content == "Summary of d"
    assert _statuses(emulator) == [429, 200]


def test_429_with_retry_after_is_retried_after_waiting(emulator, canvas):
    client = emulator.client(max_retries=2)
    emulator.fail(status=429, retry_after=1)
    start = time.monotonic()
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    elapsed = time.monotonic() - start
    assert out.content == "Summary of d"
    assert _statuses(emulator) == [429, 200]
    assert elapsed >= 0.9


async def test_async_429_with_retry_after_is_retried_after_waiting(emulator, canvas):
    client = emulator.async_client(max_retries=2)
    emulator.fail(status=429, retry_after=1)
    start = time.monotonic()
    out = await client.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    assert time.monotonic() - start >= 0.9
    assert out.content == "Summary of d"
    assert _statuses(emulator) == [429, 200]


def test_503_with_retry_after_is_retried(emulator, canvas):
    client = emulator.client(max_retries=2)
    emulator.fail(status=503, retry_after=1)
    start = time.monotonic()
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    assert time.monotonic() - start >= 0.9
    assert out.content == "Summary of d"
    assert _statuses(emulator) == [503, 200]


async def test_async_503_with_retry_after_ms_is_retried(emulator, canvas):
    client = emulator.async_client(max_retries=2)
    emulator.fail(status=503, retry_after_ms=FAST)
    out = await client.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    assert out.content == "Summary of d"
    assert _statuses(emulator) == [503, 200]


def test_retry_after_ms_is_honoured(emulator, canvas):
    # Longer than the first backoff step (at most 0.5 s), so only honouring the hint explains it.
    client = emulator.client(max_retries=2)
    emulator.fail(status=429, retry_after_ms=1200)
    start = time.monotonic()
    client.completions.create(canvas_id=canvas.id)
    assert time.monotonic() - start >= 1.1
    assert _statuses(emulator) == [429, 200]


def test_short_retry_after_ms_is_honoured(emulator, canvas):
    client = emulator.client(max_retries=2)
    emulator.fail(status=429, retry_after_ms=200)
    start = time.monotonic()
    client.completions.create(canvas_id=canvas.id)
    assert time.monotonic() - start >= 0.18
    assert _statuses(emulator) == [429, 200]


def test_retry_after_ms_takes_precedence_over_retry_after(emulator, canvas):
    client = emulator.client(max_retries=2)
    emulator.fail(status=429, retry_after_ms=300, retry_after=4)
    start = time.monotonic()
    client.completions.create(canvas_id=canvas.id)
    elapsed = time.monotonic() - start
    assert 0.25 <= elapsed < 3.5
    assert _statuses(emulator) == [429, 200]


@pytest.mark.parametrize("hint", [{"retry_after": 0}, {"retry_after_ms": 0}])
def test_503_with_zero_retry_after_is_retried_now(emulator, canvas, hint):
    # The 503 rule looks at whether the server sent the header, not at its value: 0 is "now".
    client = emulator.client(max_retries=2)
    emulator.fail(status=503, **hint)
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    assert out.content == "Summary of d"
    assert _statuses(emulator) == [503, 200]


@pytest.mark.parametrize("hint", [{"retry_after": 0}, {"retry_after_ms": 0}])
async def test_async_503_with_zero_retry_after_is_retried_now(emulator, canvas, hint):
    client = emulator.async_client(max_retries=2)
    emulator.fail(status=503, **hint)
    out = await client.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    assert out.content == "Summary of d"
    assert _statuses(emulator) == [503, 200]


def test_long_retry_after_still_counts_as_present(emulator, canvas):
    # A 10-minute hint on a 503 is a request to come back (after at most 60 s, checked in the
    # core's unit tests), not a final failure: the call waits, and here its total deadline fires.
    client = emulator.client(max_retries=1)
    emulator.fail(status=503, retry_after=600)
    with pytest.raises(tela_sdk.APITimeoutError) as info:
        client.completions.create(canvas_id=canvas.id, timeout=tela_sdk.Timeout(total=1))
    assert info.value.kind == "total"
    assert _statuses(emulator) == [503]


def test_x_should_retry_true_makes_a_500_retryable(emulator, canvas):
    client = emulator.client(max_retries=2)
    emulator.fail(status=500, headers={"x-should-retry": "true"}, retry_after_ms=FAST)
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    assert out.content == "Summary of d"
    assert _statuses(emulator) == [500, 200]


async def test_async_x_should_retry_true_makes_a_500_retryable(emulator, canvas):
    client = emulator.async_client(max_retries=2)
    emulator.fail(status=500, headers={"x-should-retry": "true"}, retry_after_ms=FAST)
    await client.completions.create(canvas_id=canvas.id)
    assert _statuses(emulator) == [500, 200]


def test_x_should_retry_false_stops_a_429(emulator, canvas):
    client = emulator.client(max_retries=2)
    emulator.fail(status=429, times=3, headers={"x-should-retry": "false"}, retry_after_ms=FAST)
    with pytest.raises(RateLimitError):
        client.completions.create(canvas_id=canvas.id)
    assert _statuses(emulator) == [429]


async def test_async_x_should_retry_false_stops_a_429(emulator, canvas):
    client = emulator.async_client(max_retries=2)
    emulator.fail(status=429, times=3, headers={"x-should-retry": "false"}, retry_after_ms=FAST)
    with pytest.raises(RateLimitError):
        await client.completions.create(canvas_id=canvas.id)
    assert _statuses(emulator) == [429]


# --- what is not retried ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "hints"),
    [
        (500, {}),
        (500, {"retry_after": 1}),
        (502, {}),
        (503, {}),
        (504, {}),
        (408, {}),
        (409, {}),
        (400, {}),
        (401, {}),
        (404, {}),
    ],
)
def test_statuses_that_may_have_started_the_run_are_not_retried(emulator, canvas, status, hints):
    client = emulator.client(max_retries=2)
    emulator.fail(status=status, times=3, **hints)
    with pytest.raises(tela_sdk.APIStatusError) as info:
        client.completions.create(canvas_id=canvas.id)
    assert info.value.status_code == status
    assert _statuses(emulator) == [status]


async def test_async_500_and_bare_503_are_not_retried(emulator, canvas):
    client = emulator.async_client(max_retries=2)
    emulator.fail(status=500, times=3)
    with pytest.raises(InternalServerError):
        await client.completions.create(canvas_id=canvas.id)
    assert _statuses(emulator) == [500]
    emulator.clear_faults()
    emulator.clear_requests()
    emulator.fail(status=503, times=3)
    with pytest.raises(InternalServerError):
        await client.completions.create(canvas_id=canvas.id)
    assert _statuses(emulator) == [503]


def test_dropped_connection_is_not_retried(emulator, canvas):
    client = emulator.client(max_retries=3)
    emulator.fail(drop=True, times=3)
    with pytest.raises(APIConnectionError):
        client.completions.create(canvas_id=canvas.id)
    assert len(emulator.requests) == 1


async def test_async_dropped_connection_is_not_retried(emulator, canvas):
    client = emulator.async_client(max_retries=3)
    emulator.fail(drop=True, times=3)
    with pytest.raises(APIConnectionError):
        await client.completions.create(canvas_id=canvas.id)
    assert len(emulator.requests) == 1


def test_validation_errors_are_not_retried(emulator):
    client = emulator.client(max_retries=3)
    with pytest.raises(InvalidRequestError):
        client.completions.create(canvas_id="c", variables={"x": None})
    assert emulator.requests == []


# --- bounds -----------------------------------------------------------------------------


def test_max_retries_bounds_the_attempts(emulator, canvas):
    client = emulator.client(max_retries=2)
    emulator.fail(status=429, times=5, retry_after_ms=FAST)
    with pytest.raises(RateLimitError) as info:
        client.completions.create(canvas_id=canvas.id)
    assert info.value.status_code == 429
    assert _statuses(emulator) == [429, 429, 429]


async def test_async_max_retries_bounds_the_attempts(emulator, canvas):
    client = emulator.async_client(max_retries=2)
    emulator.fail(status=429, times=5, retry_after_ms=FAST)
    with pytest.raises(RateLimitError):
        await client.completions.create(canvas_id=canvas.id)
    assert _statuses(emulator) == [429, 429, 429]


def test_max_retries_zero_means_one_attempt(emulator, canvas):
    client = emulator.client(max_retries=0)
    emulator.fail(status=429, retry_after_ms=FAST)
    with pytest.raises(RateLimitError):
        client.completions.create(canvas_id=canvas.id)
    assert _statuses(emulator) == [429]


def test_default_max_retries_is_two(emulator, canvas):
    client = tela_sdk.Client(api_key=emulator.api_key, base_url=emulator.url)
    emulator.fail(status=429, times=5, retry_after_ms=FAST)
    with pytest.raises(RateLimitError):
        client.completions.create(canvas_id=canvas.id)
    assert len(emulator.requests) == 3


def test_success_on_the_last_allowed_attempt(emulator, canvas):
    client = emulator.client(max_retries=2)
    emulator.fail(status=429, times=2, retry_after_ms=FAST)
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "last"})
    assert out.content == "Summary of last"
    assert _statuses(emulator) == [429, 429, 200]


def test_per_call_max_retries_overrides_the_client(emulator, canvas):
    strict = emulator.client(max_retries=0)
    emulator.fail(status=429, times=2, retry_after_ms=FAST)
    out = strict.completions.create(canvas_id=canvas.id, max_retries=2)
    assert out.content is not None
    assert _statuses(emulator) == [429, 429, 200]

    emulator.clear_requests()
    patient = emulator.client(max_retries=5)
    emulator.fail(status=429, times=3, retry_after_ms=FAST)
    with pytest.raises(RateLimitError):
        patient.completions.create(canvas_id=canvas.id, max_retries=0)
    assert _statuses(emulator) == [429]
    # The override was for that call only.
    assert patient.max_retries == 5
    assert strict.max_retries == 0


async def test_async_per_call_max_retries_overrides_the_client(emulator, canvas, aclient):
    emulator.fail(status=429, times=1, retry_after_ms=FAST)
    await aclient.completions.create(canvas_id=canvas.id, max_retries=1)
    assert _statuses(emulator) == [429, 200]


@pytest.mark.parametrize("value", [11, -1])
def test_per_call_max_retries_out_of_range_is_rejected_before_sending(emulator, canvas, client, value):
    with pytest.raises(InvalidRequestError, match="max_retries"):
        client.completions.create(canvas_id=canvas.id, max_retries=value)
    assert emulator.requests == []


# --- idempotency key and retry count ----------------------------------------------------


def test_all_attempts_carry_the_same_idempotency_key(emulator, canvas):
    client = emulator.client(max_retries=3)
    emulator.fail(status=429, times=3, retry_after_ms=FAST)
    client.completions.create(canvas_id=canvas.id)
    keys = [r.headers.get("idempotency-key") for r in emulator.requests]
    assert len(keys) == 4
    assert keys[0]
    assert len(set(keys)) == 1
    bodies = [r.body for r in emulator.requests]
    assert all(b == {"canvas_id": canvas.id} for b in bodies)


def test_different_calls_carry_different_idempotency_keys(emulator, canvas, client):
    client.completions.create(canvas_id=canvas.id)
    client.completions.create(canvas_id=canvas.id)
    client.with_options(max_retries=1).completions.create(canvas_id=canvas.id)
    keys = [r.headers["idempotency-key"] for r in emulator.requests]
    assert len(keys) == 3
    assert len(set(keys)) == 3


async def test_async_idempotency_keys(emulator, canvas):
    client = emulator.async_client(max_retries=2)
    emulator.fail(status=429, times=1, retry_after_ms=FAST)
    await client.completions.create(canvas_id=canvas.id)
    first = [r.headers["idempotency-key"] for r in emulator.requests]
    assert len(first) == 2
    assert first[0] == first[1]
    emulator.clear_requests()
    await asyncio.gather(*(client.completions.create(canvas_id=canvas.id) for _ in range(4)))
    keys = {r.headers["idempotency-key"] for r in emulator.requests}
    assert len(keys) == 4
    assert first[0] not in keys


def test_retry_count_header_appears_on_retries(emulator, canvas):
    client = emulator.client(max_retries=3)
    emulator.fail(status=429, times=2, retry_after_ms=FAST)
    client.completions.create(canvas_id=canvas.id)
    counts = [r.headers.get("x-tela-retry-count") for r in emulator.requests]
    assert counts == [None, "1", "2"]


def test_no_retry_count_header_without_retries(emulator, canvas, client):
    client.completions.create(canvas_id=canvas.id)
    assert "x-tela-retry-count" not in emulator.requests[-1].headers


# --- connection refused -----------------------------------------------------------------


def test_connection_refused_is_retried(emulator):
    client = tela_sdk.Client(api_key="k", base_url=_closed_port_url(), max_retries=2)
    start = time.monotonic()
    with pytest.raises(APIConnectionError) as info:
        client.completions.create(canvas_id="c")
    elapsed = time.monotonic() - start
    assert info.value.kind == "refused"
    assert "3 attempts" in str(info.value)
    # Two backoff waits happened (0.375-0.5 s, then 0.75-1 s).
    assert elapsed >= 1.0


async def test_async_connection_refused_is_retried(emulator):
    client = tela_sdk.AsyncClient(api_key="k", base_url=_closed_port_url(), max_retries=1)
    with pytest.raises(APIConnectionError) as info:
        await client.completions.create(canvas_id="c")
    assert info.value.kind == "refused"
    assert "2 attempts" in str(info.value)


def test_connection_refused_without_retries_says_no_attempt_count(emulator):
    client = tela_sdk.Client(api_key="k", base_url=_closed_port_url(), max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        client.completions.create(canvas_id="c")
    assert "attempts" not in str(info.value)
