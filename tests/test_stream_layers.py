"""The shared stream layers know no API (issue 23): each API hands its stream rules, event
types and totals in, so a new API adds a folder per layer and touches none of these files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SHARED = [
    "crates/tela-core/src/events.rs",
    "crates/tela-core/src/shape/mod.rs",
    "crates/tela-core/src/shape/pick.rs",
    "crates/tela-core/src/tally.rs",
    "src/stream.rs",
    "python/tela_sdk/_streaming.py",
]

# What naming an API looks like in these files: its name as a word (not the crate or
# package name `tela_core` / `tela_sdk`), its modules, or its event and result types.
API_NAMES = re.compile(
    r"\bdify\b|\bDify|\btela\b(?!_)|\bTela(?!Error)|tela::|Flavor|CompletionChunk|FinalMessage|\[DONE\]|choices",
    re.IGNORECASE,
)


@pytest.mark.parametrize("path", SHARED)
def test_shared_stream_files_name_no_api(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    found = [
        f"{n}: {line.strip()}"
        for n, line in enumerate(text.splitlines(), 1)
        if API_NAMES.search(line.replace("tela_core", "").replace("tela_sdk", ""))
    ]
    assert not found, f"{path} names an API:\n" + "\n".join(found)
