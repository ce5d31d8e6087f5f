"""The emulator's strict mode (protocol.md §8): only the fields the public docs show, in
blocking completions, stream chunks, runs and the legacy webhook body; and the flags that
turn it on. Each answer is read off the wire (urllib), not through the SDK's models."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from typing import Any

import pytest

from tela_sdk import RunFailedError
from tela_sdk.testing import Emulator


def _post(emu: Emulator, body: dict[str, Any]) -> bytes:
    req = urllib.request.Request(
        emu.url + "/v2/chat/completions",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {emu.api_key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        data: bytes = resp.read()
        return data


def _chunks(raw: bytes) -> list[dict[str, Any]]:
    out = []
    for frame in raw.decode().split("\n\n"):
        data = frame.removeprefix("data: ")
        if data and data != "[DONE]":
            out.append(json.loads(data))
    return out


def test_strict_completion_has_only_the_documented_fields() -> None:
    with Emulator(strict=True) as emu:
        canvas = emu.add_canvas(reply="hello")
        body = json.loads(_post(emu, {"canvas_id": canvas.id}))
    assert set(body) == {"id", "object", "created", "choices"}
    assert body["object"] == "chat.completion"
    assert body["choices"] == [{"message": {"role": "assistant", "content": "hello"}}]
    with Emulator(strict=True) as emu, emu.client() as client:
        out = client.completions.create(canvas_id=emu.add_canvas(reply="hi").id)
    assert (out.content, out.model, out.usage, out.choices[0].finish_reason) == ("hi", None, None, None)


def test_lax_completion_keeps_the_extra_fields() -> None:
    with Emulator() as emu:  # the default, for this version
        canvas = emu.add_canvas(reply="hello")
        body = json.loads(_post(emu, {"canvas_id": canvas.id}))
    assert {"model", "usage"} <= set(body)
    assert body["choices"][0]["finish_reason"] == "stop"


def test_strict_stream_chunks() -> None:
    with Emulator(strict=True) as emu:
        canvas = emu.add_canvas(reply={"greeting": "hi"}, stream={"chunk_size": 4})
        chunks = _chunks(_post(emu, {"canvas_id": canvas.id, "stream": True}))
    assert len(chunks) >= 3
    for chunk in chunks:
        assert set(chunk) == {"id", "object", "created", "choices", "message"}, chunk
        assert set(chunk["choices"][0]) == {"delta"}
        assert set(chunk["choices"][0]["delta"]) == {"role", "content"}
        assert set(chunk["message"]) == {"role", "content", "structured_content"}
    assert chunks[-1]["message"]["structured_content"] == {"greeting": "hi"}
    assert "".join(c["choices"][0]["delta"]["content"] or "" for c in chunks) == '{"greeting":"hi"}'


def test_strict_runs_have_empty_raw_output_and_no_error() -> None:
    with Emulator(strict=True) as emu, emu.client() as client:
        fast = {"created_ms": 0, "running_ms": 0}
        ok = client.completions.submit(canvas_id=emu.add_canvas(reply="x", run=fast).id).wait(poll_interval=0.01)
        failed = client.completions.submit(canvas_id=emu.add_canvas(run={**fast, "fail": True}).id)
        with pytest.raises(RunFailedError, match="the API gave no reason"):
            failed.wait(poll_interval=0.01)
        failed_data = client.completions.retrieve(failed.id).to_dict()
    assert (ok.status, ok.to_dict()["raw_output"], ok.content) == ("succeeded", {}, "x")
    assert failed_data["status"] == "failed"
    assert "error" not in failed_data


def test_serve_strict_flag() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELA_", "DIFY_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tela_sdk.testing", "serve", "--strict", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        req = urllib.request.Request(
            url + "/v2/chat/completions",
            data=json.dumps({"canvas_id": "demo", "variables": {"document": "x"}}).encode(),
            method="POST",
            headers={"Authorization": "Bearer test-key", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            body = json.load(resp)
        assert set(body) == {"id", "object", "created", "choices"}
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) in (0, -signal.SIGINT)  # a SIGINT that lands during shutdown ends it by the signal
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("strict", [True, False])
def test_emulator_remembers_its_mode(strict: bool) -> None:
    with Emulator(strict=strict) as emu:
        assert emu.strict is strict
