"""``client.tasks``: Workstation tasks (protocol.md §11): create them (one, or many in
requests of up to 100), read, list and query them, edit them and approve them.

Each call's arguments are turned into the core's op arguments once, by a builder both faces
share; ``Tasks`` and ``AsyncTasks`` only call and wrap. The rules about the values (and the
camelCase of the wire) live in the core.
"""

from __future__ import annotations

from .. import _docs
from .._base import OPTION_NAMES, AsyncResource, RequestOptions, SyncResource, split_params
from .._exceptions import APIResponseValidationError, InvalidRequestError
from .._typing_lite import TYPE_CHECKING
from ..types import AsyncTask, BaseTask, Task
from .runs import _PageBase

if TYPE_CHECKING:
    import builtins
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
    from datetime import datetime
    from typing import Any

    from typing_extensions import Unpack

    from .client import AsyncClient, Client
else:  # what the page classes' bases name, without importing collections
    from _collections_abc import Awaitable, Callable

__all__ = ["Tasks", "AsyncTasks", "TaskPage", "AsyncTaskPage"]


class TaskArgs(RequestOptions, total=False):
    """What ``create_many`` takes as defaults for its items (and the per-call options)."""

    application_id: str | None
    name: str | None
    variables: Mapping[str, Any] | None
    tags: Sequence[str] | None
    webhook_url: str | None


class TaskListParams(RequestOptions, total=False):
    """What ``tasks.list`` takes: filters, the page size and where to start, and the per-call options."""

    application_id: str | None
    status: str | Sequence[str] | None
    tags: str | Sequence[str] | None
    name: str | None
    ids: Sequence[str] | None
    prompt_version_id: str | None
    created_after: str | datetime | None
    created_before: str | datetime | None
    approved_after: str | datetime | None
    approved_before: str | datetime | None
    updated_after: str | datetime | None
    updated_before: str | datetime | None
    order_by: str | None
    order: str | None
    limit: int | None
    offset: int | None


class TaskQueryParams(RequestOptions, total=False):
    """What ``tasks.query`` takes: the app, filters, a query on the output, order and limit."""

    application_id: str | None
    filters: Mapping[str, Any] | None
    output_query: Mapping[str, Any] | None
    order_by: str | None
    order: str | None
    limit: int | None


#: The arguments of one task (a ``create_many`` item's keys).
_TASK_ARGS = frozenset(TaskArgs.__optional_keys__) - OPTION_NAMES
_LIST_ARGS = frozenset(TaskListParams.__optional_keys__) - OPTION_NAMES
_QUERY_ARGS = frozenset(TaskQueryParams.__optional_keys__) - OPTION_NAMES
#: Tasks one ``POST /task`` carries (the core's ``MAX_PER_REQUEST``).
MAX_PER_REQUEST = 100


def _task_id(task: str | BaseTask) -> str:
    return task.id if isinstance(task, BaseTask) else task


def _given(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def _create_args(
    application_id: str,
    name: str,
    variables: Mapping[str, Any] | None,
    tags: Sequence[str] | None,
    webhook_url: str | None,
) -> dict[str, Any]:
    """``create``'s one task (a warning for path-like strings in ``variables``, as ``completions``)."""
    given = {"variables": variables, "tags": tags, "webhook_url": webhook_url}
    return {"application_id": application_id, "name": name, **split_params(given, _TASK_ARGS, "create")[0]}


def _when(body: dict[str, Any]) -> dict[str, Any]:
    """Datetimes in a list query as ISO 8601 text (naive ones are sent as they are)."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") and not isinstance(v, str) else v) for k, v in body.items()}


def _chunks(items: Iterable[Mapping[str, Any]], defaults: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
    """``create_many``'s items with the defaults under them (an item's own keys win), cut into
    requests: consecutive items of one app, at most ``MAX_PER_REQUEST`` each."""
    if isinstance(items, (str, bytes)) or hasattr(items, "keys"):
        raise InvalidRequestError("create_many() takes a list of dicts (one per task), not a single value.")
    chunks: list[list[dict[str, Any]]] = []
    app: object = object()
    for i, item in enumerate(items):
        if not hasattr(item, "keys"):
            raise InvalidRequestError(f"item {i}: a task is a dict of create()'s arguments, got {type(item).__name__}.")
        unknown = sorted(set(item) - _TASK_ARGS)
        if unknown:
            raise InvalidRequestError(
                f"item {i}: unknown argument {unknown[0]!r}; a task takes {', '.join(sorted(_TASK_ARGS))}."
            )
        task = {k: v for k, v in {**defaults, **item}.items() if v is not None}
        if not chunks or task.get("application_id") != app or len(chunks[-1]) >= MAX_PER_REQUEST:
            chunks.append([])
            app = task.get("application_id")
        chunks[-1].append(task)
    return chunks


def _created(data: dict[str, Any], sent: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = data.get("data") or []
    if len(rows) != sent:
        raise APIResponseValidationError(
            f"POST /task created {sent} task(s) but the answer holds {len(rows)}; "
            "list the app's tasks to see what was created."
        )
    return rows


class TaskPage(_PageBase[Task, Callable[[str], "TaskPage"]]):
    """One page of ``tasks.list``. ``data`` holds its tasks; iterating the page goes through
    every task of this page and the following ones, fetching pages as needed."""

    __slots__ = ()
    _run = Task

    def next_page(self) -> TaskPage | None:
        """The following page, or None on the last one."""
        return self._fetch(self.next_cursor) if self.next_cursor else None

    def iter_pages(self) -> Iterator[TaskPage]:
        """This page and the following ones."""
        page: TaskPage | None = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[Task]:
        for page in self.iter_pages():
            yield from page.data

    def __repr__(self) -> str:
        return f"TaskPage(tasks={len(self.data)}, has_more={self.has_more})"


class AsyncTaskPage(_PageBase[AsyncTask, Callable[[str], Awaitable["AsyncTaskPage"]]]):
    """One page of ``AsyncTasks.list``; ``async for`` goes through every task of every page."""

    __slots__ = ()
    _run = AsyncTask

    async def next_page(self) -> AsyncTaskPage | None:
        """The following page, or None on the last one."""
        return await self._fetch(self.next_cursor) if self.next_cursor else None

    async def iter_pages(self) -> AsyncIterator[AsyncTaskPage]:
        """This page and the following ones."""
        page: AsyncTaskPage | None = self
        while page is not None:
            yield page
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[AsyncTask]:
        async for page in self.iter_pages():
            for task in page.data:
                yield task

    def __repr__(self) -> str:
        return f"AsyncTaskPage(tasks={len(self.data)}, has_more={self.has_more})"


class Tasks(SyncResource):
    _client: Client

    def create(
        self,
        *,
        application_id: str,
        name: str,
        variables: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        webhook_url: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Task:
        """Creates a Workstation task (``POST /task``): the current canvas version of the app
        ``application_id`` runs on ``variables`` (files as in ``completions.create``: ``File``,
        paths, vault uploads). ``name`` is what Workstation shows; ``tags`` label it;
        ``webhook_url`` is where Tela POSTs the result. Returns the task, usually ``running``:
        ``task.wait()`` polls it. Takes the per-call options. A 402 (the workspace's monthly
        limit) raises ``UsageLimitError``."""
        args = {"application_id": application_id, "name": name}
        args.update(
            split_params({"variables": variables, "tags": tags, "webhook_url": webhook_url}, _TASK_ARGS, "create")[0]
        )
        data, request_id = self._call("tasks.create", {"tasks": [args]}, options)
        return Task(_created(data, 1)[0], request_id, self._client)

    def create_many(self, items: Iterable[Mapping[str, Any]], **defaults: Unpack[TaskArgs]) -> builtins.list[Task]:
        """Creates one task per item of ``items`` (a dict of ``create()``'s arguments:
        ``application_id``, ``name``, ``variables``, ``tags``, ``webhook_url``); the same
        keywords given here are defaults every item may override, and the per-call options
        apply to every request. Consecutive items of one app go in one request of up to 100;
        longer lists (or a change of app) start another. Returns the tasks in the order of
        ``items``. A failed request raises; the tasks of earlier requests exist."""
        args, options = split_params(defaults, _TASK_ARGS, "create_many")
        tasks: builtins.list[Task] = []
        for chunk in _chunks(items, args):
            data, request_id = self._call("tasks.create", {"tasks": chunk}, options)
            tasks.extend(Task(row, request_id, self._client) for row in _created(data, len(chunk)))
        return tasks

    def get(self, task_id: str | BaseTask, **options: Unpack[RequestOptions]) -> Task:
        """The task ``task_id`` (an id or a ``Task``) as it is now (``GET /task/{id}``); a 404
        raises ``NotFoundError``. Takes the per-call options."""
        return Task(*self._call("tasks.get", {"id": _task_id(task_id)}, options), self._client)

    def list(self, **params: Unpack[TaskListParams]) -> TaskPage:
        """The workspace's tasks (``GET /task``), filtered by ``application_id``, ``status`` (one
        or a list), ``tags``, ``name``, ``ids``, ``prompt_version_id`` and time ranges
        (``created_after``/``created_before``, ``approved_after``/``approved_before``,
        ``updated_after``/``updated_before``: ISO 8601 text or datetimes), ordered by
        ``order_by``/``order`` (``"asc"``, ``"desc"``). ``limit`` is the page size (1 to 100,
        default 50) and ``offset`` where to start. Iterating the page goes through every
        task, page after page. Takes the per-call options."""
        body, options = split_params(params, _LIST_ARGS, "list")
        return self._page(_when(body), options)

    def _page(self, body: dict[str, Any], options: dict[str, Any]) -> TaskPage:
        fetch = lambda cursor: self._page({**body, "offset": int(cursor)}, options)  # noqa: E731
        return TaskPage(*self._call("tasks.list", body, options), self._client, fetch)

    def query(self, **params: Unpack[TaskQueryParams]) -> builtins.list[Task]:
        """The tasks of ``application_id`` matching ``filters`` (wire names: ``status``,
        ``createdAtSince``, ``tags``...) and ``output_query`` (MongoDB-style conditions on the
        output, e.g. ``{"total": {"$gte": 100}}``) (``POST /task/query``), ordered by
        ``order_by``/``order``, at most ``limit``. Takes the per-call options."""
        data, request_id = self._call("tasks.query", *split_params(params, _QUERY_ARGS, "query"))
        return [Task(row, request_id, self._client) for row in data.get("data") or []]

    def update(
        self,
        task_id: str | BaseTask,
        *,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        output: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Task:
        """Renames (``name``), retags (``tags``) or edits the task ``task_id`` (an id or a
        ``Task``; ``PATCH /task/{id}``) and returns it. ``output`` holds the output fields to
        change: Tela merges them into the task's output and records each edit. A ``running``
        task cannot be edited (``BadRequestError``). Takes the per-call options."""
        body = {"id": _task_id(task_id), "name": name, "tags": tags, "output": output}
        return Task(
            *self._call("tasks.update", {k: v for k, v in body.items() if v is not None}, options), self._client
        )

    def approve(self, task_id: str | BaseTask, **options: Unpack[RequestOptions]) -> Task:
        """Approves the reviewed task ``task_id`` (an id or a ``Task``; ``PATCH /task/{id}``
        with ``status: "completed"``) and returns it, with ``approved_at`` set. Takes the
        per-call options."""
        body = {"id": _task_id(task_id), "status": "completed"}
        return Task(*self._call("tasks.update", body, options), self._client)


class AsyncTasks(AsyncResource):
    _client: AsyncClient

    async def create(
        self,
        *,
        application_id: str,
        name: str,
        variables: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        webhook_url: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncTask:
        """Async twin of ``Tasks.create``."""
        args = {"application_id": application_id, "name": name}
        args.update(
            split_params({"variables": variables, "tags": tags, "webhook_url": webhook_url}, _TASK_ARGS, "create")[0]
        )
        data, request_id = await self._call("tasks.create", {"tasks": [args]}, options)
        return AsyncTask(_created(data, 1)[0], request_id, self._client)

    async def create_many(
        self, items: Iterable[Mapping[str, Any]], **defaults: Unpack[TaskArgs]
    ) -> builtins.list[AsyncTask]:
        """Async twin of ``Tasks.create_many`` (the requests go one after another)."""
        args, options = split_params(defaults, _TASK_ARGS, "create_many")
        tasks: builtins.list[AsyncTask] = []
        for chunk in _chunks(items, args):
            data, request_id = await self._call("tasks.create", {"tasks": chunk}, options)
            tasks.extend(AsyncTask(row, request_id, self._client) for row in _created(data, len(chunk)))
        return tasks

    async def get(self, task_id: str | BaseTask, **options: Unpack[RequestOptions]) -> AsyncTask:
        """Async twin of ``Tasks.get``."""
        return AsyncTask(*await self._call("tasks.get", {"id": _task_id(task_id)}, options), self._client)

    async def list(self, **params: Unpack[TaskListParams]) -> AsyncTaskPage:
        """Async twin of ``Tasks.list``: ``async for task in await client.tasks.list(...)``."""
        body, options = split_params(params, _LIST_ARGS, "list")
        return await self._page(_when(body), options)

    async def _page(self, body: dict[str, Any], options: dict[str, Any]) -> AsyncTaskPage:
        fetch = lambda cursor: self._page({**body, "offset": int(cursor)}, options)  # noqa: E731
        return AsyncTaskPage(*await self._call("tasks.list", body, options), self._client, fetch)

    async def query(self, **params: Unpack[TaskQueryParams]) -> builtins.list[AsyncTask]:
        """Async twin of ``Tasks.query``."""
        data, request_id = await self._call("tasks.query", *split_params(params, _QUERY_ARGS, "query"))
        return [AsyncTask(row, request_id, self._client) for row in data.get("data") or []]

    async def update(
        self,
        task_id: str | BaseTask,
        *,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        output: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncTask:
        """Async twin of ``Tasks.update``."""
        body = {"id": _task_id(task_id), "name": name, "tags": tags, "output": output}
        return AsyncTask(*await self._call("tasks.update", _given(body), options), self._client)

    async def approve(self, task_id: str | BaseTask, **options: Unpack[RequestOptions]) -> AsyncTask:
        """Async twin of ``Tasks.approve``."""
        body = {"id": _task_id(task_id), "status": "completed"}
        return AsyncTask(*await self._call("tasks.update", body, options), self._client)


_docs.share(AsyncTasks, Tasks)
