"""Every example runs as written against the emulator (no account, no network)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELA_", "DIFY_"))}
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_quickstart() -> None:
    out = run_example("quickstart.py")
    assert "answer:     Summary of: Invoice #1042" in out
    assert "streamed:   Summary of: Invoice #1043" in out
    assert "NotFoundError (HTTP 404, code NOT_FOUND)" in out


def test_workstation_review() -> None:
    out = run_example("workstation_review.py")
    assert "created 3 tasks: invoice-1.pdf, invoice-2.pdf, invoice-3.pdf" in out
    assert out.count(": completed, output {'vendor': 'Acme Corp', 'total': 1042.5}") == 3
    assert "edited:     {'vendor': 'Acme Corporation', 'total': 1042.5} (was {'vendor': 'Acme Corp'" in out
    assert out.count("approved:   invoice-") == 3
    assert "still to review: none" in out


def test_streaming() -> None:
    out = run_example("streaming.py")
    assert "Old silent pond" in out
    assert " chunks, 69 characters" in out


def test_stream_server() -> None:
    pytest.importorskip("aiohttp")
    out = run_example("stream_server.py")
    assert "Waves fold into the moon" in out


def test_async_runs() -> None:
    out = run_example("async_runs.py")
    assert "submitted 3 runs; waiting for all of them:" in out
    assert out.count("succeeded") == 3
    assert "result: Summary of: Invoice #1042" in out
    assert "total cost: $0.000" in out


def test_webhook_receiver() -> None:
    out = run_example("webhook_receiver.py")
    assert '"POST /tela-webhook HTTP/1.1" 204' in out
    assert "succeeded" in out
    assert "result:    {'sentiment': 'positive', 'confidence': 0.93}" in out


def test_batch() -> None:
    out = run_example("batch.py")
    assert "200 items, 1 failed; first answer: Summary of: Invoice #1000" in out
    assert "item 13: NotFoundError" in out
    assert "resumed: 199 ok from results.jsonl, 200 lines" in out


@pytest.mark.timeout(300)
def test_dask_batch() -> None:
    out = run_example("dask_batch.py")
    assert "dask: 400 of 400 ok over 8 partitions; first: Summary of Report 0" in out


# Starting a Ray or Dask cluster takes tens of seconds on a loaded 2-core machine.
@pytest.mark.timeout(300)
def test_ray_batch() -> None:
    out = run_example("ray_batch.py")
    assert "ray: 300 of 300 ok; first: Summary of Contract 0" in out


def test_typed_canvas() -> None:
    # The checked-in examples/invoice_types.py matches the canvas (`--check` exits 0), a run is
    # parsed into it, and a new staging version makes `--check` exit 1 with the diff.
    out = run_example("typed_canvas.py")
    assert "check: 0 - tela-sdk: invoice_types.py is up to date" in out
    assert "vendor ACME, total 1042.5, status open\nlines: (not given)\n" in out
    assert "after publishing v2 to staging, check: 1\n" in out
    assert '    -VERSION_ID = "v1"\n    +VERSION_ID = "v2"\n    +    po: str\n' in out
    assert "regenerated, check: 0" in out


def test_with_cassette() -> None:
    out = run_example("test_with_cassette.py")
    assert "record: test_blocking_and_streamed_answers.yaml" in out
    assert "replay: test_blocking_and_streamed_answers.yaml" in out
    assert out.count("passed") == 2
    assert "cassettes: test_a_file_goes_through_the_vault.yaml, test_blocking_and_streamed_answers.yaml" in out
