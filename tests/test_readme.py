"""The README's quickstart runs exactly as printed: its code blocks are read from README.md
and run against the emulator (in process, then standalone through the printed command)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tela_sdk import Client

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BIN = Path(sys.executable).parent


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def blocks(text: str) -> list[tuple[str, str]]:
    """The fenced code blocks of ``text``: (language, code)."""
    return [(m[1], m[2]) for m in re.finditer(r"^```(\w*)\n(.*?)^```$", text, flags=re.M | re.S)]


QUICKSTART = blocks(section("Quickstart"))
PYTHON = [code for lang, code in QUICKSTART if lang == "python"]
SHELL = [code for lang, code in QUICKSTART if lang == "sh"]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELA_", "DIFY_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # where pip puts the tela-sdk command
    return env


def run_python(code: str, env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_first_lines_are_the_two_make_targets() -> None:
    first = blocks(README[: README.index("\n## ")])[0]
    assert first[0] == "sh"
    assert [line.split()[:2] for line in first[1].splitlines()] == [["make", "demo"], ["make", "test"]]
    makefile = (ROOT / "Makefile").read_text()
    assert "\ndemo:" in makefile
    assert "\ntest:" in makefile


def test_quickstart_shape() -> None:
    assert len(PYTHON) == 2
    assert SHELL[0].split()[:3] == ["pip", "install", "tela-sdk"]
    assert 'name = "tela-sdk"' in (ROOT / "pyproject.toml").read_text()


def test_step_1_runs_on_the_embedded_emulator() -> None:
    out = run_python(PYTHON[0], clean_env())
    assert out == "Summary of: Invoice #1042\nSummary of: Invoice #1043"


@pytest.mark.parametrize("which", ["command", "alternative"])
def test_step_2_runs_against_the_standalone_emulator(which: str) -> None:
    line = SHELL[1].strip()
    command, _, comment = line.partition("#")
    if which == "alternative":
        command = comment.strip().removeprefix("or:")
    argv = shlex.split(command)
    if argv[0] == "python":
        argv[0] = sys.executable
    env = clean_env()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("listening on http://127.0.0.1:")
        exports = proc.stdout.readline().split()
        assert exports[0] == "export"
        env.update(item.partition("=")[::2] for item in exports[1:])
        assert env["TELA_API_KEY"] == "test-key"  # as the README says
        out = run_python(PYTHON[1], env)
        assert re.fullmatch(r"Summary of: Invoice #1042 req_\w+\n", out), out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_step_3_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SHELL[2].split()[:2] == ["export", "TELA_API_KEY=..."]
    monkeypatch.delenv("TELA_BASE_URL", raising=False)
    monkeypatch.setenv("TELA_API_KEY", "sk-test")
    assert Client().base_url == "https://api.tela.com"
