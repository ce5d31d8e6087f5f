"""Every native call goes through one route per face: so every call answers
``with_raw_response`` (``wait``, ``list`` and Dify's app calls too), a 404 names what was
sent whichever call got it (the core writes that), and an answer the SDK cannot read names
the request that got it, ids in the path included."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tela_sdk import (
    APIResponseValidationError,
    AsyncClient,
    Client,
    DifyClient,
    NotFoundError,
    RawResponse,
    RunPage,
    TelaError,
)
from tela_sdk.dify_types import DifyAppInfo, DifyMeta, DifyParameters
from tela_sdk.testing import Canvas, Emulator

from .rawserver import RawConn, RawServer, response

USER = "user-1"
FAST = {"created_ms": 30, "running_ms": 200}
POLL = 0.01


@pytest.fixture
def canvas(emulator: Emulator) -> Canvas:
    return emulator.add_canvas(reply="Summary of {{document}}", run=FAST, allow_missing_variables=True)


def _check(raw: RawResponse[object]) -> None:
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.request_id is not None
    assert raw.headers["x-request-id"] == raw.request_id


# --- raw responses on the calls that used to bypass the route ------------------------------


def test_raw_wait_is_the_last_poll(emulator: Emulator, client: Client, canvas: Canvas) -> None:
    run = client.completions.submit(canvas_id=canvas.id, variables={"document": "d"})
    raw = client.with_raw_response.completions.wait(run, poll_interval=POLL)
    _check(raw)
    done = raw.parse()
    assert done.status == "succeeded"
    assert done.content == "Summary of d"
    assert raw.request_id == done.request_id
    assert emulator.requests[-1].path == f"/v2/chat/completions/{run.id}"
    with pytest.raises(TelaError, match=r"wait\(\) sent no request"):  # a final Run needs no poll
        client.with_raw_response.completions.wait(done)
    assert client.with_raw_response.completions.wait(done.id).parse().status == "succeeded"


def test_raw_list(client: Client, canvas: Canvas) -> None:
    client.completions.submit(canvas_id=canvas.id, variables={"document": "d"}).wait(poll_interval=POLL)
    raw = client.with_raw_response.completions.list(prompt_id=canvas.id, limit=1)
    _check(raw)
    page = raw.parse()
    assert isinstance(page, RunPage)
    assert [r.status for r in page.data] == ["succeeded"]
    assert page.request_id == raw.request_id


async def test_raw_wait_and_list_async(aclient: AsyncClient, canvas: Canvas) -> None:
    run = await aclient.completions.submit(canvas_id=canvas.id, variables={"document": "a"})
    raw = await aclient.with_raw_response.completions.wait(run.id, poll_interval=POLL)
    _check(raw)
    assert raw.parse().content == "Summary of a"
    page = await aclient.with_raw_response.completions.list(prompt_id=canvas.id)
    _check(page)
    assert [r.id for r in page.parse().data] == [run.id]


def test_raw_dify_app_calls(emulator: Emulator) -> None:
    app = emulator.add_dify_app(name="Translator", user_input_form=["text"])
    with emulator.dify_client(app, max_retries=0) as dify:
        params = dify.with_raw_response.parameters(user=USER)
        _check(params)
        assert isinstance(params.parse(), DifyParameters)
        assert params.parse().input_fields[0].variable == "text"
        meta = dify.with_raw_response.meta()
        _check(meta)
        assert isinstance(meta.parse(), DifyMeta)
        info = dify.with_raw_response.info(user=USER)
        _check(info)
        assert isinstance(info.parse(), DifyAppInfo)
        assert info.parse().name == "Translator"


async def test_raw_dify_app_calls_async(emulator: Emulator) -> None:
    app = emulator.add_dify_app(name="Translator", user_input_form=["text"])
    async with emulator.async_dify_client(app, max_retries=0) as dify:
        params = await dify.with_raw_response.parameters(user=USER)
        _check(params)
        assert params.parse().input_fields[0].variable == "text"
        _check(await dify.with_raw_response.meta())
        assert (await dify.with_raw_response.info()).parse().name == "Translator"


def test_raw_calls_do_not_leak_into_ordinary_ones(client: Client, canvas: Canvas) -> None:
    """The raw mark lives for one call: the call after it (or one made inside a callback)
    is ordinary."""
    inner: list[object] = []
    run = client.completions.submit(canvas_id=canvas.id, variables={"document": "d"})
    raw = client.with_raw_response.completions.wait(
        run, poll_interval=POLL, on_status=lambda r: inner.append(client.completions.retrieve(r.id))
    )
    assert raw.status_code == 200
    assert inner
    assert all(type(x).__name__ == "Run" for x in inner)
    assert type(client.completions.list(prompt_id=canvas.id)) is RunPage


# --- a 404 names what was sent, on every route -----------------------------------------------


def test_a_404_on_wait_names_the_run(client: Client) -> None:
    with pytest.raises(NotFoundError, match="sent id='run_missing'"):
        client.completions.wait("run_missing", poll_interval=POLL)


async def test_a_404_on_wait_names_the_run_async(aclient: AsyncClient) -> None:
    with pytest.raises(NotFoundError, match="sent id='run_missing'"):
        await aclient.completions.wait("run_missing", poll_interval=POLL)


def _answer(status: int, body: bytes) -> Callable[[RawConn], None]:
    def handler(conn: RawConn) -> None:
        headers = {"content-type": "application/json", "x-request-id": "req-1", "connection": "close"}
        conn.send(response(status, headers, body))
        conn.close()

    return handler


NOT_FOUND = b'{"code": "not_found", "message": "Nothing here", "status": 404}'


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda c: c.completions.list(prompt_id="canvas-9"), "sent prompt_id='canvas-9'"),
        (lambda c: c.files.retrieve("file-9"), "sent id='file-9'"),
    ],
    ids=["list", "files.retrieve"],
)
def test_a_404_names_what_was_sent_tela(call: Callable[[Client], Any], named: str) -> None:
    with (
        RawServer(_answer(404, NOT_FOUND)) as srv,
        Client(api_key="k", base_url=srv.url, max_retries=0) as client,
        pytest.raises(NotFoundError, match=named) as info,
    ):
        call(client)
    assert str(info.value).endswith(f"(request id req-1); {named}")
    assert info.value.message == str(info.value)


@pytest.mark.parametrize("call", ["parameters", "meta", "info"])
def test_a_404_on_dify_app_calls_names_the_user(call: str) -> None:
    with (
        RawServer(_answer(404, NOT_FOUND)) as srv,
        DifyClient(api_key="app-k", base_url=srv.url, max_retries=0) as dify,
    ):
        with pytest.raises(NotFoundError, match=f"GET /{call} .*Nothing here.*; sent user='{USER}'$"):
            getattr(dify, call)(user=USER)
        with pytest.raises(NotFoundError) as info:
            getattr(dify, call)()
    assert "sent" not in str(info.value)  # nothing named, nothing said


# --- an unreadable answer names the real request ------------------------------------------


def test_a_bad_body_names_the_request_line_with_its_ids() -> None:
    with RawServer(_answer(200, b'["not", "an", "object"]')) as srv:
        files = r"from GET /v3/files/file-9 \(HTTP 200\)"
        with (
            Client(api_key="k", base_url=srv.url, max_retries=0) as client,
            pytest.raises(APIResponseValidationError, match=files),
        ):
            client.files.retrieve("file-9")
        with DifyClient(api_key="app-k", base_url=srv.url, max_retries=0) as dify:
            with pytest.raises(APIResponseValidationError, match=r"from POST /messages/msg-9/feedbacks \(HTTP 200\)"):
                dify.messages.feedback("msg-9", rating="like", user=USER)
            with pytest.raises(APIResponseValidationError, match=r"from DELETE /conversations/conv-9 \(HTTP 200\)"):
                dify.conversations.delete("conv-9", user=USER)
            with pytest.raises(APIResponseValidationError, match=r"from GET /parameters \(HTTP 200\)") as info:
                dify.parameters(user=USER)
    assert info.value.request_id == "req-1"
