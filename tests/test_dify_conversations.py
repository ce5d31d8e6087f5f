"""Dify: ``site()``, ``files.preview``, a chat app's ``conversations`` (list, rename, delete)
and ``messages.list`` (history), sync and async against the emulator (protocol.md §6.8, §6.9),
with their request checks and the failure paths against a raw server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tela_sdk import (
    APIResponseValidationError,
    AsyncDifyClient,
    BadRequestError,
    DifyClient,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from tela_sdk.dify_types import DifyConversation, DifyConversationPage, DifyFilePreview, DifyMessagePage, DifySite
from tela_sdk.testing import DifyApp, Emulator

from .rawserver import RawConn, RawServer, response


@pytest.fixture
def chat_app(emulator: Emulator) -> DifyApp:
    return emulator.add_dify_app(mode="chat", answer="Re: {{query}}", name="Helper", description="Helps.")


@pytest.fixture
def chat(emulator: Emulator, chat_app: DifyApp) -> Iterator[DifyClient]:
    with emulator.dify_client(chat_app, max_retries=0) as c:
        yield c


@pytest.fixture
async def achat(emulator: Emulator, chat_app: DifyApp) -> AsyncIterator[AsyncDifyClient]:
    async with emulator.async_dify_client(chat_app, max_retries=0) as c:
        yield c


def _talk(chat: DifyClient, user: str, *queries: str) -> str:
    """One conversation with these queries; its id."""
    first = chat.chat_messages.create(query=queries[0], user=user)
    for q in queries[1:]:
        chat.chat_messages.create(query=q, user=user, conversation_id=first.conversation_id)
    assert first.conversation_id is not None
    return first.conversation_id


def test_site(chat: DifyClient) -> None:
    site = chat.site()
    assert isinstance(site, DifySite)
    assert (site.title, site.description, site.icon_type) == ("Helper", "Helps.", "emoji")
    assert site.request_id


def test_conversations_are_listed_a_page_at_a_time(chat: DifyClient) -> None:
    ids = [_talk(chat, "u1", f"topic {i}") for i in range(3)]
    _talk(chat, "someone-else", "not mine")
    page = chat.conversations.list(user="u1", limit=2)
    assert isinstance(page, DifyConversationPage)
    assert ([c.id for c in page.data], page.has_more, page.limit) == ([ids[2], ids[1]], True, 2)
    rest = chat.conversations.list(user="u1", limit=2, last_id=page.data[-1].id)
    assert ([c.id for c in rest.data], rest.has_more) == ([ids[0]], False)
    oldest_first = chat.conversations.list(user="u1", sort_by="created_at")
    assert [c.id for c in oldest_first.data] == ids
    first = oldest_first.data[0]
    assert isinstance(first, DifyConversation)
    assert (first.name, first.status, isinstance(first.created_at, int)) == ("topic 0", "normal", True)
    # A conversation that gets a new message moves to the front of the default order.
    chat.chat_messages.create(query="again", user="u1", conversation_id=ids[0])
    assert chat.conversations.list(user="u1", limit=1).data[0].id == ids[0]


def test_history_scrolls_back_oldest_first(chat: DifyClient) -> None:
    cid = _talk(chat, "u1", "one", "two", "three")
    latest = chat.messages.list(cid, user="u1", limit=2)
    assert isinstance(latest, DifyMessagePage)
    assert ([m.query for m in latest.data], latest.has_more) == (["two", "three"], True)
    assert latest.data[1].answer == "Re: three"
    assert latest.data[0].conversation_id == cid
    older = chat.messages.list(cid, user="u1", first_id=latest.data[0].id)
    assert ([m.query for m in older.data], older.has_more) == (["one"], False)
    chat.messages.feedback(older.data[0].id, rating="like", user="u1")
    again = chat.messages.list(cid, user="u1")
    assert again.data[0].feedback == {"rating": "like"}
    with pytest.raises(NotFoundError, match="Conversation Not Exists"):
        chat.messages.list(cid, user="another-user")


def test_rename_and_delete(chat: DifyClient) -> None:
    cid = _talk(chat, "u1", "What is the weather like today")
    renamed = chat.conversations.rename(cid, name="Weather", user="u1")
    assert (renamed.id, renamed.name) == (cid, "Weather")
    assert chat.conversations.list(user="u1").data[0].name == "Weather"
    auto = chat.conversations.rename(cid, auto_generate=True, user="u1")
    assert auto.name == "What is the weather"
    raw = chat.with_raw_response.conversations.delete(cid, user="u1")
    assert (raw.status_code, raw.parse().result) == (204, "success")
    assert chat.conversations.list(user="u1").data == []
    with pytest.raises(NotFoundError, match="Conversation Not Exists"):
        chat.conversations.delete(cid, user="u1")
    with pytest.raises(NotFoundError, match="Conversation Not Exists"):
        chat.conversations.rename(cid, name="x", user="u1")


def test_preview_returns_the_uploaded_bytes(emulator: Emulator, chat: DifyClient) -> None:
    content = bytes(range(256)) * 10
    up = chat.files.upload(content, filename="scan é.png", mime_type="image/png", user="u1")
    preview = chat.files.preview(up.id)
    assert isinstance(preview, DifyFilePreview)
    assert (preview.content, preview.mime_type, preview.file_name, preview.size) == (
        content,
        "image/png",
        None,
        len(content),
    )
    raw = chat.with_raw_response.files.preview(up.id, as_attachment=True)
    assert raw.headers["content-type"] == "image/png"
    assert raw.headers["content-disposition"].startswith("attachment")
    assert raw.parse().file_name == "scan é.png"
    other = emulator.add_dify_app()
    with emulator.dify_client(other, max_retries=0) as c, pytest.raises(PermissionDeniedError) as denied:
        c.files.preview(up.id)
    assert denied.value.code == "file_access_denied"
    with pytest.raises(NotFoundError):
        chat.files.preview("00000000-0000-0000-0000-000000000000")


def test_completion_apps_have_a_site_but_no_conversations(emulator: Emulator) -> None:
    app = emulator.add_dify_app(name="Writer")
    with emulator.dify_client(app, max_retries=0) as c:
        assert c.site().title == "Writer"
        with pytest.raises(BadRequestError) as e:
            c.conversations.list(user="u1")
    assert e.value.code == "not_chat_app"


def test_bad_arguments_fail_before_sending(emulator: Emulator, chat: DifyClient) -> None:
    cases: list[tuple[Any, str]] = [
        (lambda: chat.conversations.list(), "needs user"),
        (lambda: chat.conversations.list(user="u", limit=0), "limit must be an int from 1 to 100"),
        (lambda: chat.conversations.list(user="u", sort_by="name"), "sort_by must be one of"),  # type: ignore[arg-type]
        (lambda: chat.conversations.rename("c", user="u"), "needs name="),
        (lambda: chat.conversations.rename("c", name="n", auto_generate=True, user="u"), "not both"),
        (lambda: chat.conversations.delete("", user="u"), "conversation_id is required"),
        (lambda: chat.messages.list("c"), "needs user"),
        (lambda: chat.messages.list("c", user="u", limit=101), "limit must be"),
        (lambda: chat.files.preview(""), "file_id is required"),
    ]
    before = len(emulator.requests)
    for call, message in cases:
        with pytest.raises(InvalidRequestError, match=message):
            call()
    assert len(emulator.requests) == before


async def test_async_faces(emulator: Emulator, chat: DifyClient, achat: AsyncDifyClient) -> None:
    cid = _talk(chat, "u1", "hello", "again")
    assert (await achat.site()).title == "Helper"
    page = await achat.conversations.list(user="u1")
    assert [c.id for c in page.data] == [cid]
    history = await achat.messages.list(cid, user="u1", limit=1)
    assert [m.query for m in history.data] == ["again"]
    raw = await achat.with_raw_response.messages.list(cid, user="u1")
    assert (raw.status_code, len(raw.parse().data)) == (200, 2)
    assert (await achat.conversations.rename(cid, name="Hi", user="u1")).name == "Hi"
    raw_page = await achat.with_raw_response.conversations.list(user="u1")
    assert raw_page.parse().data[0].name == "Hi"
    up = await achat.files.upload(b"abc", filename="a.txt", user="u1")
    assert (await achat.files.preview(up.id)).content == b"abc"
    assert (await achat.with_raw_response.files.preview(up.id)).parse().mime_type == "text/plain"
    assert (await achat.conversations.delete(cid, user="u1")).result == "success"
    assert (await achat.conversations.list(user="u1")).data == []


# ---- failure paths (exact bytes) ---------------------------------------------------------


def _serve(status: int, headers: dict[str, str], body: bytes) -> RawServer:
    def handler(conn: RawConn) -> None:
        conn.send(response(status, {**headers, "connection": "close"}, body))
        conn.close()

    return RawServer(handler)


def _dify(srv: RawServer) -> DifyClient:
    return DifyClient(api_key="app-k", base_url=srv.url, max_retries=0)


def test_older_server_delete_answer_and_a_preview_without_content_type() -> None:
    old = b'{"result": "success"}'
    with _serve(200, {"content-type": "application/json"}, old) as srv, _dify(srv) as c:
        assert c.conversations.delete("c1", user="u").result == "success"
        assert (srv.requests[0].method, srv.requests[0].body) == ("DELETE", b'{"user":"u"}')
    with _serve(200, {}, b"\x00\x01raw") as srv, _dify(srv) as c:
        preview = c.files.preview("f1", as_attachment=True)
        assert (preview.content, preview.mime_type) == (b"\x00\x01raw", "application/octet-stream")
        assert srv.requests[0].path.endswith("/files/f1/preview?as_attachment=true")


def test_a_list_answer_that_is_not_json_is_an_error() -> None:
    with _serve(200, {"content-type": "text/html"}, b"<html>proxy</html>") as srv, _dify(srv) as c:
        with pytest.raises(APIResponseValidationError):
            c.conversations.list(user="u")
        with pytest.raises(APIResponseValidationError):
            c.messages.list("c1", user="u")


def test_preview_errors_keep_difys_code() -> None:
    body = b'{"code": "file_not_found", "message": "File not found or has been deleted.", "status": 404}'
    server = _serve(404, {"content-type": "application/json"}, body)
    with server as srv, _dify(srv) as c, pytest.raises(NotFoundError) as e:
        c.files.preview("f1")
    assert e.value.code == "file_not_found"
