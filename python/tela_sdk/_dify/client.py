"""``DifyClient`` and ``AsyncDifyClient``: Dify's service API on the same native core.

    from tela_sdk import DifyClient
    dify = DifyClient()                              # DIFY_API_KEY / DIFY_BASE_URL
    out = dify.completion_messages.create(inputs={"query": "Hi"}, user="user-1")
    print(out.answer, out.usage.total_price)

Timeouts, retries, proxies, errors and key masking work as for ``Client``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .. import _docs
from .._base import (
    AsyncClientBase,
    AsyncResource,
    BaseClient,
    CommonSettings,
    RequestOptions,
    SyncClient,
    SyncResource,
    given,
)
from ..dify_types import DifyAppInfo, DifyMeta, DifyParameters, DifySite
from .conversations import AsyncDifyConversations, DifyConversations
from .files import AsyncDifyFiles, DifyFiles
from .messages import (
    AsyncDifyChatMessages,
    AsyncDifyCompletionMessages,
    AsyncDifyMessages,
    DifyChatMessages,
    DifyCompletionMessages,
    DifyMessages,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._models import ResponseModel
    from .._operations import Operation
    from .raw import AsyncDifyWithRawResponse, DifyWithRawResponse

__all__ = ["DifyClient", "AsyncDifyClient"]

M = TypeVar("M", bound="ResponseModel")


class _DifyBase(BaseClient):
    """The settings of a Dify client: those of ``Client`` but ``upload`` (Dify files are always uploaded)."""

    _api = "dify"
    _setting_names = frozenset(CommonSettings.__optional_keys__)

    def __init__(
        self,
        *,
        event_hooks: Mapping[str, Iterable[Callable[..., Any]]] | None = None,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        **settings: Unpack[CommonSettings],
    ) -> None:
        """Builds the client; nothing is sent until the first call. Takes the settings of
        ``Client`` but ``upload`` (Dify files are always uploaded): ``api_key`` (else
        ``DIFY_API_KEY``), ``base_url`` (else ``DIFY_BASE_URL``), ``timeout``,
        ``max_retries``, ``default_headers``, ``proxy``, ``ca_bundle``, ``max_event_bytes``
        and ``trust_env``, and ``event_hooks``, ``tracer_provider`` and ``meter_provider``;
        ``help(tela_sdk.Client)`` says what each does."""
        super().__init__(
            event_hooks=event_hooks, tracer_provider=tracer_provider, meter_provider=meter_provider, **settings
        )


class _App(SyncResource):
    """The app's own calls (``parameters``, ``meta``, ``info``, ``site``), on the one route."""

    def get(self, op: Operation, model: type[M], user: str | None, options: Mapping[str, Any]) -> M:
        return model(*self._call(op, given(user=user), options))


class _AsyncApp(AsyncResource):
    async def get(self, op: Operation, model: type[M], user: str | None, options: Mapping[str, Any]) -> M:
        return model(*await self._call(op, given(user=user), options))


class DifyClient(_DifyBase, SyncClient):
    """The synchronous Dify client for one app (its API key, ``app-...``). Thread-safe.

    Reads ``DIFY_API_KEY`` and ``DIFY_BASE_URL`` when ``api_key``/``base_url`` are not
    given; the default base is ``https://api.dify.ai/v1``, and a self-hosted base keeps its
    path (``https://dify.example.com/v1``).
    """

    completion_messages: DifyCompletionMessages
    chat_messages: DifyChatMessages
    files: DifyFiles
    messages: DifyMessages
    conversations: DifyConversations

    def _setup(self) -> None:
        self.completion_messages = DifyCompletionMessages(self)
        self.chat_messages = DifyChatMessages(self)
        self.files = DifyFiles(self)
        self.messages = DifyMessages(self)
        self.conversations = DifyConversations(self)
        self._app = _App(self)

    @property
    def with_raw_response(self) -> DifyWithRawResponse:
        """The same calls, each returning a ``RawResponse``: ``status_code``, ``headers``,
        ``request_id`` and ``parse()`` (the usual result). Not for streams."""
        from .raw import DifyWithRawResponse  # lazy: most code never needs it

        return DifyWithRawResponse(self)

    def parameters(self, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifyParameters:
        """The app's input form (``input_fields``), features and upload limits, as ``user``
        (an end user id) sees them. Takes the per-call options."""
        return self._app.get("dify.parameters", DifyParameters, user, options)

    def meta(self, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifyMeta:
        """The icons of the app's tools, as ``user`` sees them. Takes the per-call options."""
        return self._app.get("dify.meta", DifyMeta, user, options)

    def info(self, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifyAppInfo:
        """The app's name, description, tags and mode, as ``user`` sees them. Takes the
        per-call options."""
        return self._app.get("dify.info", DifyAppInfo, user, options)

    def site(self, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifySite:
        """The app's WebApp settings (title, icon, description, copyright, privacy policy,
        default language...), as ``user`` sees them. Takes the per-call options."""
        return self._app.get("dify.site", DifySite, user, options)


class AsyncDifyClient(_DifyBase, AsyncClientBase):
    """The asyncio Dify client: every call is awaited on the caller's event loop."""

    completion_messages: AsyncDifyCompletionMessages
    chat_messages: AsyncDifyChatMessages
    files: AsyncDifyFiles
    messages: AsyncDifyMessages
    conversations: AsyncDifyConversations

    def _setup(self) -> None:
        self.completion_messages = AsyncDifyCompletionMessages(self)
        self.chat_messages = AsyncDifyChatMessages(self)
        self.files = AsyncDifyFiles(self)
        self.messages = AsyncDifyMessages(self)
        self.conversations = AsyncDifyConversations(self)
        self._app = _AsyncApp(self)

    @property
    def with_raw_response(self) -> AsyncDifyWithRawResponse:
        """The same calls, each awaited to a ``RawResponse``. Not for streams."""
        from .raw import AsyncDifyWithRawResponse

        return AsyncDifyWithRawResponse(self)

    async def parameters(self, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifyParameters:
        """Async twin of ``DifyClient.parameters``."""
        return await self._app.get("dify.parameters", DifyParameters, user, options)

    async def meta(self, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifyMeta:
        """Async twin of ``DifyClient.meta``."""
        return await self._app.get("dify.meta", DifyMeta, user, options)

    async def info(self, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifyAppInfo:
        """Async twin of ``DifyClient.info``."""
        return await self._app.get("dify.info", DifyAppInfo, user, options)

    async def site(self, *, user: str | None = None, **options: Unpack[RequestOptions]) -> DifySite:
        """Async twin of ``DifyClient.site``."""
        return await self._app.get("dify.site", DifySite, user, options)


_docs.share(AsyncDifyClient, DifyClient)
_docs.signatures(_DifyBase)
