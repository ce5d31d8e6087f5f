"""``tela-sdk tasks create|get|list|approve`` against the emulator (issue 24 item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tela_sdk.testing import Emulator

from .cliutil import cli


@pytest.fixture
def env(env: Emulator) -> Emulator:
    """conftest's ``env``, with an application to make tasks of."""
    emulator = env
    emulator.add_canvas(
        template="Read {{document}}", reply={"total": 7}, application_id="app-cli", run={"running_ms": 20}
    )
    return emulator


def test_create_get_list_approve(env: Emulator, tmp_path: Path) -> None:
    doc = tmp_path / "invoice.pdf"
    doc.write_bytes(b"%PDF-1.4 cli")
    code, out = cli(
        "tasks",
        "create",
        "--application-id",
        "app-cli",
        "--name",
        "Invoice",
        "--var",
        f"document=@{doc}",
        "--tag",
        "cli",
        "--wait",
    )
    assert code == 0
    task_id, status, name = out.splitlines()[0].split("\t")
    assert (status, name) == ("completed", "Invoice")
    assert json.loads("".join(out.splitlines(keepends=True)[1:])) == {"total": 7}
    [post] = [r for r in env.requests if r.method == "POST" and r.path == "/task"]
    assert post.body["rawInput"]["variables"]["document"]["file_url"].startswith("data:application/pdf")
    assert post.body["tags"] == ["cli"]

    code, out = cli("tasks", "get", task_id, "--json")
    assert code == 0
    got = json.loads(out)
    assert (got["id"], got["output_content"]["content"]) == (task_id, {"total": 7})

    code, second = cli("tasks", "create", "--application-id", "app-cli", "--name", "Other", "--var", "document=x")
    assert code == 0
    code, out = cli("tasks", "list", "--application-id", "app-cli")
    assert code == 0
    assert [line.split("\t")[0] for line in out.splitlines()] == [second.strip(), task_id]
    code, out = cli("tasks", "list", "--application-id", "app-cli", "--json", "--limit", "1")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [second.strip()]

    code, out = cli("tasks", "approve", task_id, "--json")
    assert code == 0
    assert json.loads(out)["approved_at"] is not None


def test_errors_exit_1_and_usage_exits_2(env: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = cli("tasks", "get", "no-such-task")
    assert code == 1
    assert "NotFoundError" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        cli("tasks", "list", "--nope", "x")
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        cli("tasks", "create", "--name", "n")  # --application-id is required
