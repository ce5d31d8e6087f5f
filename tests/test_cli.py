"""The ``tela-sdk`` command against the emulator: in-process for the paths, as a process for
``python -m tela_sdk``, the console script and ``tela-sdk emulator``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tela_sdk import File, InvalidRequestError
from tela_sdk._cli import main, parse_var
from tela_sdk.testing import Emulator, ReplyRequest

from .cliutil import cli


def test_parse_var_forms(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("hello")
    assert parse_var("lang=en") == ("lang", "en")
    assert parse_var("n:=3") == ("n", 3)
    assert parse_var('tags:=[1, "x"]') == ("tags", [1, "x"])
    assert parse_var("handle=@@me") == ("handle", "@me")
    assert parse_var("eq=a=b") == ("eq", "a=b")
    name, value = parse_var(f"doc=@{doc}")
    assert name == "doc"
    assert isinstance(value, File)
    assert value.name == "a.txt"


@pytest.mark.parametrize("spec", ["novalue", "=x", "n:=nope", "doc=@"])
def test_bad_var_is_a_typed_error(spec: str) -> None:
    with pytest.raises(InvalidRequestError, match="--var"):
        parse_var(spec)


def test_missing_file_fails_before_sending(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    canvas = env.add_canvas(template="{{doc}}")
    # A relative path: the message shortens a long one in its middle (pytest-xdist's tmp paths are).
    monkeypatch.chdir(tmp_path)
    code, out = cli("run", "--canvas-id", canvas.id, "--var", "doc=@missing.pdf")
    assert code == 1
    assert out == ""
    err = capsys.readouterr().err
    assert "missing.pdf" in err
    assert env.requests == []


def test_run_prints_the_answer(env: Emulator) -> None:
    canvas = env.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}")
    assert cli("run", "--canvas-id", canvas.id, "--var", "document=Invoice 7") == (0, "Summary of Invoice 7\n")


def test_run_json_and_typed_vars_and_files(env: Emulator, tmp_path: Path) -> None:
    doc = tmp_path / "invoice.txt"
    doc.write_bytes(b"total 42")
    seen: dict[str, Any] = {}

    def reply(req: ReplyRequest) -> dict[str, Any]:
        seen["variables"] = req.variables
        return {"files": [f.text for f in req.files], "n": req.variables["n"]}

    canvas = env.add_canvas(template="x", reply=reply)
    code, out = cli("run", "--canvas-id", canvas.id, "--var", "n:=3", "--var", f"doc=@{doc}", "--json")
    assert code == 0
    body = json.loads(out)
    assert body["choices"][0]["message"]["content"] == {"files": ["total 42"], "n": 3}
    assert seen["variables"]["n"] == 3


def test_structured_answer_prints_as_json(env: Emulator) -> None:
    canvas = env.add_canvas(template="x", reply={"total": 42})
    code, out = cli("run", "--canvas-id", canvas.id)
    assert code == 0
    assert json.loads(out) == {"total": 42}


def test_stream_prints_text_and_json_lines(env: Emulator) -> None:
    canvas = env.add_canvas(template="t", reply="one two three four", stream={"chunk_size": 4})
    code, out = cli("stream", "--canvas-id", canvas.id)
    assert (code, out) == (0, "one two three four\n")
    code, out = cli("stream", "--canvas-id", canvas.id, "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) >= 4
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in lines if c.get("choices")) == (
        "one two three four"
    )


def test_submit_then_wait(env: Emulator) -> None:
    canvas = env.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}")
    code, run_id = cli("submit", "--canvas-id", canvas.id, "--var", "document=Q3")
    assert code == 0
    run_id = run_id.strip()
    assert run_id
    assert cli("wait", run_id) == (0, "Summary of Q3\n")
    code, out = cli("submit", "--canvas-id", canvas.id, "--var", "document=Q4", "--wait", "--json")
    assert code == 0
    assert json.loads(out)["status"] == "succeeded"


def test_api_error_exits_1_with_its_class_and_no_key(env: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli("run", "--canvas-id", "no-such-canvas")
    assert (code, out) == (1, "")
    err = capsys.readouterr().err
    assert "NotFoundError" in err
    assert env.api_key not in err


def test_missing_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.delenv("TELA_API_KEY", raising=False)
    assert cli("run", "--canvas-id", "c")[0] == 1
    assert "TELA_API_KEY" in capsys.readouterr().err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["run", "--no-such-flag"])
    assert e.value.code == 2


def test_dify_run_and_stream(emulator: Emulator) -> None:
    app = emulator.add_dify_app(template="Echo: {{text}}")
    base = ["--api", "dify", "--base-url", emulator.dify_url, "--api-key", app.api_key]
    assert cli("run", "--var", "text=hi", *base) == (0, "Echo: hi\n")
    assert cli("stream", "--var", "text=hi there", *base) == (0, "Echo: hi there\n")


def _env_for(emulator: Emulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELA_", "DIFY_"))}
    env.update(TELA_BASE_URL=emulator.url, TELA_API_KEY=emulator.api_key)
    return env


def test_python_dash_m_and_console_script(emulator: Emulator) -> None:
    canvas = emulator.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}")
    args = ["run", "--canvas-id", canvas.id, "--var", "document=A"]
    proc = subprocess.run(
        [sys.executable, "-m", "tela_sdk", *args], capture_output=True, text=True, timeout=60, env=_env_for(emulator)
    )
    assert (proc.returncode, proc.stdout) == (0, "Summary of A\n"), proc.stderr
    script = Path(sys.executable).with_name("tela-sdk")
    if not script.exists():
        pytest.fail(f"the console script is not installed beside {sys.executable}: reinstall the package")
    proc = subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60, env=_env_for(emulator))
    assert (proc.returncode, proc.stdout) == (0, "Summary of A\n"), proc.stderr


def test_emulator_command_serves_both_apis_until_interrupted() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELA_", "DIFY_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tela_sdk", "emulator"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("listening on http://127.0.0.1:")
        exports: dict[str, str] = {}
        for _ in range(2):
            line = proc.stdout.readline().split()
            assert line[0] == "export"
            exports.update(item.partition("=")[::2] for item in line[1:])
        run = subprocess.run(
            [sys.executable, "-m", "tela_sdk", "run", "--canvas-id", "demo", "--var", "document=memo"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**env, **exports},
        )
        assert (run.returncode, run.stdout) == (0, "Summary of: memo\n"), run.stderr
        dify = subprocess.run(
            [sys.executable, "-m", "tela_sdk", "run", "--api", "dify", "--var", "text=ping"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**env, **exports},
        )
        assert (dify.returncode, dify.stdout) == (0, "Echo: ping\n"), dify.stderr
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_batch_over_a_jsonl_file_then_resume(env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    canvas = env.add_canvas(template="{{document}} in {{lang}}", reply="{{document}} in {{lang}}")
    doc = tmp_path / "memo.txt"
    doc.write_text("memo text")
    src = tmp_path / "in.jsonl"
    lines = [
        {"variables": {"document": "a"}},
        {"variables": {"document": "b", "lang": "fr"}},
        {"canvas_id": "missing", "variables": {"document": "c"}},
        {"variables": {"document": {"$file": str(doc)}}},
    ]
    src.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    out = tmp_path / "out.jsonl"
    argv = ["batch", str(src), "-o", str(out), "--canvas-id", canvas.id, "--var", "lang=en", "--no-progress"]
    code, stdout = cli(*argv, "--concurrency", "2")
    assert (code, stdout) == (1, "")
    assert "1 of 4 items failed" in capsys.readouterr().err
    records = {r["index"]: r for r in map(json.loads, out.read_text().splitlines())}
    content = {i: r["completion"]["choices"][0]["message"]["content"] for i, r in records.items() if r["ok"]}
    assert content[0] == "a in en"
    assert content[1] == "b in fr"
    assert content[3].endswith(" in en")
    assert records[2]["error"]["type"] == "NotFoundError"
    env.clear_requests()
    assert cli(*argv, "--resume")[0] == 1
    assert env.requests == []


def test_batch_refuses_a_line_that_is_not_an_object(env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    src = tmp_path / "in.jsonl"
    src.write_text('{"variables": {}}\n[1, 2]\n')
    assert cli("batch", str(src), "--canvas-id", "c", "--no-progress") == (1, "")
    assert "in.jsonl:2 must be a JSON object" in capsys.readouterr().err
    assert env.requests == []


# The command as a user meets it: a process, its exit status, its stdout and stderr.


def run_cli(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tela_sdk", *argv], capture_output=True, text=True, timeout=120, env=env
    )


def test_version_prints_the_package_version() -> None:
    from tela_sdk import __version__

    proc = run_cli("--version", env=dict(os.environ))
    assert (proc.returncode, proc.stdout) == (0, f"tela-sdk {__version__}\n"), proc.stderr


@pytest.mark.parametrize("command", ["run", "stream", "submit"])
def test_missing_target_is_a_usage_error_naming_the_flags(emulator: Emulator, command: str) -> None:
    proc = run_cli(command, "--var", "document=x", env=_env_for(emulator))
    assert proc.returncode == 2, proc.stderr
    assert "--canvas-id" in proc.stderr
    assert "--version-id" in proc.stderr
    assert "canvas_id" not in proc.stderr
    assert "Traceback" not in proc.stderr
    assert emulator.requests == []


def test_two_targets_and_a_stray_environment_are_usage_errors(emulator: Emulator) -> None:
    proc = run_cli("run", "--canvas-id", "demo", "--version-id", "v1", env=_env_for(emulator))
    assert proc.returncode == 2
    assert "not --canvas-id and --version-id" in proc.stderr
    proc = run_cli("run", "--version-id", "v1", "--environment", "staging", env=_env_for(emulator))
    assert proc.returncode == 2
    assert "--environment needs --canvas-id" in proc.stderr
    assert emulator.requests == []


@pytest.mark.parametrize(("api", "variable"), [("tela", "TELA_API_KEY"), ("dify", "DIFY_API_KEY")])
def test_missing_key_names_the_variable_and_the_flag(emulator: Emulator, api: str, variable: str) -> None:
    env = {k: v for k, v in _env_for(emulator).items() if not k.endswith("_API_KEY")}
    proc = run_cli("run", "--api", api, "--canvas-id", "demo", "--var", "text=x", env=env)
    assert proc.returncode == 1
    assert variable in proc.stderr
    assert "--api-key" in proc.stderr
    assert "api_key=" not in proc.stderr


def test_sdk_messages_name_flags_not_keyword_arguments() -> None:
    from tela_sdk._cli import _cli_words

    core = (
        "Say what to run: pass canvas_id=... (the version published to production, or to environment_name=...), "
        "version_id=... (one exact version), or application_id=... (a Workstation app)."
    )
    assert _cli_words(core) == (
        "Say what to run: pass --canvas-id ... (the version published to production, or to --environment ...), "
        "--version-id ... (one exact version), or --application-id ... (a Workstation app)."
    )
    assert _cli_words("No API key: pass api_key=... or set X.") == "No API key: pass --api-key ... or set X."
    assert _cli_words("the canvas_id field") == "the canvas_id field"  # only keyword arguments


def test_emulator_on_a_busy_port_says_so_without_a_traceback() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = run_cli("emulator", "--port", str(port), env=dict(os.environ))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert f"port {port}" in proc.stderr
    assert "--port" in proc.stderr


def test_submit_wait_prints_the_result(emulator: Emulator) -> None:
    canvas = emulator.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}")
    proc = run_cli("submit", "--canvas-id", canvas.id, "--var", "document=Q5", "--wait", env=_env_for(emulator))
    assert (proc.returncode, proc.stdout) == (0, "Summary of Q5\n"), proc.stderr
    # The run id goes to stderr, so a wait cut short can be resumed with `tela-sdk wait ID`.
    run_id = proc.stderr.split("run ", 1)[1].split()[0]
    proc = run_cli("wait", run_id, env=_env_for(emulator))
    assert (proc.returncode, proc.stdout) == (0, "Summary of Q5\n"), proc.stderr
