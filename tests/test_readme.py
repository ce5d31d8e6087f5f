"""The README runs exactly as printed.

The quickstart is checked step by step (in process, then standalone through the printed
command). Then every ```python block of the README runs, each in a fresh interpreter, in a
scratch folder holding the sample files the blocks name (``invoice.pdf``, ``notes.txt``...),
with ``TELA_BASE_URL``/``TELA_API_KEY`` and ``DIFY_BASE_URL``/``DIFY_API_KEY`` pointing at an
emulator this test starts (its demos, plus what ``PLACEHOLDERS`` names). Two explicit means
let a block be short, and nothing else:

- **Placeholders**: an ALL_CAPS name of ``PLACEHOLDERS`` used in a block (``canvas_id=CANVAS_ID``)
  is defined before the block runs, with the value this test gives it.
- **Setup**: an HTML comment on the line before the fence, ``<!-- readme-test: setup=client -->``
  (names from ``SETUPS``, comma-separated), runs that code first: a fragment that continues an
  earlier block (``client`` already made) says so there, visibly in the source.

Every block runs: ``test_every_python_block_is_collected`` counts the fences, and an unknown
directive or setup name fails.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tela_sdk import Client
from tela_sdk.testing import Emulator

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
    install = [line.partition("#")[0].split() for line in SHELL[0].splitlines()]
    # What works today first: a checkout, then a wheel built by `make wheel`; PyPI once released.
    assert install[0] == ["pip", "install", "."]
    assert install[1] == ["make", "wheel", "&&", "pip", "install", "dist/tela_sdk-*.whl"]
    assert install[2] == ["pip", "install", "tela-sdk"]
    assert 'name = "tela-sdk"' in (ROOT / "pyproject.toml").read_text()


def test_make_wheel_builds_into_dist_and_a_tag_publishes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nwheel:") :].split("\n\n")[0]
    assert "maturin build --release --out dist" in recipe
    assert "make wheel" in section("Development")
    release = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert 'tags: ["v*"]' in release
    assert "command: sdist" in release
    publish = release[release.index("\n  publish:") :]
    assert "id-token: write" in publish
    assert "pypa/gh-action-pypi-publish@release/v1" in publish
    assert "needs: [linux, macos, windows, sdist, smoke]" in publish


def test_project_urls_and_the_readme_links_to_the_examples() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    urls = dict(re.findall(r'^"?([\w ]+)"? = "(https://[^"]+)"$', pyproject[pyproject.index("[project.urls]") :], re.M))
    assert {"Homepage", "Documentation", "Examples", "Changelog", "Issues"} <= set(urls)
    # Absolute links, so they work where a pip user reads the README (PyPI), not only in a checkout.
    assert f"]({urls['Examples']})" in README
    assert f"]({urls['Examples'].replace('/tree/', '/blob/')}/notebook.ipynb)" in README
    assert (ROOT / "examples" / "notebook.ipynb").exists()


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


# --- every python block -----------------------------------------------------------------------

BLOCK = re.compile(r"(?:^<!-- readme-test: (?P<directive>[^\n]*?) -->\n)?^```python\n(?P<code>.*?)^```$", re.M | re.S)
ALL_BLOCKS = [
    (m["directive"] or "", m["code"], README.count("\n", 0, m.start("code")) + 1) for m in BLOCK.finditer(README)
]

#: The ALL_CAPS names a block may use; their values point at what the emulator below serves.
PLACEHOLDERS: dict[str, str] = {
    "CANVAS_ID": "readme-canvas",  # template "Summarize: {{document}}", a "staging" environment
    "STRUCTURED_CANVAS_ID": "readme-structured",  # answers {"total": 42}
    "APPLICATION_ID": "readme-app",  # a Workstation application (runs through submit)
    "DIFY_CHAT_APP_KEY": "app-readme-chat",  # a Dify chat app (the demo app is a completion app)
}

#: Code a block may ask to run first (``<!-- readme-test: setup=NAME -->``).
SETUPS: dict[str, str] = {
    "client": "from tela_sdk import AsyncClient, Client\nclient = Client()\naclient = AsyncClient()\n",
}

#: The sample files the blocks name, made in each block's scratch folder.
SAMPLES: dict[str, bytes] = {
    "invoice.pdf": b"%PDF-1.4\n% invoice #1042, total 42\n%%EOF\n",
    "report.pdf": b"%PDF-1.4\n% report\n%%EOF\n",
    "big.pdf": b"%PDF-1.4\n" + b"0" * (5 << 20) + b"\n%%EOF\n",  # past the 4 MiB inline limit: vault
    "a.png": bytes.fromhex("89504e470d0a1a0a") + b"\0" * 32,
    "notes.txt": b"Call the supplier on Monday.\n",
}


def block_id(block: tuple[str, str, int]) -> str:
    return f"line{block[2]}"


@pytest.fixture(scope="module")
def served() -> Iterator[Emulator]:
    with Emulator() as emu:
        emu.add_demos()
        emu.add_canvas(
            id=PLACEHOLDERS["CANVAS_ID"],
            template="Summarize: {{document}}",
            reply="Summary of: {{document}}",
            versions=[{"id": "readme-v2", "template": "Summarize: {{document}}"}],
            environments={"staging": "readme-v2"},
            allow_missing_variables=True,
        )
        emu.add_canvas(application_id=PLACEHOLDERS["APPLICATION_ID"], allow_missing_variables=True)
        emu.add_canvas(id=PLACEHOLDERS["STRUCTURED_CANVAS_ID"], reply={"total": 42}, allow_missing_variables=True)
        emu.add_dify_app(api_key=PLACEHOLDERS["DIFY_CHAT_APP_KEY"], mode="chat", template="{{query}}")
        yield emu


def prelude(directive: str, code: str) -> str:
    parts: list[str] = []
    for item in directive.split():
        key, _, value = item.partition("=")
        assert key == "setup", f"unknown readme-test directive {item!r} (known: setup=NAME[,NAME])"
        for name in value.split(","):
            assert name in SETUPS, f"unknown setup {name!r} (known: {', '.join(SETUPS)})"
            parts.append(SETUPS[name])
    used = sorted(set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", code)) & set(PLACEHOLDERS))
    parts.extend(f"{name} = {PLACEHOLDERS[name]!r}\n" for name in used)
    return "".join(parts)


def test_every_python_block_is_collected() -> None:
    fences = len(re.findall(r"^```python$", README, flags=re.M))
    assert len(ALL_BLOCKS) == fences, "a ```python block the harness does not see (a malformed readme-test comment?)"
    stray = len(re.findall(r"^<!-- readme-test:", README, flags=re.M)) - sum(1 for d, _, _ in ALL_BLOCKS if d)
    assert stray == 0, "a readme-test comment that is not on the line right before a ```python fence"


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=block_id)
def test_python_block_runs_as_printed(block: tuple[str, str, int], served: Emulator, tmp_path: Path) -> None:
    directive, code, line = block
    for name, content in SAMPLES.items():
        (tmp_path / name).write_bytes(content)
    env = clean_env()
    env.update(
        TELA_BASE_URL=served.url,
        TELA_API_KEY=served.api_key,
        DIFY_BASE_URL=served.dify_url,
        DIFY_API_KEY="app-demo",
    )
    source = prelude(directive, code) + textwrap.dedent(code)
    proc = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
    )
    assert proc.returncode == 0, f"README.md line {line}:\n{code}\n{proc.stderr}"


def test_every_public_error_is_in_the_errors_table() -> None:
    """A class a user can catch is one they look up in the README's Errors table."""
    import tela_sdk

    table = section("Errors")
    public = [
        name
        for name in tela_sdk.__all__
        if isinstance(getattr(tela_sdk, name), type) and issubclass(getattr(tela_sdk, name), tela_sdk.TelaError)
    ]
    assert len(public) > 10
    missing = [name for name in public if f"`{name}`" not in table]
    assert missing == [], f"add a row (or a mention) to README ## Errors for: {missing}"
