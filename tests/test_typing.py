"""What a user's type checker says about tela_sdk: scripts checked with ``mypy --strict``.

Each snippet marks the lines that must fail with ``# E``; every other line must pass. All
snippets are checked in one mypy run (it is slow to start), then each test reads its own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SNIPPETS: dict[str, str] = {
    "fields": """
        from tela_sdk import Completion, Run

        def check(out: Completion, run: Run) -> None:
            total: int | None = out.usage.total_tokens if out.usage is not None else None
            ident: str = out.id
            role: str = out.choices[0].message.role
            status: str = run.status
            undeclared: object = out.get("brand_new")  # the typed way to read an unknown field
            raw: dict[str, object] = out.to_dict()
            out.totl_tokens  # E
            out.usage.totl_tokens if out.usage is not None else None  # E
            out.id = "x"  # E
            out.choices[0].message.role = "user"  # E
            run.status = "failed"  # E
            out.brand_new = 1  # E
            wrong: int = out.id  # E
    """,
    "overloads": """
        from typing_extensions import assert_type

        from tela_sdk import AsyncClient, AsyncDifyClient, AsyncDifyStream, AsyncStream, Client
        from tela_sdk import Completion, CompletionChunk, DifyClient, DifyStream, Stream
        from tela_sdk.dify_types import DifyChatCompletion, DifyCompletion

        def sync(client: Client, dify: DifyClient, flag: bool) -> None:
            create = client.completions.create
            assert_type(create(canvas_id="c"), Completion)
            assert_type(create(canvas_id="c", stream=True), Stream[CompletionChunk])
            assert_type(create(canvas_id="c", stream=flag), Completion | Stream[CompletionChunk])
            chat = dify.chat_messages.create(query="q", user="u", stream=flag)
            assert_type(chat, DifyChatCompletion | DifyStream)
            done = dify.completion_messages.create(inputs={}, user="u", stream=flag)
            assert_type(done, DifyCompletion | DifyStream)
            create(canvas_id="c", stream="yes")  # E

        async def run_async(client: AsyncClient, dify: AsyncDifyClient, flag: bool) -> None:
            out = await client.completions.create(canvas_id="c", stream=flag)
            assert_type(out, Completion | AsyncStream[CompletionChunk])
            chat = await dify.chat_messages.create(query="q", user="u", stream=flag)
            assert_type(chat, DifyChatCompletion | AsyncDifyStream)
            done = await dify.completion_messages.create(inputs={}, user="u", stream=flag)
            assert_type(done, DifyCompletion | AsyncDifyStream)
    """,
    "tasks": """
        from typing_extensions import assert_type

        from tela_sdk import AsyncClient, AsyncRun, AsyncTask, Client, Run, Task, TaskFailedError

        def sync(client: Client) -> None:
            task = client.completions.submit(application_id="app", label="t")
            assert_type(task, Task)
            assert_type(task.wait(timeout=5, poll_interval=0.1), Task)
            assert_type(client.completions.submit(canvas_id="c"), Run)
            completion_run: str | None = task.completion_run_id
            application: str | None = task.application_id
            try:
                task.wait()
            except TaskFailedError as e:
                failed_id: str = e.task.id
            task.status = "completed"  # E
            client.completions.submit(application_id="app", canvas_id="c")  # E

        async def run_async(client: AsyncClient) -> None:
            task = await client.completions.submit(application_id="app")
            assert_type(task, AsyncTask)
            assert_type(await task.wait(), AsyncTask)
            assert_type(await client.completions.submit(canvas_id="c"), AsyncRun)
    """,
    "parse": """
        import dataclasses
        from typing import TypedDict

        import pydantic
        from typing_extensions import assert_type

        from tela_sdk import Client, Completion, FinalMessage

        class Answer(pydantic.BaseModel):
            score: int

        @dataclasses.dataclass
        class Verdict:
            label: str

        class Shape(TypedDict):
            label: str

        def check(out: Completion, final: FinalMessage) -> None:
            assert_type(out.parse(Answer), Answer)
            assert_type(out.parse(Verdict), Verdict)
            assert_type(out.parse(Shape), Shape)
            assert_type(final.parse(Answer), Answer)
            score: str = out.parse(Answer).score  # E
    """,
    "raw": """
        from typing_extensions import assert_type

        from tela_sdk import AsyncClient, Client, Completion, DifyClient, RawResponse, Run
        from tela_sdk.dify_types import DifyCompletion

        async def check(client: Client, aclient: AsyncClient, dify: DifyClient) -> None:
            raw = client.with_raw_response.completions.create(canvas_id="c")
            assert_type(raw, RawResponse[Completion])
            assert_type(raw.status_code, int)
            assert_type(raw.parse(), Completion)
            assert_type(client.with_raw_response.completions.retrieve("r").parse(), Run)
            assert_type(await aclient.with_raw_response.completions.create(canvas_id="c"), RawResponse[Completion])
            assert_type(dify.with_raw_response.completion_messages.create(user="u").parse(), DifyCompletion)
            client.with_raw_response.completions.create(canvas_id="c", stream=True)  # E
    """,
}

_ERROR = re.compile(r"^(?P<file>[^:]+\.py):(?P<line>\d+): error: (?P<message>.*)$")


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[int, str]]:
    """Every snippet checked in one ``mypy --strict`` run: {snippet: {line: message}}."""
    folder = tmp_path_factory.mktemp("typing")
    for name, source in SNIPPETS.items():
        (folder / f"snippet_{name}.py").write_text(textwrap.dedent(source).lstrip())
    env = {**os.environ, "MYPYPATH": str(ROOT / "python")}
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--show-error-codes",
         "--python-version", "3.10", "--cache-dir", str(folder / ".mypy_cache"),
         *sorted(p.name for p in folder.glob("snippet_*.py"))],
        cwd=folder, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stdout + result.stderr
    errors: dict[str, dict[int, str]] = {name: {} for name in SNIPPETS}
    for line in result.stdout.splitlines():
        match = _ERROR.match(line)
        assert match is not None or ": note: " in line, f"unexpected mypy output: {line}"
        if match:
            name = Path(match["file"]).stem.removeprefix("snippet_")
            errors[name].setdefault(int(match["line"]), match["message"])
    return errors


def _marked(name: str) -> set[int]:
    lines = textwrap.dedent(SNIPPETS[name]).lstrip().splitlines()
    return {i for i, text in enumerate(lines, 1) if text.rstrip().endswith("# E")}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_mypy_strict_flags_exactly_the_marked_lines(name: str, mypy_errors: dict[str, dict[int, str]]) -> None:
    assert mypy_errors[name].keys() == _marked(name), mypy_errors[name]


def test_the_errors_say_why(mypy_errors: dict[str, dict[int, str]]) -> None:
    fields = mypy_errors["fields"]
    lines = textwrap.dedent(SNIPPETS["fields"]).lstrip().splitlines()
    by_text = {lines[n - 1].strip(): message for n, message in fields.items()}
    assert '"Completion" has no attribute "totl_tokens"' in by_text["out.totl_tokens  # E"]
    assert "Never" in by_text['out.id = "x"  # E']  # the field's setter takes nothing
