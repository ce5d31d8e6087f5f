"""The ``tela_sdk`` logger: one DEBUG line per attempt, one INFO line per retry, nothing
secret at any level, and ``TELA_LOG`` turning it on without code."""

from __future__ import annotations

import base64
import logging
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from tela_sdk import File
from tela_sdk.testing import Emulator

KEY = "sk-log-test-key-5d1e9a"
VALUE = "VARIABLE-VALUE-7f3a2b"
FILE_BYTES = b"FILE-CONTENT-9c1d4e"
QUERY_SECRET = "QUERY-SECRET-0a8b"
FAST = 50

ATTEMPT = re.compile(r"^(GET|POST) (/\S+) -> (\S+) in \d+ ms \(request_id=(\S+), attempt (\d+)\)$")
FORBIDDEN = (KEY, VALUE, FILE_BYTES.decode(), base64.b64encode(FILE_BYTES).decode(), QUERY_SECRET)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(api_key=KEY) as e:
        yield e


@pytest.fixture
def canvas_id(emu: Emulator) -> str:
    return emu.add_canvas(template="Summarize: {{document}} {{doc}}", reply="ok", stream={"chunk_size": 1}).id


def _call_kwargs(canvas_id: str) -> dict[str, Any]:
    return {
        "canvas_id": canvas_id,
        "variables": {"document": VALUE, "doc": File(FILE_BYTES, name="a.txt")},
        "extra_query": {"token": QUERY_SECRET},
    }


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    records = [r for r in caplog.records if r.name == "tela_sdk"]
    for r in records:
        text = r.getMessage() + repr(r.args)
        for secret in FORBIDDEN:
            assert secret not in text, (secret, text)
    return [(r.levelno, r.getMessage()) for r in records]


def _attempts(lines: list[tuple[int, str]]) -> list[tuple[str, str, str, str]]:
    out = []
    for level, text in lines:
        m = ATTEMPT.match(text)
        if m:
            assert level == logging.DEBUG, text
            out.append((m[1], m[2], m[3], m[5]))
            assert m[4].startswith("req_"), text
    return out


def _retries(lines: list[tuple[int, str]]) -> list[str]:
    return [t for level, t in lines if level == logging.INFO]


def _check_retried(lines: list[tuple[int, str]]) -> None:
    assert _attempts(lines) == [
        ("POST", "/v2/chat/completions", "429", "1"),
        ("POST", "/v2/chat/completions", "200", "2"),
    ]
    assert _retries(lines) == ["retrying POST /v2/chat/completions in 0.05 s (attempt 2 of 3): HTTP 429"]
    # The retry line comes between the two attempts.
    assert [t.split()[0] for _, t in lines] == ["POST", "retrying", "POST"]


def test_create_logs_one_debug_line_per_attempt(emu, canvas_id, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="tela_sdk")
    emu.client(max_retries=0).completions.create(**_call_kwargs(canvas_id))
    lines = _lines(caplog)
    assert _attempts(lines) == [("POST", "/v2/chat/completions", "200", "1")]
    assert len(lines) == 1


def test_stream_logs_its_attempt(emu, canvas_id, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="tela_sdk")
    with emu.client(max_retries=0).completions.create(stream=True, **_call_kwargs(canvas_id)) as stream:
        assert stream.final().text == "ok"
    assert _attempts(_lines(caplog)) == [("POST", "/v2/chat/completions", "200", "1")]


def test_retried_call_logs_attempts_and_the_retry(emu, canvas_id, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="tela_sdk")
    emu.fail(status=429, retry_after_ms=FAST)
    emu.client(max_retries=2).completions.create(**_call_kwargs(canvas_id))
    _check_retried(_lines(caplog))


def test_failed_call_is_logged_too(emu, canvas_id, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="tela_sdk")
    emu.fail(status=400)
    with pytest.raises(Exception, match="400"):
        emu.client(max_retries=2).completions.create(**_call_kwargs(canvas_id))
    assert _attempts(_lines(caplog)) == [("POST", "/v2/chat/completions", "400", "1")]


async def test_async_create_stream_and_retry_are_logged(emu, canvas_id, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="tela_sdk")
    async with emu.async_client(max_retries=2) as client:
        await client.completions.create(**_call_kwargs(canvas_id))
        assert _attempts(_lines(caplog)) == [("POST", "/v2/chat/completions", "200", "1")]
        caplog.clear()
        stream = await client.completions.create(stream=True, **_call_kwargs(canvas_id))
        assert (await stream.final()).text == "ok"
        assert _attempts(_lines(caplog)) == [("POST", "/v2/chat/completions", "200", "1")]
        caplog.clear()
        emu.fail(status=429, retry_after_ms=FAST)
        await client.completions.create(**_call_kwargs(canvas_id))
        _check_retried(_lines(caplog))


def test_info_level_logs_retries_only(emu, canvas_id, caplog) -> None:
    caplog.set_level(logging.INFO, logger="tela_sdk")
    emu.fail(status=429, retry_after_ms=FAST)
    emu.client(max_retries=2).completions.create(**_call_kwargs(canvas_id))
    lines = _lines(caplog)
    assert [level for level, _ in lines] == [logging.INFO]
    assert lines[0][1].startswith("retrying POST /v2/chat/completions in 0.05 s (attempt 2 of 3)")


def test_disabled_logger_logs_nothing(emu, canvas_id, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="tela_sdk")
    emu.fail(status=429, retry_after_ms=FAST)
    emu.client(max_retries=2).completions.create(**_call_kwargs(canvas_id))
    assert _lines(caplog) == []


SCRIPT = f"""
    from tela_sdk.testing import Emulator
    emu = Emulator(api_key={KEY!r})
    canvas = emu.add_canvas(template="t {{{{document}}}}")
    emu.fail(status=429, retry_after_ms=50)
    emu.client(max_retries=2).completions.create(canvas_id=canvas.id, variables={{"document": {VALUE!r}}})
    print("done")
"""


def _run(tela_log: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TELA_LOG": tela_log}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)], capture_output=True, text=True, env=env, timeout=50
    )


def test_tela_log_debug_writes_to_stderr() -> None:
    proc = _run("debug")
    assert (proc.returncode, proc.stdout) == (0, "done\n"), proc.stderr
    err = proc.stderr
    assert "DEBUG] POST /v2/chat/completions -> 429 in " in err
    assert "INFO] retrying POST /v2/chat/completions in 0.05 s (attempt 2 of 3): HTTP 429" in err
    assert "DEBUG] POST /v2/chat/completions -> 200 in " in err
    assert KEY not in err
    assert VALUE not in err


def test_tela_log_info_and_bad_values() -> None:
    proc = _run("INFO")
    assert proc.returncode == 0, proc.stderr
    assert "retrying POST /v2/chat/completions" in proc.stderr
    assert "->" not in proc.stderr
    proc = _run("verbose")
    assert proc.returncode == 0, proc.stderr
    assert "ignoring TELA_LOG='verbose'" in proc.stderr
    assert "retrying" not in proc.stderr


def test_logging_configured_after_the_first_call_still_hears_the_core(emu: Emulator, canvas_id: str) -> None:
    """The core does not import logging for a program that never did (no handler could hear
    it); a program that sets logging up later, after some calls, gets the lines from then on."""
    script = f"""
        import sys
        import tela_sdk
        client = tela_sdk.Client(base_url={emu.url!r}, api_key={KEY!r})
        client.completions.create(canvas_id={canvas_id!r}, variables={{"document": "a", "doc": "b"}})
        print("logging loaded after a call:", "logging" in sys.modules)
        import logging
        logging.basicConfig(level=logging.DEBUG, format="%(name)s %(levelname)s %(message)s")
        client.completions.create(canvas_id={canvas_id!r}, variables={{"document": "a", "doc": "b"}})
    """
    env = {k: v for k, v in os.environ.items() if k != "TELA_LOG"}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, env=env, timeout=50
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "logging loaded after a call: False\n"
    lines = [line for line in proc.stderr.splitlines() if line.startswith("tela_sdk ")]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tela_sdk DEBUG POST /v2/chat/completions -> 200 in "), lines
