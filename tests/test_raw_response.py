"""``with_raw_response``: the status and headers of a real HTTP answer from the emulator, next
to the usual result, on Tela and Dify, sync and async."""

from __future__ import annotations

import pytest

from tela_sdk import AsyncClient, Client, Completion, InvalidRequestError, NotFoundError, RawResponse, Run
from tela_sdk.dify_types import DifyChatCompletion, DifyCompletion
from tela_sdk.testing import Canvas, Emulator

USER = "user-1"


def _check(raw: RawResponse[object], status: int = 200) -> None:
    assert raw.status_code == status
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.request_id is not None
    assert raw.headers["x-request-id"] == raw.request_id
    assert all(name == name.lower() for name in raw.headers)


def test_create_submit_retrieve(emulator: Emulator, client: Client, canvas: Canvas) -> None:
    raw = client.with_raw_response.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    _check(raw)
    out = raw.parse()
    assert isinstance(out, Completion)
    assert out.content == "Summary of d"
    assert out.request_id == raw.request_id
    submitted = client.with_raw_response.completions.submit(canvas_id=canvas.id, variables={"document": "d"})
    _check(submitted)
    assert isinstance(submitted.parse(), Run)
    fetched = client.with_raw_response.completions.retrieve(submitted.parse().id)
    _check(fetched)
    assert fetched.parse().id == submitted.parse().id
    assert fetched.parse().wait().content == "Summary of d"  # a raw Run keeps its client


def test_the_ordinary_call_is_unchanged(client: Client, canvas: Canvas) -> None:
    client.with_raw_response.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "e"})
    assert isinstance(out, Completion)
    assert out.content == "Summary of e"


def test_errors_raise_as_usual_and_streams_are_refused(emulator: Emulator, client: Client) -> None:
    with pytest.raises(NotFoundError, match="sent canvas_id='gone'"):
        client.with_raw_response.completions.create(canvas_id="gone")
    with pytest.raises(InvalidRequestError, match="does not cover streams"):
        client.with_raw_response.completions.create(canvas_id="gone", stream=True)  # type: ignore[arg-type]
    assert len(emulator.requests) == 1


async def test_async(aclient: AsyncClient, canvas: Canvas) -> None:
    raw = await aclient.with_raw_response.completions.create(canvas_id=canvas.id, variables={"document": "a"})
    _check(raw)
    assert raw.parse().content == "Summary of a"
    run = (await aclient.with_raw_response.completions.submit(canvas_id=canvas.id, variables={"document": "a"})).parse()
    assert (await run.wait()).content == "Summary of a"


def test_dify(emulator: Emulator) -> None:
    app = emulator.add_dify_app(template="Translate: {{text}}", answer="Hola {{text}}", user_input_form=["text"])
    with emulator.dify_client(app, max_retries=0) as dify:
        raw = dify.with_raw_response.completion_messages.create(inputs={"text": "hi"}, user=USER)
        _check(raw)
        assert isinstance(raw.parse(), DifyCompletion)
        assert raw.parse().answer == "Hola hi"
    chat_app = emulator.add_dify_app(mode="chat", answer="Sure")
    with emulator.dify_client(chat_app, max_retries=0) as dify:
        chat = dify.with_raw_response.chat_messages.create(query="q", user=USER)
        _check(chat)
        assert isinstance(chat.parse(), DifyChatCompletion)
        assert chat.parse().answer == "Sure"


async def test_dify_async(emulator: Emulator) -> None:
    app = emulator.add_dify_app(template="Translate: {{text}}", answer="Hola {{text}}", user_input_form=["text"])
    async with emulator.async_dify_client(app, max_retries=0) as dify:
        raw = await dify.with_raw_response.completion_messages.create(inputs={"text": "yo"}, user=USER)
        _check(raw)
        assert raw.parse().answer == "Hola yo"


def test_files_upload_and_retrieve(client: Client) -> None:
    raw = client.with_raw_response.files.upload(b"hello", name="a.txt")
    assert raw.status_code in (200, 201)
    assert raw.parse().file_url.startswith("vault://")
    info = client.with_raw_response.files.retrieve(raw.parse().file_url)
    _check(info)
