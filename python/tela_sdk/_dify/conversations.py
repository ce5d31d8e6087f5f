"""``dify.conversations``: a chat app's conversations for one end user: list them a page at
a time, rename one, delete one (``/conversations``, protocol.md §6.8)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from .. import _docs
from .._base import OPTION_NAMES, AsyncResource, RequestOptions, SyncResource, given, split_params
from ..dify_types import DifyConversation, DifyConversationPage, DifyResult

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DifyConversations", "AsyncDifyConversations", "SortBy"]

#: The orders of ``conversations.list`` ("-": newest first).
SortBy = Literal["created_at", "-created_at", "updated_at", "-updated_at"]


class ListParams(RequestOptions, total=False):
    """What ``conversations.list`` takes: whose, which page, in what order, and the per-call options."""

    user: str | None
    last_id: str | None
    limit: int | None
    sort_by: SortBy | None


class RenameParams(RequestOptions, total=False):
    """What ``conversations.rename`` takes besides the conversation's id."""

    name: str | None
    auto_generate: bool | None
    user: str | None


_LIST_ARGS = frozenset(ListParams.__optional_keys__) - OPTION_NAMES
_RENAME_ARGS = frozenset(RenameParams.__optional_keys__) - OPTION_NAMES


def _rename(conversation_id: str, params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    body, options = split_params(params, _RENAME_ARGS, "rename")
    body.update(given(conversation_id=conversation_id))
    if body.pop("auto_generate", False):
        body["auto_generate"] = True  # sent only when asked
    return body, options


class DifyConversations(SyncResource):
    """``GET /conversations``, ``POST /conversations/{id}/name``, ``DELETE /conversations/{id}``."""

    def list(self, **params: Unpack[ListParams]) -> DifyConversationPage:
        """One page of ``user``'s conversations: ``limit`` (1-100, Dify's default 20) after
        ``last_id`` (the last id of the previous page; leave it out for the first), ordered by
        ``sort_by`` (default ``"-updated_at"``). ``page.has_more`` says whether another page
        follows. Takes the per-call options."""
        body, options = split_params(params, _LIST_ARGS, "list")
        return DifyConversationPage(*self._call("dify.conversations.list", body, options))

    def rename(self, conversation_id: str, **params: Unpack[RenameParams]) -> DifyConversation:
        """Renames the conversation ``conversation_id`` of ``user`` to ``name``, or lets the app name it
        (``auto_generate=True``); returns the conversation. Takes the per-call options."""
        return DifyConversation(*self._call("dify.conversations.rename", *_rename(conversation_id, params)))

    def delete(self, conversation_id: str, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifyResult:
        """Deletes the conversation ``conversation_id`` of ``user`` (``result == "success"``). An unknown one raises
        ``NotFoundError``. Takes the per-call options."""
        body = given(conversation_id=conversation_id, user=user)
        return DifyResult(*self._call("dify.conversations.delete", body, options))


class AsyncDifyConversations(AsyncResource):
    """Async twin of ``DifyClient.conversations``."""

    async def list(self, **params: Unpack[ListParams]) -> DifyConversationPage:
        """Async twin of ``DifyClient.conversations.list``."""
        body, options = split_params(params, _LIST_ARGS, "list")
        return DifyConversationPage(*await self._call("dify.conversations.list", body, options))

    async def rename(self, conversation_id: str, **params: Unpack[RenameParams]) -> DifyConversation:
        """Async twin of ``DifyClient.conversations.rename``."""
        return DifyConversation(*await self._call("dify.conversations.rename", *_rename(conversation_id, params)))

    async def delete(
        self, conversation_id: str, *, user: str | None = None, **options: Unpack[RequestOptions]
    ) -> DifyResult:
        """Async twin of ``DifyClient.conversations.delete``."""
        body = given(conversation_id=conversation_id, user=user)
        return DifyResult(*await self._call("dify.conversations.delete", body, options))


_docs.share(AsyncDifyConversations, DifyConversations)
