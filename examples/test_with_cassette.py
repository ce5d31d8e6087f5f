"""Record once against the emulator (or your real account), replay offline forever after.

The `tela_cassette` fixture comes with tela-sdk (a pytest plugin): each test gets a cassette
at cassettes/<test module>/<test name>.yaml beside this file. The first run records every
request the SDK sends, later runs replay the file without opening a socket, and
`--tela-record-mode=record` records again. Run it as a script to see both:

    python examples/test_with_cassette.py

which copies this file into a temporary folder and runs pytest on it twice: once recording
against a fresh emulator, once replaying with no emulator at all.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tela_sdk import Client, File
from tela_sdk.testing import Cassette, Emulator

CANVAS = "invoice-summarizer"


@pytest.fixture
def client(tela_cassette: Cassette) -> Iterator[Client]:
    """The emulator while recording; while replaying nothing needs to listen at all."""
    if tela_cassette.effective_mode == "replay":
        yield Client(api_key="unused-in-replay", base_url="http://127.0.0.1:9")
        return
    with Emulator() as emu:
        emu.add_canvas(id=CANVAS, template="Summarize: {{document}}", reply="Summary of {{document}}")
        yield emu.client()


def test_blocking_and_streamed_answers(client: Client, tela_cassette: Cassette) -> None:
    out = client.completions.create(canvas_id=CANVAS, variables={"document": "Invoice #1042"})
    assert out.content == "Summary of Invoice #1042"
    with client.completions.create(canvas_id=CANVAS, variables={"document": "Invoice #1043"}, stream=True) as s:
        assert "".join(s.text()) == "Summary of Invoice #1043"
    print(f"\n{tela_cassette.effective_mode}: {tela_cassette.path.name}")


def test_a_file_goes_through_the_vault(client: Client) -> None:
    pdf = File(b"%PDF-1.4 invoice", name="invoice.pdf", upload="vault")  # POST /v3/files + presigned PUT
    out = client.completions.create(canvas_id=CANVAS, variables={"document": pdf})
    assert out.content == "Summary of [file: invoice.pdf]"


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(__file__, folder)
        for run in ("recording (emulator running)", "replaying (no emulator)"):
            print(f"--- {run}")
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", Path(__file__).name],
                cwd=folder,
                capture_output=True,
                text=True,
            )
            print("\n".join(line for line in proc.stdout.splitlines() if ":" in line and ".yaml" in line))
            print("passed" if proc.returncode == 0 else proc.stdout + proc.stderr)
            if proc.returncode:
                sys.exit(proc.returncode)
        cassettes = sorted(p.name for p in (Path(folder) / "cassettes" / Path(__file__).stem).iterdir())
        print("cassettes:", ", ".join(cassettes))
