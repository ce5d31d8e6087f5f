"""``client.completions``: run canvases."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any, Literal, overload

from . import _batch, _runs
from ._batch import BatchResult
from ._runs import AsyncRunPage, RunPage
from ._streaming import AsyncStream, Stream
from ._timeout import TimeoutTypes, timeout_arg
from .types import DEFAULT, AsyncRun, BaseRun, Completion, CompletionChunk, Run

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["Completions", "AsyncCompletions"]


def _body(
    canvas_id: str | None,
    version_id: str | None,
    application_id: str | None,
    environment_name: str | None,
    variables: Mapping[str, Any] | None,
    messages: Sequence[Mapping[str, Any]] | None,
    override: Mapping[str, Any] | None,
    tags: Sequence[str] | None,
    label: str | None,
) -> dict[str, Any]:
    """The typed arguments that were given; rules about them live in the native core."""
    given = {
        "canvas_id": canvas_id,
        "version_id": version_id,
        "application_id": application_id,
        "environment_name": environment_name,
        "variables": variables,
        "messages": messages,
        "override": override,
        "tags": tags,
        "label": label,
    }
    return {k: v for k, v in given.items() if v is not None}


def _options(
    extra_body: Mapping[str, Any] | None,
    extra_headers: Mapping[str, str] | None,
    extra_query: Mapping[str, str] | None,
    timeout: TimeoutTypes,
    max_retries: int | None,
) -> dict[str, Any]:
    return {
        "extra_body": extra_body,
        "extra_headers": extra_headers,
        "extra_query": extra_query,
        "timeout": timeout_arg(timeout),
        "max_retries": max_retries,
    }


#: What a batch item (or ``batch()``'s keywords) may give: ``create()``'s arguments but ``stream``.
_BATCH_ARGS = frozenset(
    {
        "canvas_id",
        "version_id",
        "application_id",
        "environment_name",
        "variables",
        "messages",
        "override",
        "tags",
        "label",
        "extra_body",
        "extra_headers",
        "extra_query",
        "timeout",
        "max_retries",
    }
)


def _batch_plan(
    items: Iterable[Mapping[str, Any]],
    defaults: Mapping[str, Any],
    concurrency: int,
    output: str | PathLike[str] | None,
    resume: bool,
) -> _batch.Plan[Completion]:
    return _batch.plan(
        items,
        defaults,
        allowed=_BATCH_ARGS,
        concurrency=concurrency,
        output=output,
        resume=resume,
        decode=lambda record: Completion(record.get("completion") or {}, record.get("request_id")),
    )


def _usage(completion: Completion) -> tuple[int, float]:
    usage = completion.usage
    return (usage.total_tokens or 0) if usage is not None else 0, 0.0


class Completions:
    def __init__(self, client: Client) -> None:
        self._client = client

    @overload
    def create(
        self,
        *,
        canvas_id: str | None = None,
        version_id: str | None = None,
        application_id: str | None = None,
        environment_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        override: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        label: str | None = None,
        stream: Literal[False] = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> Completion: ...

    @overload
    def create(
        self,
        *,
        canvas_id: str | None = None,
        version_id: str | None = None,
        application_id: str | None = None,
        environment_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        override: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        label: str | None = None,
        stream: Literal[True],
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> Stream[CompletionChunk]: ...

    def create(
        self,
        *,
        canvas_id: str | None = None,
        version_id: str | None = None,
        application_id: str | None = None,
        environment_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        override: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        label: str | None = None,
        stream: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> Completion | Stream[CompletionChunk]:
        """Runs a canvas and returns its answer (or, with ``stream=True``, a chunk stream).

        Say what to run with exactly one of ``canvas_id`` (optionally with
        ``environment_name``), ``version_id`` or ``application_id`` (Workstation apps go
        through ``submit``). The POST is retried only when the server cannot have started
        the run (see README, "Retries").
        """
        native = self._client._live()
        body = _body(
            canvas_id, version_id, application_id, environment_name, variables, messages, override, tags, label
        )
        opts = _options(extra_body, extra_headers, extra_query, timeout, max_retries)
        if stream:
            return Stream(native.stream("completions.create", body, **opts), CompletionChunk)
        data, request_id = native.call("completions.create", body, **opts)
        return Completion(data, request_id)

    def batch(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 16,
        progress: bool = True,
        output: str | PathLike[str] | None = None,
        resume: bool = False,
        **defaults: Any,
    ) -> list[BatchResult[Completion]]:
        """Runs ``create(**{**defaults, **item})`` for every item, at most ``concurrency`` at
        once, and returns one ``BatchResult`` per item in input order (``.ok``,
        ``.completion``, ``.error``): a failed item never fails the batch.

        ``progress`` shows done / failed / rate / ETA and tokens (tqdm when installed).
        ``output`` appends one JSON line per finished item (``index``, ``ok``, and the
        completion or the error); with ``resume=True`` the indices already in that file are
        skipped and their stored results returned. Bad items raise ``InvalidRequestError``
        before anything is sent. Ctrl-C cancels the items in flight.
        """
        from ._client import AsyncClient

        the_plan = _batch_plan(items, defaults, concurrency, output, resume)
        completions = AsyncClient._wrap(self._client._live()).completions

        async def create(**item: Any) -> Completion:
            out: Completion = await completions.create(**item)
            return out

        return _batch.run_sync(
            lambda: _batch.run_async(
                the_plan, create, concurrency=concurrency, progress=progress, output=output, usage=_usage
            )
        )

    def submit(
        self,
        *,
        canvas_id: str | None = None,
        version_id: str | None = None,
        application_id: str | None = None,
        environment_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        override: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        label: str | None = None,
        webhook_url: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> Run:
        """Starts a run without waiting for it and returns it: ``status`` is ``created``
        (a Workstation ``application_id`` task starts ``running``). Takes what ``create``
        takes, plus ``webhook_url``, where Tela POSTs the finished run (read it with
        ``tela_sdk.webhooks.parse``). ``run.wait()`` polls until the run is done. Like
        ``create``, the POST is retried only when the server cannot have started the run.
        """
        native = self._client._live()
        body = _body(
            canvas_id, version_id, application_id, environment_name, variables, messages, override, tags, label
        )
        if webhook_url is not None:
            body["webhook_url"] = webhook_url
        opts = _options(extra_body, extra_headers, extra_query, timeout, max_retries)
        data, request_id = native.call("completions.submit", body, **opts)
        return Run(data, request_id, self._client)

    def retrieve(
        self,
        run_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> Run:
        """The run as it is now (``GET /v2/chat/completions/{id}``)."""
        opts = _options(None, extra_headers, extra_query, timeout, max_retries)
        data, request_id = self._client._live().call("completions.retrieve", {"id": run_id}, **opts)
        return Run(data, request_id, self._client)

    def wait(
        self,
        run: str | BaseRun,
        *,
        timeout: float | None = DEFAULT,
        poll_interval: float | None = None,
        on_status: Callable[[Run], object] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        request_timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> Run:
        """Polls a run (an id, or a Run) until it is final: returns it once ``succeeded``,
        raises ``RunFailedError`` (with ``.run``) once ``failed``.

        ``timeout``: seconds to wait in all (default 10 minutes; None: no limit). Past it,
        ``RunTimeoutError`` (an ``APITimeoutError``, ``kind="wait"``) carries the last run
        seen; the run itself goes on. ``poll_interval``: the first pause between polls
        (default 1 s), 1.5x longer after each poll up to 10 s, with jitter. Connection
        errors, 429 and 5xx answers are polled through until the deadline.
        ``on_status(run)`` is called with every status change seen (a Run passed in counts
        as seen). ``request_timeout`` and ``max_retries`` apply to each poll.
        """
        opts = _options(None, extra_headers, extra_query, request_timeout, max_retries)
        return _runs.wait(
            self._client, run, timeout=timeout, poll_interval=poll_interval, on_status=on_status, options=opts
        )

    def list(
        self,
        *,
        limit: int | None = None,
        prompt_id: str | None = None,
        prompt_version_id: str | None = None,
        prompt_application_id: str | None = None,
        cursor: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> RunPage:
        """A page of the workspace's runs, newest first (``GET /v1/completion-run``):
        ``limit`` 1 to 100 (server default 10), filtered by canvas (``prompt_id``), version
        or application. Iterating the page goes through every run, page after page."""
        given = {
            "limit": limit,
            "prompt_id": prompt_id,
            "prompt_version_id": prompt_version_id,
            "prompt_application_id": prompt_application_id,
            "cursor": cursor,
        }
        body = {k: v for k, v in given.items() if v is not None}
        opts = _options(None, extra_headers, extra_query, timeout, max_retries)
        return _runs.list_runs(self._client, body, opts)


class AsyncCompletions:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        canvas_id: str | None = None,
        version_id: str | None = None,
        application_id: str | None = None,
        environment_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        override: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        label: str | None = None,
        stream: Literal[False] = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> Completion: ...

    @overload
    async def create(
        self,
        *,
        canvas_id: str | None = None,
        version_id: str | None = None,
        application_id: str | None = None,
        environment_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        override: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        label: str | None = None,
        stream: Literal[True],
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> AsyncStream[CompletionChunk]: ...

    async def create(
        self,
        *,
        canvas_id: str | None = None,
        version_id: str | None = None,
        application_id: str | None = None,
        environment_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        override: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        label: str | None = None,
        stream: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> Completion | AsyncStream[CompletionChunk]:
        """Async twin of ``Client.completions.create``."""
        native = self._client._live()
        body = _body(
            canvas_id, version_id, application_id, environment_name, variables, messages, override, tags, label
        )
        opts = _options(extra_body, extra_headers, extra_query, timeout, max_retries)
        if stream:
            return AsyncStream(await native.astream("completions.create", body, **opts), CompletionChunk)
        data, request_id = await native.acall("completions.create", body, **opts)
        return Completion(data, request_id)

    async def batch(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 16,
        progress: bool = True,
        output: str | PathLike[str] | None = None,
        resume: bool = False,
        **defaults: Any,
    ) -> list[BatchResult[Completion]]:
        """Async twin of ``Client.completions.batch``; cancelling the awaiting task cancels
        the items in flight (the finished ones are already in ``output``)."""
        the_plan = _batch_plan(items, defaults, concurrency, output, resume)

        async def create(**item: Any) -> Completion:
            out: Completion = await self.create(**item)
            return out

        return await _batch.run_async(
            the_plan, create, concurrency=concurrency, progress=progress, output=output, usage=_usage
        )

    async def submit(
        self,
        *,
        canvas_id: str | None = None,
        version_id: str | None = None,
        application_id: str | None = None,
        environment_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        override: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        label: str | None = None,
        webhook_url: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> AsyncRun:
        """Async twin of ``Client.completions.submit``."""
        native = self._client._live()
        body = _body(
            canvas_id, version_id, application_id, environment_name, variables, messages, override, tags, label
        )
        if webhook_url is not None:
            body["webhook_url"] = webhook_url
        opts = _options(extra_body, extra_headers, extra_query, timeout, max_retries)
        data, request_id = await native.acall("completions.submit", body, **opts)
        return AsyncRun(data, request_id, self._client)

    async def retrieve(
        self,
        run_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> AsyncRun:
        """Async twin of ``Client.completions.retrieve``."""
        opts = _options(None, extra_headers, extra_query, timeout, max_retries)
        data, request_id = await self._client._live().acall("completions.retrieve", {"id": run_id}, **opts)
        return AsyncRun(data, request_id, self._client)

    async def wait(
        self,
        run: str | BaseRun,
        *,
        timeout: float | None = DEFAULT,
        poll_interval: float | None = None,
        on_status: Callable[[AsyncRun], object] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        request_timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> AsyncRun:
        """Async twin of ``Client.completions.wait``; ``on_status`` may be a coroutine
        function. Cancelling the awaiting task stops the polling."""
        opts = _options(None, extra_headers, extra_query, request_timeout, max_retries)
        return await _runs.wait_async(
            self._client, run, timeout=timeout, poll_interval=poll_interval, on_status=on_status, options=opts
        )

    async def list(
        self,
        *,
        limit: int | None = None,
        prompt_id: str | None = None,
        prompt_version_id: str | None = None,
        prompt_application_id: str | None = None,
        cursor: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> AsyncRunPage:
        """Async twin of ``Client.completions.list``; ``async for`` goes through every run."""
        given = {
            "limit": limit,
            "prompt_id": prompt_id,
            "prompt_version_id": prompt_version_id,
            "prompt_application_id": prompt_application_id,
            "cursor": cursor,
        }
        body = {k: v for k, v in given.items() if v is not None}
        opts = _options(None, extra_headers, extra_query, timeout, max_retries)
        return await _runs.list_runs_async(self._client, body, opts)
