"""``client.canvases`` and ``client.environments``: read canvases and their versions, and
publish a version to an environment (protocol.md §9). Read-only models from
``tela_sdk.types``; list answers are pages that iterate every row, page after page."""

from __future__ import annotations

from .. import _docs
from .._base import AsyncResource, RequestOptions, SyncResource
from .._typing_lite import TYPE_CHECKING, Generic, TypeVar
from ..types import Canvas, CanvasVersion, EnvironmentPublication

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
    from typing import Any

    from typing_extensions import Unpack

    from .._operations import Operation
else:  # what the page classes' bases name, without importing collections
    from _collections_abc import Awaitable, Callable

__all__ = [
    "Canvases",
    "AsyncCanvases",
    "Environments",
    "AsyncEnvironments",
    "CanvasPage",
    "AsyncCanvasPage",
    "VersionPage",
    "AsyncVersionPage",
]

_M = TypeVar("_M", Canvas, CanvasVersion)
_F = TypeVar("_F")


def _next_args(page: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
    """The arguments of the page after ``page`` (asked with ``body``), or None on the last."""
    if not page.get("has_more"):
        return None
    if page.get("next_cursor"):
        return {**body, "cursor": page["next_cursor"]}
    if isinstance(page.get("next_offset"), int):
        return {**body, "offset": page["next_offset"]}
    return None


class _PageBase(Generic[_M, _F]):
    __slots__ = ("_fetch", "data", "has_more", "raw", "request_id")
    _model: type[_M]

    def __init__(self, page: dict[str, Any], request_id: str | None, fetch: _F | None) -> None:
        #: The page as the core normalized it (``data``, ``has_more``, ``next_cursor``, ``next_offset``...).
        self.raw = page
        self.has_more: bool = bool(page.get("has_more")) and fetch is not None
        self.request_id = request_id
        self.data: list[_M] = [self._model(row, request_id) for row in page.get("data") or []]
        self._fetch = fetch

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rows={len(self.data)}, has_more={self.has_more})"


if TYPE_CHECKING:
    #: Any page of this module (what ``with_raw_response`` may parse to).
    Page = _PageBase[Any, Any]


class _SyncPage(_PageBase[_M, Callable[[], object]]):
    __slots__ = ()

    def next_page(self) -> Any:
        """The following page, or None on the last one."""
        return self._fetch() if self.has_more and self._fetch is not None else None

    def iter_pages(self) -> Iterator[Any]:
        """This page and the following ones."""
        page: Any = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[_M]:
        for page in self.iter_pages():
            yield from page.data


class _AsyncPage(_PageBase[_M, Callable[[], Awaitable[object]]]):
    __slots__ = ()

    async def next_page(self) -> Any:
        """The following page, or None on the last one."""
        return await self._fetch() if self.has_more and self._fetch is not None else None

    async def iter_pages(self) -> AsyncIterator[Any]:
        """This page and the following ones."""
        page: Any = self
        while page is not None:
            yield page
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[_M]:
        async for page in self.iter_pages():
            for row in page.data:
                yield row


class CanvasPage(_SyncPage[Canvas]):
    """The canvases of ``canvases.list``: ``data`` holds this page's; iterating goes through
    every canvas, fetching further pages when the API pages (it usually answers all at once)."""

    __slots__ = ()
    _model = Canvas

    if TYPE_CHECKING:

        def next_page(self) -> CanvasPage | None: ...
        def iter_pages(self) -> Iterator[CanvasPage]: ...


class AsyncCanvasPage(_AsyncPage[Canvas]):
    """Async twin of ``CanvasPage``: ``async for`` goes through every canvas."""

    __slots__ = ()
    _model = Canvas

    if TYPE_CHECKING:

        async def next_page(self) -> AsyncCanvasPage | None: ...
        def iter_pages(self) -> AsyncIterator[AsyncCanvasPage]: ...


class VersionPage(_SyncPage[CanvasVersion]):
    """A page of ``canvases.history`` (newest first): ``data`` holds its versions; iterating
    goes through every version, fetching the following pages."""

    __slots__ = ()
    _model = CanvasVersion

    if TYPE_CHECKING:

        def next_page(self) -> VersionPage | None: ...
        def iter_pages(self) -> Iterator[VersionPage]: ...


class AsyncVersionPage(_AsyncPage[CanvasVersion]):
    """Async twin of ``VersionPage``: ``async for`` goes through every version."""

    __slots__ = ()
    _model = CanvasVersion

    if TYPE_CHECKING:

        async def next_page(self) -> AsyncVersionPage | None: ...
        def iter_pages(self) -> AsyncIterator[AsyncVersionPage]: ...


def _history_body(canvas_id: str, limit: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"canvas_id": canvas_id}
    if limit is not None:
        body["limit"] = limit
    return body


def _list_body(project_id: str | None) -> dict[str, Any]:
    return {} if project_id is None else {"project_id": project_id}


def _publish_body(canvas_id: str, env_name: str, version_id: str, auto_create: bool) -> dict[str, Any]:
    return {"canvas_id": canvas_id, "environment_name": env_name, "version_id": version_id, "auto_create": auto_create}


class Canvases(SyncResource):
    def get(self, canvas_id: str, **options: Unpack[RequestOptions]) -> Canvas:
        """The canvas ``canvas_id`` (``GET /prompt/{id}``): ``title``, ``project_id``...; a 404
        raises ``NotFoundError`` naming the id. Takes the per-call options."""
        return Canvas(*self._call("canvases.get", {"canvas_id": canvas_id}, options))

    def list(self, *, project_id: str | None = None, **options: Unpack[RequestOptions]) -> CanvasPage:
        """The workspace's canvases (``GET /prompt``), of one project with ``project_id``.
        Iterating the page goes through every canvas. Takes the per-call options."""
        page: CanvasPage = self._page("canvases.list", CanvasPage, _list_body(project_id), options)
        return page

    def promoted_version(self, canvas_id: str, **options: Unpack[RequestOptions]) -> CanvasVersion:
        """The version of the canvas ``canvas_id`` live in production
        (``GET /prompt/{id}/promoted-version``): what ``completions.create(canvas_id=...)``
        runs. ``NotFoundError`` when the canvas has none. Takes the per-call options."""
        return CanvasVersion(*self._call("canvases.promoted_version", {"canvas_id": canvas_id}, options))

    def latest_version(self, canvas_id: str, **options: Unpack[RequestOptions]) -> CanvasVersion:
        """The newest version of the canvas ``canvas_id``, promoted or not
        (``GET /prompt/{id}/latest-version``), with ``version_index`` and
        ``previous_version_id``. Takes the per-call options."""
        return CanvasVersion(*self._call("canvases.latest_version", {"canvas_id": canvas_id}, options))

    def version(self, version_id: str, **options: Unpack[RequestOptions]) -> CanvasVersion:
        """The version ``version_id`` in full (``GET /prompt-version/{id}``): ``variables``,
        ``output_schema``, ``configuration``, ``content``. Takes the per-call options."""
        return CanvasVersion(*self._call("canvases.version", {"version_id": version_id}, options))

    def history(self, canvas_id: str, *, limit: int | None = None, **options: Unpack[RequestOptions]) -> VersionPage:
        """The versions of the canvas ``canvas_id``, newest first (``GET /prompt-version/history``), ``limit``
        (1 to 100, server default 20) a page. Rows are light (``promoted``, ``draft``,
        ``environments``, ``version_index``, no content): ``version(id)`` has the rest.
        Iterating the page goes through every version, page after page."""
        page: VersionPage = self._page("canvases.history", VersionPage, _history_body(canvas_id, limit), options)
        return page

    def _page(self, op: Operation, cls: type[Any], body: dict[str, Any], options: Any) -> Any:
        page, request_id = self._call(op, body, options)
        after = _next_args(page, body)
        fetch = None if after is None else (lambda: self._page(op, cls, after, options))
        return cls(page, request_id, fetch)


class AsyncCanvases(AsyncResource):
    async def get(self, canvas_id: str, **options: Unpack[RequestOptions]) -> Canvas:
        """Async twin of ``Client.canvases.get``."""
        return Canvas(*await self._call("canvases.get", {"canvas_id": canvas_id}, options))

    async def list(self, *, project_id: str | None = None, **options: Unpack[RequestOptions]) -> AsyncCanvasPage:
        """Async twin of ``Client.canvases.list``; ``async for`` goes through every canvas."""
        page: AsyncCanvasPage = await self._page("canvases.list", AsyncCanvasPage, _list_body(project_id), options)
        return page

    async def promoted_version(self, canvas_id: str, **options: Unpack[RequestOptions]) -> CanvasVersion:
        """Async twin of ``Client.canvases.promoted_version``."""
        return CanvasVersion(*await self._call("canvases.promoted_version", {"canvas_id": canvas_id}, options))

    async def latest_version(self, canvas_id: str, **options: Unpack[RequestOptions]) -> CanvasVersion:
        """Async twin of ``Client.canvases.latest_version``."""
        return CanvasVersion(*await self._call("canvases.latest_version", {"canvas_id": canvas_id}, options))

    async def version(self, version_id: str, **options: Unpack[RequestOptions]) -> CanvasVersion:
        """Async twin of ``Client.canvases.version``."""
        return CanvasVersion(*await self._call("canvases.version", {"version_id": version_id}, options))

    async def history(
        self, canvas_id: str, *, limit: int | None = None, **options: Unpack[RequestOptions]
    ) -> AsyncVersionPage:
        """Async twin of ``Client.canvases.history``; ``async for`` goes through every version."""
        page: AsyncVersionPage = await self._page(
            "canvases.history", AsyncVersionPage, _history_body(canvas_id, limit), options
        )
        return page

    async def _page(self, op: Operation, cls: type[Any], body: dict[str, Any], options: Any) -> Any:
        page, request_id = await self._call(op, body, options)
        after = _next_args(page, body)
        fetch = None if after is None else (lambda: self._page(op, cls, after, options))
        return cls(page, request_id, fetch)


class Environments(SyncResource):
    def publish(
        self,
        canvas_id: str,
        env_name: str,
        version_id: str,
        *,
        auto_create: bool = False,
        **options: Unpack[RequestOptions],
    ) -> EnvironmentPublication:
        """Makes ``version_id`` the version the environment ``env_name`` of the canvas ``canvas_id`` serves
        (``POST /environment/publish-by-name``); publishing to ``production`` also promotes
        it. ``auto_create=True`` creates a missing environment (else ``NotFoundError``).
        ``env_name``: lowercase letters and digits with single hyphens, at most 64 characters
        (checked before sending). Re-publishing the version already served changes nothing."""
        body = _publish_body(canvas_id, env_name, version_id, auto_create)
        return EnvironmentPublication(*self._call("environments.publish", body, options))

    def version(self, canvas_id: str, env_name: str, **options: Unpack[RequestOptions]) -> CanvasVersion:
        """The version the environment ``env_name`` of the canvas ``canvas_id`` serves, in full
        (``GET /environment/version``): what ``create(canvas_id=..., environment_name=...)``
        runs. ``NotFoundError`` when the environment does not exist or serves nothing."""
        body = {"canvas_id": canvas_id, "environment_name": env_name}
        return CanvasVersion(*self._call("environments.version", body, options))


class AsyncEnvironments(AsyncResource):
    async def publish(
        self,
        canvas_id: str,
        env_name: str,
        version_id: str,
        *,
        auto_create: bool = False,
        **options: Unpack[RequestOptions],
    ) -> EnvironmentPublication:
        """Async twin of ``Client.environments.publish``."""
        body = _publish_body(canvas_id, env_name, version_id, auto_create)
        return EnvironmentPublication(*await self._call("environments.publish", body, options))

    async def version(self, canvas_id: str, env_name: str, **options: Unpack[RequestOptions]) -> CanvasVersion:
        """Async twin of ``Client.environments.version``."""
        body = {"canvas_id": canvas_id, "environment_name": env_name}
        return CanvasVersion(*await self._call("environments.version", body, options))


_docs.share(AsyncCanvases, Canvases)
_docs.share(AsyncEnvironments, Environments)
