"""Dify: completion (and chat) apps end to end against the emulator, sync and async.

Covers configuration, blocking answers with Decimal prices, every stream event type,
stream helpers, stop, uploads (paths, bytes, file objects, File), file references,
parameters/meta/info, feedback, and the error paths (validation before sending, HTTP
errors with Dify's codes, error events, retries).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tela_sdk import (
    APIStatusError,
    AsyncDifyClient,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DifyClient,
    File,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Stream,
    StreamError,
    TelaError,
)
from tela_sdk.dify_types import (
    AnswerReplaced,
    DifyAgentMessageEvent,
    DifyAgentThoughtEvent,
    DifyChatCompletion,
    DifyCompletion,
    DifyEvent,
    DifyMessageEndEvent,
    DifyMessageEvent,
    DifyMessageFileEvent,
    DifyMessageReplaceEvent,
    DifyTTSMessageEndEvent,
    DifyTTSMessageEvent,
    DifyUploadedFile,
    DifyWorkflowEvent,
)
from tela_sdk.testing import DifyAnswerRequest, DifyApp, Emulator

from .rawserver import RawConn, RawServer, response

USER = "user-1"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def app(emulator: Emulator) -> DifyApp:
    return emulator.add_dify_app(
        template="Translate: {{text}}",
        answer="Hola {{text}}",
        user_input_form=["text"],
        retriever_resources=[{"position": 1, "dataset_name": "docs", "document_name": "a.md", "score": 0.9}],
    )


@pytest.fixture
def dify(emulator: Emulator, app: DifyApp) -> Iterator[DifyClient]:
    with emulator.dify_client(app, max_retries=0) as c:
        yield c


@pytest.fixture
async def adify(emulator: Emulator, app: DifyApp) -> AsyncIterator[AsyncDifyClient]:
    async with emulator.async_dify_client(app, max_retries=0) as c:
        yield c


def sent(emulator: Emulator, path: str) -> list[Any]:
    return [r for r in emulator.requests if r.path == path]


# Configuration


def test_configuration_from_arguments_and_environment(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    monkeypatch.delenv("DIFY_API_KEY", raising=False)
    monkeypatch.delenv("DIFY_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="DIFY_API_KEY"):
        DifyClient()
    c = DifyClient(api_key="app-0123456789abcdef")
    assert c.base_url == "https://api.dify.ai/v1"
    assert "0123456789ab" not in repr(c)
    assert repr(c).startswith("DifyClient(")
    assert "***cdef" in repr(c)
    monkeypatch.setenv("DIFY_API_KEY", "app-from-env-123456")
    monkeypatch.setenv("DIFY_BASE_URL", "https://dify.example.com/v1/")
    c = DifyClient()
    assert c.base_url == "https://dify.example.com/v1"
    assert "***3456" in repr(c)
    # The emulator's Dify base keeps its /v1 path, as a self-hosted base does.
    app = emulator.add_dify_app(api_key="app-envkey-abcdefgh", answer="ok")
    monkeypatch.setenv("DIFY_API_KEY", app.api_key)
    monkeypatch.setenv("DIFY_BASE_URL", emulator.dify_url + "/")
    with DifyClient() as env_client:
        assert env_client.completion_messages.create(user=USER).answer == "ok"
    assert emulator.requests[-1].path == "/v1/completion-messages"


def test_with_options_and_close(dify: DifyClient) -> None:
    other = dify.with_options(timeout=5, max_retries=1)
    assert isinstance(other, DifyClient)
    assert other.max_retries == 1
    assert other.info().mode == "completion"
    other.close()
    with pytest.raises(TelaError, match="closed"):
        other.info()


# Blocking answers


def test_blocking_answer_is_typed_with_decimal_prices(emulator: Emulator, dify: DifyClient) -> None:
    out = dify.completion_messages.create(inputs={"text": "hi there"}, user=USER)
    assert isinstance(out, DifyCompletion)
    assert out.answer == "Hola hi there"
    assert out.message_id == out.id
    assert len(out.task_id) == 36
    assert out.mode == "completion"
    assert isinstance(out.created_at, int)
    assert out.request_id
    assert out.request_id.startswith("req_")
    usage = out.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (3, 3, 6)
    assert usage.prompt_price == Decimal("0.0000030")
    assert usage.completion_price == Decimal("0.0000060")
    assert usage.total_price == Decimal("0.0000090")
    assert usage.prompt_unit_price == Decimal("0.001")
    assert usage.completion_price_unit == Decimal("0.001")
    assert usage.currency == "USD"
    assert isinstance(usage.latency, float)
    (cite,) = out.retriever_resources
    assert (cite.position, cite.dataset_name, cite.score) == (1, "docs", 0.9)
    assert out.to_dict()["metadata"]["usage"]["total_price"] == "0.0000090"
    body = emulator.requests[-1].body
    assert body == {"inputs": {"text": "hi there"}, "user": USER, "response_mode": "blocking"}


async def test_async_blocking_answer(emulator: Emulator, adify: AsyncDifyClient) -> None:
    out = await adify.completion_messages.create(inputs={"text": "x"}, user=USER)
    assert out.answer == "Hola x"
    assert out.usage is not None
    assert out.usage.total_price == Decimal("0.0000060")


def test_bad_arguments_fail_before_sending(emulator: Emulator, dify: DifyClient) -> None:
    emulator.clear_requests()
    with pytest.raises(InvalidRequestError, match=r"needs user="):
        dify.completion_messages.create(inputs={"text": "x"})
    with pytest.raises(InvalidRequestError, match="user is empty"):
        dify.completion_messages.create(inputs={"text": "x"}, user=" ")
    with pytest.raises(InvalidRequestError, match="inputs must be a dict"):
        dify.completion_messages.create(inputs=["x"], user=USER)  # type: ignore[call-overload]
    with pytest.raises(InvalidRequestError, match="files must be a list"):
        dify.completion_messages.create(user=USER, files={"url": "https://x/a.png"})  # type: ignore[call-overload]
    with pytest.raises(InvalidRequestError, match=r"files\[0\]: say which kind"):
        dify.completion_messages.create(user=USER, files=[{"url": "https://x/noext"}])
    with pytest.raises(InvalidRequestError, match="query must be a string"):
        dify.completion_messages.create(user=USER, query=3)  # type: ignore[call-overload]
    assert emulator.requests == []


def test_response_mode_cannot_be_passed_as_a_field(dify: DifyClient) -> None:
    with pytest.raises(TypeError):
        dify.completion_messages.create(user=USER, response_mode="streaming")  # type: ignore[call-overload]


def test_extra_body_reaches_the_wire(emulator: Emulator, dify: DifyClient) -> None:
    dify.completion_messages.create(inputs={"text": "x"}, user=USER, extra_body={"retriever_from": "sdk"})
    assert emulator.requests[-1].body["retriever_from"] == "sdk"


# HTTP errors keep Dify's code


def test_http_errors_map_to_the_hierarchy_with_dify_codes(emulator: Emulator, dify: DifyClient) -> None:
    with pytest.raises(BadRequestError) as e:
        dify.completion_messages.create(inputs={}, user=USER)
    assert e.value.status_code == 400
    assert e.value.code == "invalid_param"
    assert "text is required in input form" in str(e.value)
    assert e.value.body == {"code": "invalid_param", "message": "text is required in input form", "status": 400}
    assert e.value.request_id

    bad_key = emulator.dify_client("app-not-a-real-key-0000", max_retries=0)
    with pytest.raises(AuthenticationError) as auth:
        bad_key.info()
    assert auth.value.code == "unauthorized"
    assert "app-not-a-real-key" not in str(auth.value)

    off = emulator.add_dify_app(api_enabled=False)
    with pytest.raises(PermissionDeniedError) as denied:
        emulator.dify_client(off, max_retries=0).info()
    assert denied.value.code == "forbidden"

    chat = emulator.add_dify_app(mode="chat")
    with pytest.raises(BadRequestError) as wrong:
        emulator.dify_client(chat).completion_messages.create(user=USER)
    assert wrong.value.code == "app_unavailable"


def test_concurrency_limit_is_a_rate_limit_error(emulator: Emulator) -> None:
    app = emulator.add_dify_app(answer="abcdef", max_concurrent=1, stream={"chunk_size": 1, "delay_ms": 40})
    dify = emulator.dify_client(app, max_retries=0)
    with dify.completion_messages.create(user=USER, stream=True) as running:
        next(running)
        with pytest.raises(RateLimitError) as e:
            dify.completion_messages.create(user=USER)
        assert e.value.code == "too_many_requests"


def test_create_is_retried_only_when_it_cannot_have_run(emulator: Emulator, app: DifyApp) -> None:
    dify = emulator.dify_client(app, max_retries=2)
    emulator.fail(429, path="/v1/completion-messages", retry_after_ms=10)
    assert dify.completion_messages.create(inputs={"text": "x"}, user=USER).answer == "Hola x"
    assert len(sent(emulator, "/v1/completion-messages")) == 2
    emulator.clear_requests()
    emulator.fail(500, path="/v1/completion-messages")
    with pytest.raises(InternalServerError) as e:
        dify.completion_messages.create(inputs={"text": "x"}, user=USER)
    assert e.value.code == "internal_server_error"
    assert len(sent(emulator, "/v1/completion-messages")) == 1
    # Reads are retried on a 500.
    emulator.fail(500, path="/v1/parameters")
    assert dify.parameters().input_fields[0].variable == "text"


# Streaming


@pytest.fixture
def rich_app(emulator: Emulator) -> DifyApp:
    return emulator.add_dify_app(
        answer="bad words here",
        moderation={"answer": "Sorry, I can't answer that.", "reason": "policy"},
        tts=True,
        answer_files=[{"type": "image", "url": "https://x/cat.png"}],
        retriever_resources=[{"position": 1, "document_name": "a.md"}],
        stream={"chunk_size": 5, "delay_ms": 30, "ping_interval_ms": 10, "ping_first": True},
    )


def test_stream_yields_every_event_type(emulator: Emulator, rich_app: DifyApp) -> None:
    dify = emulator.dify_client(rich_app)
    with dify.completion_messages.create(user=USER, stream=True) as stream:
        events = list(stream)
    kinds = [type(e) for e in events]
    assert kinds == [
        DifyMessageFileEvent,
        DifyMessageEvent,
        DifyTTSMessageEvent,
        DifyMessageEvent,
        DifyTTSMessageEvent,
        DifyMessageEvent,
        DifyTTSMessageEvent,
        DifyMessageReplaceEvent,
        DifyMessageEndEvent,
        DifyTTSMessageEndEvent,
    ]
    assert all(e.event != "ping" for e in events)
    assert len(sent(emulator, "/v1/completion-messages")) == 1
    assert emulator.requests[-1].body["response_mode"] == "streaming"
    file_event, message = events[0], events[1]
    assert isinstance(file_event, DifyMessageFileEvent)
    assert file_event.url == "https://x/cat.png"
    assert isinstance(message, DifyMessageEvent)
    assert message.answer == "bad w"
    assert message.task_id == stream.task_id
    assert message.message_id == events[-2].message_id
    tts = events[2]
    assert isinstance(tts, DifyTTSMessageEvent)
    assert tts.audio_bytes == b"audio:bad w"
    replace = events[7]
    assert isinstance(replace, DifyMessageReplaceEvent)
    assert replace.reason == "policy"
    end = events[8]
    assert isinstance(end, DifyMessageEndEvent)
    assert end.usage is not None
    assert end.usage.completion_tokens == 3
    assert end.files is not None
    assert end.files[0].filename == "cat.png"
    assert end.metadata is not None
    assert end.metadata.retriever_resources is not None


def test_stream_helpers_text_and_final(emulator: Emulator, rich_app: DifyApp) -> None:
    dify = emulator.dify_client(rich_app)
    with dify.completion_messages.create(user=USER, stream=True) as stream:
        pieces = list(stream.text())
        final = stream.final()
    assert pieces[:3] == ["bad w", "ords ", "here"]
    assert isinstance(pieces[3], AnswerReplaced)
    assert pieces[3] == "Sorry, I can't answer that."
    assert not any(isinstance(p, AnswerReplaced) for p in pieces[:3])
    assert final.answer == final.text == "Sorry, I can't answer that."
    assert final.replaced
    assert final.finish_reason == "message_end"
    assert final.usage is not None
    assert final.usage.total_price == Decimal("0.0000060")
    assert [f.url for f in final.files] == ["https://x/cat.png"]
    assert final.retriever_resources[0].document_name == "a.md"
    assert final.audio == b"audio:bad waudio:ords audio:here"
    assert final.message_id
    assert final.task_id == stream.task_id
    assert stream.answer == final.answer


def test_final_is_added_up_in_the_core_and_odd_audio_is_skipped() -> None:
    """Dify's totals come from the core like Tela's: the answer, ids, files, usage and audio;
    audio that is not base64 is skipped (it raised binascii.Error mid-stream when Python
    added it up), base64 split by a newline is read as Python's b64decode reads it."""
    events: list[dict[str, Any]] = [
        {"event": "message_file", "id": "f1", "type": "image", "url": "https://x/a.png", "belongs_to": "assistant"},
        {"event": "message", "answer": "Hé", "message_id": "m1", "task_id": "t1"},
        {"event": "tts_message", "audio": "YXVk\naW8=", "message_id": "m1", "task_id": "t1"},
        {"event": "tts_message", "audio": "not base64!", "message_id": "m1", "task_id": "t1"},
        {"event": "message", "answer": " there", "message_id": "m1", "task_id": "t1"},
        {"event": "message_end", "message_id": "m1", "task_id": "t1", "metadata": {"usage": {"total_tokens": 3}}},
    ]
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)

    def handler(conn: RawConn) -> None:
        conn.send(response(200, {"content-type": "text/event-stream"}))
        conn.send(body)

    with RawServer(handler) as srv:
        dify = DifyClient(api_key="app-0123456789abcdef", base_url=srv.url, max_retries=0)
        with dify.completion_messages.create(user=USER, stream=True) as stream:
            before = stream.task_id
            assert isinstance(stream, Stream)  # as when DifyStream subclassed it
            names = [e.event for e in stream]
            final = stream.final()
    assert before is None
    assert names == [e["event"] for e in events]
    assert final.answer == stream.answer == "Hé there"
    assert (final.message_id, final.task_id, stream.task_id) == ("m1", "t1", "t1")
    assert final.audio == b"audio"
    assert final.chunks == len(events)
    assert final.finish_reason == "message_end"
    assert final.usage is not None
    assert final.usage.total_tokens == 3
    assert [(f.related_id, f.url) for f in final.files] == [("f1", "https://x/a.png")]


def test_dify_final_to_dict_and_to_json(emulator: Emulator, rich_app: DifyApp) -> None:
    final = emulator.dify_client(rich_app).completion_messages.create(user=USER, stream=True).final()
    d = final.to_dict()
    assert d["answer"] == d["text"] == "Sorry, I can't answer that."
    assert d["replaced"] is True
    assert d["message_id"] == final.message_id
    assert d["files"][0]["url"] == "https://x/cat.png"
    assert final.metadata is not None
    assert d["metadata"] == final.metadata.to_dict()
    assert base64.b64decode(d["audio"]) == final.audio
    assert json.loads(final.to_json()) == d


async def test_async_stream_events_and_final(emulator: Emulator, rich_app: DifyApp) -> None:
    adify = emulator.async_dify_client(rich_app)
    async with await adify.completion_messages.create(user=USER, stream=True) as stream:
        names = [e.event async for e in stream]
        final = await stream.final()
    assert names[-3:] == ["message_replace", "message_end", "tts_message_end"]
    assert final.answer == "Sorry, I can't answer that."
    assert final.audio.startswith(b"audio:")
    stream2 = await adify.completion_messages.create(user=USER, stream=True)
    pieces = [p async for p in stream2.text()]
    assert isinstance(pieces[-1], AnswerReplaced)


def test_spaced_json_and_plain_streams_read_the_same(emulator: Emulator) -> None:
    for style in ("compact", "spaced"):
        app = emulator.add_dify_app(answer="Olá 🦊 mundo", stream={"json_style": style, "chunk_size": 3})
        final = emulator.dify_client(app).completion_messages.create(user=USER, stream=True).final()
        assert final.answer == "Olá 🦊 mundo", style
        assert final.finish_reason == "message_end"
        assert not final.replaced
        assert final.audio == b""


def test_error_event_raises_stream_error_after_the_events_before_it(emulator: Emulator) -> None:
    app = emulator.add_dify_app(
        answer="abcdefgh",
        error={"status": 400, "code": "provider_quota_exceeded", "message": "Your quota is exhausted."},
        stream={"error_after": 1},
    )
    dify = emulator.dify_client(app, max_retries=0)
    seen: list[DifyEvent] = []
    with pytest.raises(StreamError) as e, dify.completion_messages.create(user=USER, stream=True) as stream:
        for event in stream:
            seen.append(event)
    assert [ev.event for ev in seen] == ["message"]
    assert e.value.code == "provider_quota_exceeded"
    assert e.value.status_code == 400
    assert "Your quota is exhausted." in str(e.value)
    assert isinstance(e.value.body, dict)
    assert e.value.body["event"] == "error"
    # The same app's blocking answer fails with the HTTP error.
    with pytest.raises(BadRequestError) as blocking:
        dify.completion_messages.create(user=USER)
    assert blocking.value.code == "provider_quota_exceeded"


async def test_async_error_event(emulator: Emulator) -> None:
    app = emulator.add_dify_app(answer="abc", stream={"error_after": 0})
    stream = await emulator.async_dify_client(app).completion_messages.create(user=USER, stream=True)
    with pytest.raises(StreamError) as e:
        await stream.final()
    assert e.value.code == "completion_request_error"


def test_a_cut_stream_raises_a_connection_error(emulator: Emulator) -> None:
    from tela_sdk import APIConnectionError

    app = emulator.add_dify_app(answer="abcdefgh", stream={"drop_after": 1})
    stream = emulator.dify_client(app).completion_messages.create(user=USER, stream=True)
    with pytest.raises(APIConnectionError):
        stream.final()


# Stop


def test_stop_ends_the_stream_with_message_end(emulator: Emulator) -> None:
    app = emulator.add_dify_app(answer="x" * 200, stream={"chunk_size": 1, "delay_ms": 15})
    dify = emulator.dify_client(app)
    with dify.completion_messages.create(user=USER, stream=True) as stream:
        assert stream.task_id is None
        first = next(stream)
        task_id = stream.task_id
        assert task_id is not None
        assert task_id == first.task_id
        # Another user's stop succeeds and changes nothing (as in Dify).
        assert dify.completion_messages.stop(task_id, user="someone-else").result == "success"
        result = dify.completion_messages.stop(task_id, user=USER)
        assert result.result == "success"
        assert result.request_id
        final = stream.final()
    assert final.finish_reason == "message_end"
    assert 1 <= len(final.answer) < 200
    assert emulator.requests[-1].path == f"/v1/completion-messages/{first.task_id}/stop"
    with pytest.raises(InvalidRequestError, match="task_id is required"):
        dify.completion_messages.stop("", user=USER)
    with pytest.raises(InvalidRequestError, match="needs user="):
        dify.completion_messages.stop("t")


async def test_async_stop(emulator: Emulator) -> None:
    app = emulator.add_dify_app(answer="y" * 200, stream={"chunk_size": 1, "delay_ms": 15})
    adify = emulator.async_dify_client(app)
    stream = await adify.completion_messages.create(user=USER, stream=True)
    first = await stream.__anext__()
    assert first.task_id is not None
    await adify.completion_messages.stop(first.task_id, user=USER)
    final = await stream.final()
    assert len(final.answer) < 200
    assert final.finish_reason == "message_end"


# Files


def test_upload_paths_bytes_and_file_objects(emulator: Emulator, dify: DifyClient, tmp_path: Path) -> None:
    doc = tmp_path / "report.pdf"
    data = bytes(range(256)) * 4000
    doc.write_bytes(data)
    up = dify.files.upload(str(doc), user=USER)
    assert isinstance(up, DifyUploadedFile)
    assert (up.name, up.size, up.extension, up.mime_type) == ("report.pdf", len(data), "pdf", "application/pdf")
    assert up.request_id
    assert up.id
    up2 = dify.files.upload(doc, user=USER, filename="renamed.pdf")
    assert up2.name == "renamed.pdf"
    up3 = dify.files.upload(b"hello", user=USER, filename="hi.txt")
    assert (up3.size, up3.mime_type) == (5, "text/plain")
    up4 = dify.files.upload(io.BytesIO(b"\x89PNG..."), user=USER, filename="pic.png", mime_type="image/png")
    assert up4.mime_type == "image/png"
    with open(doc, "rb") as f:
        up5 = dify.files.upload(f, user=USER)  # a file on disk: sent from its path
    assert up5.name == "report.pdf"
    stored = emulator.dify_uploads
    assert [u.name for u in stored] == ["report.pdf", "renamed.pdf", "hi.txt", "pic.png", "report.pdf"]
    assert stored[0].sha256 == hashlib.sha256(data).hexdigest() == stored[4].sha256
    assert stored[2].sha256 == hashlib.sha256(b"hello").hexdigest()
    assert all(u.user == USER for u in stored)
    logged = next(r for r in emulator.requests if r.path == "/v1/files/upload")
    assert logged.headers["content-type"].startswith("multipart/form-data")
    assert logged.body["file"]["filename"] == "report.pdf"
    assert logged.body["user"] == USER


def test_upload_accepts_tela_files(emulator: Emulator, dify: DifyClient, tmp_path: Path) -> None:
    doc = tmp_path / "notes.md"
    doc.write_text("# notes")
    up = dify.files.upload(File(doc), user=USER)
    assert (up.name, up.size) == ("notes.md", 7)
    up = dify.files.upload(File(b"%PDF-1.7 tiny", name="tiny.pdf"), user=USER)
    assert (up.name, up.mime_type) == ("tiny.pdf", "application/pdf")
    assert emulator.dify_uploads[-1].sha256 == hashlib.sha256(b"%PDF-1.7 tiny").hexdigest()
    # A File read from a stream (no path on disk) is streamed by the core too.
    up = dify.files.upload(File(io.BufferedReader(io.BytesIO(b"from a stream")), name="s.txt"), user=USER)
    assert (up.name, up.size, up.mime_type) == ("s.txt", 13, "text/plain")
    # filename= and mime_type= still win over the File's own.
    up = dify.files.upload(File(doc), user=USER, filename="other.txt", mime_type="text/plain")
    assert (up.name, up.mime_type) == ("other.txt", "text/plain")
    with pytest.raises(InvalidRequestError, match="local content"):
        dify.files.upload(File("https://example.com/a.pdf"), user=USER)
    # A URL File is a remote reference in files=[...] and in file inputs.
    dify.completion_messages.create(
        inputs={"text": "x", "doc": File("https://example.com/a.pdf")}, user=USER, files=[File("https://x/c.jpg")]
    )
    body = emulator.requests[-1].body
    assert body["inputs"]["doc"] == {
        "transfer_method": "remote_url",
        "url": "https://example.com/a.pdf",
        "type": "document",
    }
    assert body["files"] == [{"url": "https://x/c.jpg", "type": "image", "transfer_method": "remote_url"}]
    with pytest.raises(InvalidRequestError, match="upload a local File first"):
        dify.completion_messages.create(inputs={"doc": File(doc)}, user=USER)


def test_a_refused_upload_is_retried_with_the_whole_file(emulator: Emulator, app: DifyApp, tmp_path: Path) -> None:
    doc = tmp_path / "big.pdf"
    data = os.urandom(3 << 20)
    doc.write_bytes(data)
    dify = emulator.dify_client(app, max_retries=1)
    for source in (doc, File(doc)):
        emulator.fail(429, path="/v1/files/upload", retry_after_ms=10)
        up = dify.files.upload(source, user=USER)
        assert up.size == len(data)
        assert emulator.dify_uploads[-1].sha256 == hashlib.sha256(data).hexdigest()
    assert len(sent(emulator, "/v1/files/upload")) == 4
    assert len(emulator.dify_uploads) == 2
    # A 500 may have stored the file: the upload is not repeated.
    emulator.fail(500, path="/v1/files/upload")
    with pytest.raises(InternalServerError):
        dify.files.upload(doc, user=USER)
    assert len(sent(emulator, "/v1/files/upload")) == 5


def test_upload_mistakes_fail_before_sending(emulator: Emulator, dify: DifyClient, tmp_path: Path) -> None:
    emulator.clear_requests()
    with pytest.raises(InvalidRequestError, match="filename="):
        dify.files.upload(b"data", user=USER)
    with pytest.raises(InvalidRequestError, match="needs user="):
        dify.files.upload(b"data", filename="a.txt")
    with pytest.raises(InvalidRequestError, match="cannot upload"):
        dify.files.upload(tmp_path / "missing.txt", user=USER)
    with pytest.raises(InvalidRequestError, match="not a regular file"):
        dify.files.upload(tmp_path, user=USER)
    with pytest.raises(InvalidRequestError, match="no slashes"):
        dify.files.upload(b"x", user=USER, filename="a/b.txt")
    with pytest.raises(InvalidRequestError, match="binary mode"):
        dify.files.upload(io.StringIO("text"), user=USER, filename="a.txt")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="takes a path"):
        dify.files.upload(12, user=USER)  # type: ignore[arg-type]
    assert emulator.requests == []


def test_upload_errors_from_the_server(emulator: Emulator, tmp_path: Path) -> None:
    app = emulator.add_dify_app(upload_limits={"image": 100}, extension_blacklist=["exe"])
    dify = emulator.dify_client(app, max_retries=0)
    with pytest.raises(APIStatusError) as big:
        dify.files.upload(b"x" * 101, user=USER, filename="big.png")
    assert (big.value.status_code, big.value.code) == (413, "file_too_large")
    with pytest.raises(BadRequestError) as blocked:
        dify.files.upload(b"MZ", user=USER, filename="run.exe")
    assert blocked.value.code == "invalid_param"


async def test_async_upload_and_use(emulator: Emulator, adify: AsyncDifyClient, tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_bytes(b"async upload")
    up = await adify.files.upload(doc, user=USER)
    out = await adify.completion_messages.create(inputs={"text": "t"}, user=USER, files=[up])
    assert out.answer == "Hola t"
    assert emulator.requests[-1].body["files"] == [
        {"type": "document", "transfer_method": "local_file", "upload_file_id": up.id}
    ]


def test_files_references_reach_the_app(emulator: Emulator, tmp_path: Path) -> None:
    seen: list[DifyAnswerRequest] = []

    def answer(request: DifyAnswerRequest) -> str:
        seen.append(request)
        return f"{len(request.files)} files, doc={request.inputs['doc']['transfer_method']}"

    app = emulator.add_dify_app(answer=answer)
    dify = emulator.dify_client(app)
    image = dify.files.upload(b"\x89PNG", user=USER, filename="a.png")
    doc = dify.files.upload(b"%PDF", user=USER, filename="d.pdf")
    out = dify.completion_messages.create(
        inputs={"doc": doc},
        user=USER,
        files=[image, {"url": "https://x/b.mp3"}, File("https://x/c.jpg"), {"type": "video", "upload_file_id": doc.id}],
    )
    assert out.answer == "4 files, doc=local_file"
    body = emulator.requests[-1].body
    assert body["files"] == [
        {"type": "image", "transfer_method": "local_file", "upload_file_id": image.id},
        {"url": "https://x/b.mp3", "type": "audio", "transfer_method": "remote_url"},
        {"url": "https://x/c.jpg", "type": "image", "transfer_method": "remote_url"},
        {"type": "video", "upload_file_id": doc.id, "transfer_method": "local_file"},
    ]
    assert body["inputs"]["doc"] == {"type": "document", "transfer_method": "local_file", "upload_file_id": doc.id}
    (request,) = seen
    assert request.files[0]["filename"] == "a.png"
    assert request.user == USER
    # Files are scoped by user: another user's upload is refused by the server.
    with pytest.raises(BadRequestError, match="Invalid upload file"):
        dify.completion_messages.create(user="someone-else", files=[image])
    with pytest.raises(InvalidRequestError, match="upload a local File first"):
        dify.completion_messages.create(user=USER, files=[File(b"x", name="x.txt")])


# Parameters, meta, info, feedback


def test_app_descriptions(emulator: Emulator) -> None:
    app = emulator.add_dify_app(
        name="Translator",
        description="Translates",
        tags=["lang"],
        opening_statement="Hi!",
        user_input_form=[
            "text",
            {"select": {"variable": "tone", "label": "Tone", "required": False, "options": ["warm", "dry"]}},
        ],
        tool_icons={"search": {"background": "#fff", "content": "🔎"}},
        upload_limits={"file": 3 * 1024 * 1024},
    )
    dify = emulator.dify_client(app)
    p = dify.parameters(user=USER)
    assert p.opening_statement == "Hi!"
    assert p.request_id
    fields = p.input_fields
    assert [(f.variable, f.type, f.required) for f in fields] == [
        ("text", "text-input", True),
        ("tone", "select", False),
    ]
    assert fields[1].options == ["warm", "dry"]
    assert p.system_parameters is not None
    assert p.system_parameters.file_size_limit == 3
    assert emulator.requests[-1].query == f"user={USER}"
    assert dify.meta().tool_icons == {"search": {"background": "#fff", "content": "🔎"}}
    info = dify.info()
    assert (info.name, info.description, info.tags, info.mode) == ("Translator", "Translates", ["lang"], "completion")


async def test_async_app_descriptions(adify: AsyncDifyClient) -> None:
    assert (await adify.parameters()).input_fields[0].variable == "text"
    assert (await adify.meta()).tool_icons == {}
    assert (await adify.info()).mode == "completion"


def test_feedback_like_dislike_and_revoke(emulator: Emulator, dify: DifyClient) -> None:
    msg = dify.completion_messages.create(inputs={"text": "x"}, user=USER)
    assert dify.messages.feedback(msg.message_id, rating="like", user=USER, content="good").result == "success"
    (held,) = emulator.dify_feedbacks
    assert (held.message_id, held.rating, held.content) == (msg.message_id, "like", "good")
    dify.messages.feedback(msg.message_id, rating="dislike", user=USER)
    assert emulator.dify_feedbacks[0].rating == "dislike"
    assert emulator.requests[-1].body == {"rating": "dislike", "user": USER}
    dify.messages.feedback(msg.message_id, rating=None, user=USER)
    assert emulator.requests[-1].body == {"rating": None, "user": USER}
    assert emulator.dify_feedbacks == []
    with pytest.raises(BadRequestError):
        dify.messages.feedback(msg.message_id, rating=None, user=USER)  # nothing to revoke
    with pytest.raises(NotFoundError) as e:
        dify.messages.feedback(msg.message_id, rating="like", user="someone-else")
    assert e.value.code == "not_found"
    assert "Message Not Exists." in str(e.value)
    with pytest.raises(InvalidRequestError, match="rating=None to revoke"):
        dify.messages.feedback(msg.message_id, user=USER)
    with pytest.raises(InvalidRequestError, match="rating must be"):
        dify.messages.feedback(msg.message_id, rating="love", user=USER)  # type: ignore[arg-type]


async def test_async_feedback(emulator: Emulator, adify: AsyncDifyClient) -> None:
    msg = await adify.completion_messages.create(inputs={"text": "x"}, user=USER)
    assert (await adify.messages.feedback(msg.message_id, rating="like", user=USER)).result == "success"
    assert emulator.dify_feedbacks[0].rating == "like"


# Chat apps


def test_chat_app_conversation(emulator: Emulator) -> None:
    app = emulator.add_dify_app(mode="chat", template="You said: {{query}}")
    dify = emulator.dify_client(app, max_retries=0)
    first = dify.chat_messages.create(query="hello", user=USER)
    assert isinstance(first, DifyChatCompletion)
    assert first.answer == "You said: hello"
    assert first.mode == "chat"
    again = dify.chat_messages.create(query="more", user=USER, conversation_id=first.conversation_id)
    assert again.conversation_id == first.conversation_id
    with pytest.raises(NotFoundError, match="Conversation Not Exists"):
        dify.chat_messages.create(query="x", user="other", conversation_id=first.conversation_id)
    with pytest.raises(InvalidRequestError, match="needs query="):
        dify.chat_messages.create(user=USER)
    with pytest.raises(InvalidRequestError, match="not a conversation id"):
        dify.chat_messages.create(query="x", user=USER, conversation_id="42")
    with dify.chat_messages.create(query="streamed", user=USER, stream=True) as stream:
        final = stream.final()
    assert final.answer == "You said: streamed"
    assert final.conversation_id
    body = emulator.requests[-1].body
    assert body == {"inputs": {}, "query": "streamed", "user": USER, "response_mode": "streaming"}


def test_chat_stop_and_agent_and_chatflow_events(emulator: Emulator) -> None:
    chat = emulator.add_dify_app(mode="chat", answer="z" * 100, stream={"chunk_size": 1, "delay_ms": 15})
    dify = emulator.dify_client(chat)
    stream = dify.chat_messages.create(query="q", user=USER, stream=True)
    first = next(stream)
    assert first.conversation_id
    assert first.task_id is not None
    dify.chat_messages.stop(first.task_id, user=USER)
    assert len(stream.final().answer) < 100

    agent = emulator.add_dify_app(mode="agent-chat", answer="thinking done")
    events = list(emulator.dify_client(agent).chat_messages.create(query="q", user=USER, stream=True))
    assert isinstance(events[0], DifyAgentThoughtEvent)
    assert any(isinstance(e, DifyAgentMessageEvent) for e in events)
    text = "".join(emulator.dify_client(agent).chat_messages.create(query="q", user=USER, stream=True).text())
    assert text == "thinking done"

    flow = emulator.add_dify_app(mode="advanced-chat", answer="flow answer")
    stream = emulator.dify_client(flow).chat_messages.create(query="q", user=USER, stream=True)
    events = list(stream)
    names = [e.event for e in events]
    assert names[0] == "workflow_started"
    assert names[-2:] == ["message_end", "workflow_finished"]
    assert isinstance(events[-1], DifyWorkflowEvent)
    assert events[-1].data is not None
    assert events[-1].data["outputs"] == {"answer": "flow answer"}


async def test_async_chat(emulator: Emulator) -> None:
    app = emulator.add_dify_app(mode="chat", answer="ok")
    adify = emulator.async_dify_client(app)
    out = await adify.chat_messages.create(query="hi", user=USER)
    assert out.conversation_id
    stream = await adify.chat_messages.create(query="hi", user=USER, conversation_id=out.conversation_id, stream=True)
    final = await stream.final()
    assert final.conversation_id == out.conversation_id
    task = (await adify.chat_messages.stop("no-such-task", user=USER)).result
    assert task == "success"


# Misc


def test_typed_events_round_trip_and_unknown_events() -> None:
    from tela_sdk.dify_types import dify_event

    ev = dify_event({"event": "tts_message", "audio": base64.b64encode(b"mp3").decode()})
    assert isinstance(ev, DifyTTSMessageEvent)
    assert ev.audio_bytes == b"mp3"
    ev = dify_event({"event": "something_new", "x": 1})
    assert type(ev) is DifyEvent
    assert ev.x == 1  # type: ignore[attr-defined]  # undeclared: read at run time only
    assert ev.to_dict() == {"event": "something_new", "x": 1}
    ev = dify_event({"event": "node_started", "workflow_run_id": "r", "data": {"id": "n"}})
    assert isinstance(ev, DifyWorkflowEvent)
    assert ev.data == {"id": "n"}


def test_example_runs_against_the_emulator() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELA_", "DIFY_"))}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "dify_completion.py")], capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "app:       Demo (completion); input 'text'" in out
    assert "answer:    Echo: Hello, world. How are you?" in out
    assert "streamed:  Echo: Hello, world. How are you?" in out
    assert "finish_reason='message_end'" in out
    assert "uploaded:  notes.txt (20 bytes)" in out
    assert "InvalidRequestError" in out


def test_message_files_are_recognised_like_telas(emulator: Emulator, dify: DifyClient, tmp_path: Path) -> None:
    # Whatever holds the file (a File, a path, bytes, a stream), a message takes it the way a
    # Tela call does: a web URL is a remote reference, local content must be uploaded first,
    # and the message names where it was, before anything is sent.
    doc = tmp_path / "notes.md"
    doc.write_text("# notes")
    url = File("https://example.com/docs/a.pdf")
    image = File("https://example.com/b.png")
    dify.completion_messages.create(inputs={"text": "x", "docs": [url, image]}, user=USER, files=[url])
    body = emulator.requests[-1].body
    reference = {"transfer_method": "remote_url", "url": url.url, "type": "document"}
    assert body["inputs"]["docs"] == [reference, {**reference, "url": image.url, "type": "image"}]
    assert body["files"] == [reference]
    emulator.clear_requests()
    for local in (lambda: doc, lambda: File(doc), lambda: b"%PDF", lambda: io.BytesIO(b"x"), lambda: File("data:,hi")):
        with pytest.raises(InvalidRequestError, match=r'^inputs\["doc"\]: .*upload a local File first'):
            dify.completion_messages.create(inputs={"doc": local()}, user=USER)
        with pytest.raises(InvalidRequestError, match=r"^files\[1\]: .*upload a local File first"):
            dify.chat_messages.create(query="q", user=USER, files=[url, local()])  # type: ignore[list-item]
    assert emulator.requests == []


async def test_async_message_files_are_recognised_too(emulator: Emulator, adify: AsyncDifyClient) -> None:
    await adify.completion_messages.create(inputs={"text": "t", "doc": File("https://x/y/scan.png")}, user=USER)
    assert emulator.requests[-1].body["inputs"]["doc"]["type"] == "image"
    with pytest.raises(InvalidRequestError, match="upload a local File first"):
        await adify.completion_messages.create(inputs={"doc": b"bytes"}, user=USER)


def test_upload_takes_any_reader_and_a_large_stream(
    emulator: Emulator, dify: DifyClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from tela_sdk import _files

    class Reader:  # any object with read(), as File() takes it
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def read(self, size: int = -1) -> bytes:
            return self._data.read(size)

    up = dify.files.upload(Reader(b"duck"), user=USER, filename="d.txt")  # type: ignore[arg-type]
    assert (up.name, up.size) == ("d.txt", 4)
    monkeypatch.setattr(_files, "_SPOOL_LIMIT", 100)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    data = os.urandom(1000)
    up = dify.files.upload(io.BufferedReader(io.BytesIO(data)), user=USER, filename="big.bin")
    assert up.size == len(data)
    assert emulator.dify_uploads[-1].sha256 == hashlib.sha256(data).hexdigest()
    assert not list(tmp_path.glob("tela-sdk-*.spool"))
