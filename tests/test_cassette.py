"""Record and replay (issue 25 item 3): cassettes recorded against the emulator replay with
the emulator stopped, unmatched requests name the nearest recorded one, the network can be
blocked, and secrets never reach the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import tela_sdk
from tela_sdk import AsyncClient, CassetteError, Client, File, NetworkBlockedError
from tela_sdk.testing import Emulator, cassette

from .rawserver import RawConn, RawServer, response

DOCUMENT_KEY = "sk-tela-secret-4f1d2c"
DIFY_KEY = "app-dify-secret-9a8b7c"


def exercise(client: Client, dify: Any, canvas_id: str) -> dict[str, Any]:
    """Blocking and streamed calls of both APIs, and a vault upload."""
    out: dict[str, Any] = {}
    out["blocking"] = client.completions.create(canvas_id=canvas_id, variables={"document": "Invoice 1"}).to_dict()
    with client.completions.create(canvas_id=canvas_id, variables={"document": "Invoice 2"}, stream=True) as s:
        out["stream"] = [chunk.to_dict() for chunk in s]
    pdf = File(b"%PDF-1.4 recorded", name="invoice.pdf", upload="vault")
    out["file"] = client.completions.create(canvas_id=canvas_id, variables={"document": pdf}).content
    out["dify"] = dify.completion_messages.create(inputs={"text": "hi"}, user="u1").to_dict()
    with dify.completion_messages.create(inputs={"text": "yo"}, user="u1", stream=True) as s:
        out["dify_stream"] = [event.to_dict() for event in s]
    out["dify_upload"] = dify.files.upload(b"hello", user="u1", filename="hi.txt").to_dict()  # multipart
    return out


def record(path: Path, **options: Any) -> tuple[dict[str, Any], Client, Any, str]:
    with Emulator(api_key=DOCUMENT_KEY) as emu:
        canvas = emu.add_canvas(
            template="Summarize: {{document}}", reply="Summary of {{document}}", stream={"chunk_size": 4}
        )
        app = emu.add_dify_app(
            api_key=DIFY_KEY, template="T: {{text}}", answer="Hola {{text}}", user_input_form=["text"]
        )
        client = emu.client(api_key=DOCUMENT_KEY, max_retries=0)
        dify = emu.dify_client(app, max_retries=0)
        with cassette(path, "record", **options) as c:
            assert c.effective_mode == "record"
            recorded = exercise(client, dify, canvas.id)
    # The emulator is stopped: the clients now point at a closed port.
    return recorded, client, dify, canvas.id


def test_a_recorded_cassette_replays_with_the_emulator_stopped(tmp_path: Path) -> None:
    path = tmp_path / "cassettes" / "calls.yaml"
    recorded, client, dify, canvas_id = record(path)
    assert recorded["file"] == "Summary of [file: invoice.pdf]"
    assert len(recorded["stream"]) > 2
    assert len(recorded["dify_stream"]) > 2
    with cassette(path, "replay", speed=0) as c:
        assert (c.effective_mode, c.block_network) == ("replay", True)
        assert exercise(client, dify, canvas_id) == recorded
    # Without the cassette the same calls fail: nothing is listening any more.
    with pytest.raises(tela_sdk.APIConnectionError):
        client.completions.create(canvas_id=canvas_id, variables={"document": "Invoice 1"})


def test_the_file_is_vcrpy_layout_with_stream_timing_under_response(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    record(path)
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(path.read_text())  # YAML, as vcrpy loads it
    assert data["version"] == 1
    for it in data["interactions"]:
        # vcrpy builds Request(**request): exactly these keys.
        assert sorted(it["request"]) == ["body", "headers", "method", "uri"]
        assert set(it["response"]) >= {"status", "headers", "body"}
        assert isinstance(it["response"]["body"]["string"], str)
        assert all(isinstance(v, list) for v in it["response"]["headers"].values())
    methods = [(it["request"]["method"], it["request"]["uri"].split("/", 3)[3]) for it in data["interactions"]]
    assert ("PUT", "uploads") in [(m, u.split("/")[0]) for m, u in methods]  # the presigned upload
    stream = next(it for it in data["interactions"] if '"stream":true' in (it["request"]["body"] or ""))
    chunks = stream["response"]["tela"]["chunks"]
    assert len(chunks) > 1
    assert sum(n for _, n in chunks) == len(stream["response"]["body"]["string"].encode())
    assert [at for at, _ in chunks] == sorted(at for at, _ in chunks)


def test_a_replayed_stream_comes_chunk_by_chunk_with_its_gaps_times_speed(tmp_path: Path) -> None:
    path = tmp_path / "stream.yaml"
    with Emulator() as emu:
        canvas = emu.add_canvas(template="{{document}}", reply="one two three four", stream={"chunk_size": 4})
        client = emu.client(max_retries=0)
        body = {"canvas_id": canvas.id, "variables": {"document": "x"}}
        with cassette(path, "record"), client.completions.create(**body, stream=True) as s:  # type: ignore[call-overload]
            recorded = list(s.text())
    data = json.loads(path.read_text())
    chunks = data["interactions"][0]["response"]["tela"]["chunks"]
    assert len(chunks) > 2
    chunks[-1][0] = chunks[-2][0] + 3_600_000_000  # the last chunk an hour after the one before
    path.write_text(json.dumps(data))
    # speed=1: the first pieces come now, the last in an hour; speed=0: no waiting at all.
    with cassette(path, "replay"), client.completions.create(**body, stream=True) as s:  # type: ignore[call-overload]
        assert next(s.text()) == recorded[0]
    with cassette(path, "replay", speed=0), client.completions.create(**body, stream=True) as s:  # type: ignore[call-overload]
        assert list(s.text()) == recorded


async def test_async_clients_record_and_replay_too(tmp_path: Path) -> None:
    path = tmp_path / "async.yaml"
    with Emulator() as emu:
        canvas = emu.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}")
        aclient: AsyncClient = emu.async_client(max_retries=0)
        with cassette(path, "record"):
            first = (await aclient.completions.create(canvas_id=canvas.id, variables={"document": "A"})).content
    async with cassette(path, speed=0) as c:  # "once": the file exists, so it replays
        assert c.effective_mode == "replay"
        assert (await aclient.completions.create(canvas_id=canvas.id, variables={"document": "A"})).content == first
    await aclient.close()


def test_retried_attempts_are_recorded_and_replayed_in_order(tmp_path: Path) -> None:
    path = tmp_path / "retry.yaml"
    with Emulator() as emu:
        canvas = emu.add_canvas(template="{{document}}", reply="ok {{document}}")
        client = emu.client(max_retries=1)
        emu.fail(429, retry_after_ms=10)
        with cassette(path, "record"):
            assert client.completions.create(canvas_id=canvas.id, variables={"document": "x"}).content == "ok x"
    statuses = [it["response"]["status"]["code"] for it in json.loads(path.read_text())["interactions"]]
    assert statuses == [429, 200]
    with cassette(path, "replay", speed=0):
        assert client.completions.create(canvas_id=canvas.id, variables={"document": "x"}).content == "ok x"
    with cassette(path, "replay", speed=0), pytest.raises(tela_sdk.RateLimitError):
        client.with_options(max_retries=0).completions.create(canvas_id=canvas.id, variables={"document": "x"})


def test_an_unmatched_request_names_the_nearest_recorded_one_and_sends_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _, _, _, canvas_id = record(path)

    def answer(conn: RawConn) -> None:
        conn.send(response(500, {}, b"{}"))

    with RawServer(answer) as srv:
        client = Client(api_key="k", base_url=srv.url, max_retries=0)
        with cassette(path, "replay", speed=0):
            with pytest.raises(CassetteError) as err:
                client.completions.create(canvas_id=canvas_id, variables={"document": "Invoice 9"})
            client.completions.create(canvas_id=canvas_id, variables={"document": "Invoice 1"})
            with pytest.raises(CassetteError) as again:
                client.completions.create(canvas_id=canvas_id, variables={"document": "Invoice 1"})
        assert srv.requests == []  # replay opened no connection
    message = str(err.value)
    assert f"No recorded request in cassette {path} matches POST /v2/chat/completions" in message
    assert "nothing was sent" in message
    assert "The nearest recorded request is #1 (POST /v2/chat/completions)" in message
    assert 'differs in body: at $.variables.document, sent "Invoice 9", recorded "Invoice 1"' in message
    assert "--tela-record-mode=record" in message
    assert "is the same, but its answer was already played" in str(again.value)
    assert not isinstance(err.value, NetworkBlockedError)


def test_matching_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    recorded, client, _, canvas_id = record(path)
    with cassette(path, "replay", speed=0, match_on=["method", "path"]):
        other = client.completions.create(canvas_id=canvas_id, variables={"document": "anything"})
    assert other.to_dict() == recorded["blocking"]
    with pytest.raises(tela_sdk.ConfigurationError, match="match_on"):
        cassette(path, match_on=["verb"])
    with cassette(path, "replay", match_on=["method", "path", "host"]), pytest.raises(CassetteError, match="host"):
        Client(api_key="k", base_url="http://localhost:9", max_retries=0).completions.create(
            canvas_id=canvas_id, variables={"document": "Invoice 1"}
        )


def test_block_network_stops_requests_that_leave_the_machine(tmp_path: Path) -> None:
    remote = Client(api_key="k", base_url="https://api.tela.invalid", max_retries=0)
    with cassette(tmp_path / "none.yaml", "none", block_network=True):
        with pytest.raises(NetworkBlockedError) as err:
            remote.completions.create(canvas_id="c", variables={})
        with Emulator() as emu:  # loopback still goes through
            canvas = emu.add_canvas(template="{{document}}", reply="local")
            assert emu.client().completions.create(canvas_id=canvas.id, variables={"document": "x"}).content == "local"
    assert "POST https://api.tela.invalid/v2/chat/completions was not sent" in str(err.value)
    assert "block_network=True" in str(err.value)
    assert not (tmp_path / "none.yaml").exists()  # mode "none" writes nothing
    # Without block_network the same request gets as far as the resolver.
    with cassette(tmp_path / "none.yaml", "none"), pytest.raises(tela_sdk.APIConnectionError):
        remote.completions.create(canvas_id="c", variables={})


def test_replay_without_block_network_sends_unmatched_requests(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _, _, _, canvas_id = record(path)

    def live(conn: RawConn) -> None:
        answer = {"id": "x", "object": "chat.completion", "created": 1, "choices": [{"message": {"content": "live"}}]}
        body = json.dumps(answer).encode()
        conn.send(response(200, {"content-type": "application/json"}, body))

    with RawServer(live) as srv:
        client = Client(api_key="k", base_url=srv.url, max_retries=0)
        with cassette(path, "replay", speed=0, block_network=False):
            assert client.completions.create(canvas_id=canvas_id, variables={"document": "Invoice 1"}).content == (
                "Summary of Invoice 1"
            )
            assert client.completions.create(canvas_id=canvas_id, variables={"document": "new"}).content == "live"
        assert len(srv.requests) == 1


def test_secrets_are_absent_from_the_written_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with Emulator(api_key=DOCUMENT_KEY) as emu:
        canvas = emu.add_canvas(template="{{document}} {{ssn}}", reply="ok")
        client = emu.client(api_key=DOCUMENT_KEY, max_retries=0, default_headers={"x-tenant-secret": "tenant-42"})
        with cassette(path, "record", redact_headers=["X-Tenant-Secret"], redact_fields=["ssn"]):
            client.completions.create(canvas_id=canvas.id, variables={"document": "d", "ssn": "078-05-1120"})
            client.files.upload(File(b"hello", name="a.txt"))
        tokens = [r.query for r in emu.requests if r.method == "PUT"]
    text = path.read_text()
    for secret in (DOCUMENT_KEY, "tenant-42", "078-05-1120"):
        assert secret not in text
    token = tokens[0].split("token=")[1]
    assert token
    assert token not in text
    first = json.loads(json.loads(text)["interactions"][0]["request"]["body"])
    assert first["variables"] == {"document": "d", "ssn": "REDACTED"}
    assert "token=REDACTED" in text
    assert "authorization" not in text.lower()
    # The redacted cassette still replays: the live request is redacted the same way.
    with cassette(path, "replay", speed=0, redact_headers=["X-Tenant-Secret"], redact_fields=["ssn"]):
        client.completions.create(canvas_id=canvas.id, variables={"document": "d", "ssn": "078-05-1120"})
        client.files.upload(File(b"hello", name="a.txt"))


def test_mistakes_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="does not exist"):
        cassette(tmp_path / "missing.yaml", "replay").__enter__()
    with pytest.raises(tela_sdk.ConfigurationError, match="mode"):
        cassette(tmp_path / "x.yaml", "sometimes")  # type: ignore[arg-type]
    with pytest.raises(tela_sdk.ConfigurationError, match="speed"):
        cassette(tmp_path / "x.yaml", "record", speed=-1).__enter__()
    with cassette(tmp_path / "x.yaml", "record"), pytest.raises(tela_sdk.ConfigurationError, match="cannot nest"):
        cassette(tmp_path / "y.yaml", "record").__enter__()
    (tmp_path / "bad.yaml").write_text('{"interactions": 3}')
    with pytest.raises(CassetteError, match="no `interactions` list"):
        cassette(tmp_path / "bad.yaml", "replay").__enter__()


def test_the_pytest_fixture_records_then_replays(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from tela_sdk import Client
            from tela_sdk.testing import Emulator

            @pytest.fixture
            def client(tela_cassette):
                if tela_cassette.effective_mode == "replay":
                    yield Client(api_key="unused", base_url="http://127.0.0.1:9", max_retries=0)
                    return
                with Emulator() as emu:
                    emu.add_canvas(id="c1", template="{{document}}", reply="Summary of {{document}}")
                    yield emu.client()

            def test_summary(client, tela_cassette):
                out = client.completions.create(canvas_id="c1", variables={"document": "memo"})
                assert out.content == "Summary of memo"
                print("MODE", tela_cassette.effective_mode)
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELA_", "DIFY_", "PYTEST_"))}

    def run(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    assert "MODE record" in run()
    assert (tmp_path / "cassettes" / "test_user" / "test_summary.yaml").exists()
    assert "MODE replay" in run()
    assert "MODE record" in run("--tela-record-mode=record")
    assert "MODE replay" in run("--tela-record-mode", "replay")
