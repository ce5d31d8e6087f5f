"""``dify.conversations``: a chat app's conversations for one end user: list them a page at
a time, rename one, delete one (``/conversations``, protocol.md §6.8)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from .. import _docs
from .._base import AsyncResource, RequestOptions, SyncResource, given
from ..dify_types import DifyConversation, DifyConversationPage, DifyResult

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DifyConversations", "AsyncDifyConversations", "SortBy"]

#: The orders of ``conversations.list`` ("-": newest first).
SortBy = Literal["created_at", "-created_at", "updated_at", "-updated_at"]


def _list_body(user: str | None, last_id: str | None, limit: int | None, sort_by: str | None) -> dict[str, Any]:
    return given(user=user, last_id=last_id, limit=limit, sort_by=sort_by)


def _rename_body(conversation_id: str, name: str | None, auto_generate: bool, user: str | None) -> dict[str, Any]:
    body = given(conversation_id=conversation_id, name=name, user=user)
    if auto_generate:
        body["auto_generate"] = True
    return body


class DifyConversations(SyncResource):
    """``GET /conversations``, ``POST /conversations/{id}/name``, ``DELETE /conversations/{id}``."""

    def list(
        self,
        *,
        user: str | None = None,
        last_id: str | None = None,
        limit: int | None = None,
        sort_by: SortBy | None = None,
        **options: Unpack[RequestOptions],
    ) -> DifyConversationPage:
        """One page of ``user``'s conversations: ``limit`` (1-100, Dify's default 20) after
        ``last_id`` (the last id of the previous page; leave it out for the first), ordered by
        ``sort_by`` (default ``"-updated_at"``). ``page.has_more`` says whether another page
        follows. Takes the per-call options."""
        body = _list_body(user, last_id, limit, sort_by)
        return DifyConversationPage(*self._call("dify.conversations.list", body, options))

    def rename(
        self,
        conversation_id: str,
        *,
        name: str | None = None,
        auto_generate: bool = False,
        user: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> DifyConversation:
        """Renames the conversation ``conversation_id`` of ``user`` to ``name``, or lets the app name it
        (``auto_generate=True``); returns the conversation. Takes the per-call options."""
        body = _rename_body(conversation_id, name, auto_generate, user)
        return DifyConversation(*self._call("dify.conversations.rename", body, options))

    def delete(self, conversation_id: str, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifyResult:
        """Deletes the conversation ``conversation_id`` of ``user`` (``result == "success"``). An unknown one raises
        ``NotFoundError``. Takes the per-call options."""
        body = given(conversation_id=conversation_id, user=user)
        return DifyResult(*self._call("dify.conversations.delete", body, options))


class AsyncDifyConversations(AsyncResource):
    """Async twin of ``DifyClient.conversations``."""

    async def list(
        self,
        *,
        user: str | None = None,
        last_id: str | None = None,
        limit: int | None = None,
        sort_by: SortBy | None = None,
        **options: Unpack[RequestOptions],
    ) -> DifyConversationPage:
        """Async twin of ``DifyClient.conversations.list``."""
        body = _list_body(user, last_id, limit, sort_by)
        return DifyConversationPage(*await self._call("dify.conversations.list", body, options))

    async def rename(
        self,
        conversation_id: str,
        *,
        name: str | None = None,
        auto_generate: bool = False,
        user: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> DifyConversation:
        """Async twin of ``DifyClient.conversations.rename``."""
        body = _rename_body(conversation_id, name, auto_generate, user)
        return DifyConversation(*await self._call("dify.conversations.rename", body, options))

    async def delete(
        self, conversation_id: str, *, user: str | None = None, **options: Unpack[RequestOptions]
    ) -> DifyResult:
        """Async twin of ``DifyClient.conversations.delete``."""
        body = given(conversation_id=conversation_id, user=user)
        return DifyResult(*await self._call("dify.conversations.delete", body, options))


_docs.share(AsyncDifyConversations, DifyConversations)
