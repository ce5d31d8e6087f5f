"""``client.completions``: run canvases.

Each call's arguments are checked and turned into the core's op arguments once, in a
builder shared by both faces; ``Completions`` and ``AsyncCompletions`` only call and wrap.
"""

from __future__ import annotations

from .. import _docs
from .._base import (
    NOT_GIVEN,
    OPTION_NAMES,
    AsyncResource,
    NotGiven,
    RequestOptions,
    SyncResource,
    _watched,
    split_params,
)
from .._exceptions import InvalidRequestError
from .._typing_lite import TYPE_CHECKING, overload
from ..types import AsyncRun, AsyncTask, BaseRun, BaseTask, Completion, CompletionChunk, Run, Task
from . import runs
from .runs import AsyncRunPage, RunPage
from .streaming import AsyncStream, Stream

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from os import PathLike
    from typing import Any, Literal

    from typing_extensions import Unpack

    from .. import _batch
    from .._batch import BatchResult
    from .._timeout import TimeoutTypes
    from .client import AsyncClient, Client

__all__ = ["Completions", "AsyncCompletions"]


class RunParams(RequestOptions, total=False):
    """What ``create`` (and ``batch`` items) take besides ``stream``: what to run, its input,
    and the per-call options."""

    canvas_id: str | None
    version_id: str | None
    application_id: str | None
    environment_name: str | None
    variables: Mapping[str, Any] | None
    messages: Sequence[Mapping[str, Any]] | None
    override: Mapping[str, Any] | None
    tags: Sequence[str] | None
    label: str | None
    check_variables: bool | None


class SubmitParams(RunParams, total=False):
    """What ``submit`` takes: ``create``'s arguments, plus where Tela POSTs the finished run."""

    webhook_url: str | None


class AppSubmitParams(RequestOptions, total=False):
    """What ``submit(application_id=...)`` takes besides the application: the task's input
    and name (``label``), where Tela POSTs the result, and the per-call options."""

    variables: Mapping[str, Any] | None
    messages: Sequence[Mapping[str, Any]] | None
    override: Mapping[str, Any] | None
    tags: Sequence[str] | None
    label: str | None
    webhook_url: str | None


class CanvasSubmitParams(AppSubmitParams, total=False):
    """What ``submit`` takes to start a run (no ``application_id``: that starts a Task)."""

    canvas_id: str | None
    version_id: str | None
    application_id: None
    environment_name: str | None
    check_variables: bool | None


class ListParams(RequestOptions, total=False):
    """What ``list`` takes: the page size, filters, where to continue, and the per-call options."""

    limit: int | None
    prompt_id: str | None
    prompt_version_id: str | None
    prompt_application_id: str | None
    cursor: str | None


#: The op arguments of ``create``/``submit``/``list``; the rules about them live in the core.
_RUN_ARGS = frozenset(RunParams.__optional_keys__) - OPTION_NAMES
_SUBMIT_ARGS = frozenset(SubmitParams.__optional_keys__) - OPTION_NAMES
_LIST_ARGS = frozenset(ListParams.__optional_keys__) - OPTION_NAMES


#: What a batch item (or ``batch()``'s keywords) may give: ``create()``'s arguments but ``stream``.
_BATCH_ARGS = frozenset(RunParams.__optional_keys__)


def _batch_plan(
    items: Iterable[Mapping[str, Any]],
    defaults: Mapping[str, Any],
    concurrency: int,
    output: str | PathLike[str] | None,
    resume: bool,
) -> _batch.Plan[Completion]:
    from .. import _batch  # lazy: only batch runs need it, not `import tela_sdk`

    return _batch.plan(
        items,
        defaults,
        allowed=_BATCH_ARGS,
        concurrency=concurrency,
        output=output,
        resume=resume,
        decode=lambda record: Completion(record.get("completion") or {}, record.get("request_id")),
    )


def _checks(client: Client | AsyncClient, body: dict[str, Any]) -> bool:
    """Whether this call checks its variables first (its ``check_variables``, else the
    client's); takes the flag out of the op's arguments."""
    flag = body.pop("check_variables", None)
    if flag is None:
        return client._check_variables
    if flag is True or flag is False:
        return flag
    raise InvalidRequestError(f"check_variables must be True or False, got {type(flag).__name__}")


def _batch_bodies(
    the_plan: _batch.Plan[Completion], client: Client | AsyncClient
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The items of a batch that check their variables, as (index, op arguments); each is
    then marked checked, so the run does not check it again."""
    for i in the_plan.todo():
        item = the_plan.items[i]
        body = {k: v for k, v in item.items() if k in _RUN_ARGS and v is not None}
        if _checks(client, body):
            yield i, body
        item["check_variables"] = False


def _usage(completion: Completion) -> tuple[int, float]:
    usage = completion.usage
    return (usage.total_tokens or 0) if usage is not None else 0, 0.0


class Completions(SyncResource):
    _client: Client

    @overload
    def create(
        self,
        *,
        stream: Literal[False] = False,
        **params: Unpack[RunParams],
    ) -> Completion: ...

    @overload
    def create(
        self,
        *,
        stream: Literal[True],
        **params: Unpack[RunParams],
    ) -> Stream[CompletionChunk]: ...

    @overload
    def create(
        self,
        *,
        stream: bool,
        **params: Unpack[RunParams],
    ) -> Completion | Stream[CompletionChunk]: ...

    def create(
        self,
        *,
        stream: bool = False,
        **params: Unpack[RunParams],
    ) -> Completion | Stream[CompletionChunk]:
        """Runs a canvas and returns its answer (or, with ``stream=True``, a chunk stream).

        What to run, exactly one of:

        - ``canvas_id``: the canvas (its promoted version, or the one deployed to
          ``environment_name``, e.g. ``"production"``).
        - ``version_id``: one version of a canvas.
        - ``application_id``: a Workstation app (only through ``submit``; here it is refused).

        Its input:

        - ``variables``: the canvas's variables by name: text, numbers, bools, or files
          (``client.file(path)``, ``tela_sdk.File``, an uploaded file), or a list of files.
        - ``messages``: chat history appended after the prompt, ``{"role", "content"}`` each.
        - ``override``: per-call settings (``model``, ``temperature``, ``type``,
          ``structured_output``, ...).
        - ``tags`` and ``label``: how the run shows up in the Tela workspace.

        ``check_variables``: True fetches the spec of the version that will run (once per
        version and client) and raises ``InvalidRequestError`` before any upload or request
        when a required variable is missing, a name is unknown, or a file is given for text
        (or text for a file). Default: the client's ``check_variables`` (off).

        ``stream``: True returns a ``Stream`` of ``CompletionChunk`` (``.text()``,
        ``.final()``); False (the default) waits for the ``Completion``.

        Per-call options (all calls take them): ``extra_headers``, ``extra_query``,
        ``extra_body`` (merged into the JSON body), ``timeout`` (seconds or a ``Timeout``),
        ``max_retries``. The POST is retried only when the server cannot have started the run.

        Raises ``InvalidRequestError`` before sending for bad arguments, ``NotFoundError``
        (naming what was sent) for an unknown canvas or version, and the other ``APIError``
        classes by HTTP status.
        """
        body, options = split_params(params, _RUN_ARGS, "create")
        if _checks(self._client, body):
            from . import variables  # lazy: off by default

            variables.check(self._client, body)
        if stream:
            return Stream(self._stream("completions.create", body, options))
        return Completion(*self._call("completions.create", body, options))

    def batch(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 16,
        progress: bool = True,
        output: str | PathLike[str] | None = None,
        resume: bool = False,
        budget: float | None = None,
        **defaults: Any,
    ) -> list[BatchResult[Completion]]:
        """Runs ``create(**{**defaults, **item})`` for every one of ``items`` (each a dict of
        ``create()``'s arguments, ``**defaults`` filling what an item leaves out), at most
        ``concurrency`` at once, and returns one ``BatchResult`` per item in input order (``.ok``,
        ``.completion``, ``.error``): a failed item never fails the batch.

        ``progress`` shows done / failed / rate / ETA and tokens (tqdm when installed).
        ``output`` appends one JSON line per finished item (``index``, ``ok``, and the
        completion or the error); with ``resume=True`` the indices already in that file are
        skipped and their stored results returned. Bad items raise ``InvalidRequestError``
        before anything is sent; with ``check_variables`` (an item's, the keywords' or the
        client's) every item's variables are checked first too. Ctrl-C cancels the items in
        flight. With ``progress`` the batch's totals from ``client.usage`` (requests, attempts,
        tokens, cost, time) are printed at the end.

        ``budget``: no new item starts once the cost ``client.usage`` recorded since the batch
        started reaches it (items in flight finish); the items not started come back with
        ``started=False`` (and an ``error`` saying why), are written so to ``output``, and a
        later ``resume=True`` run starts them.
        """
        from .client import AsyncClient

        the_plan = _batch_plan(items, defaults, concurrency, output, resume)
        for i, body in _batch_bodies(the_plan, self._client):
            from . import variables

            try:
                variables.check(self._client, body)
            except InvalidRequestError as e:
                raise InvalidRequestError(f"items[{i}]: {e}") from None
        copy = AsyncClient._wrap(self._client._live())
        copy._observe = self._client._observe  # its hooks and providers
        completions = copy.completions
        from .. import _batch

        return _batch.run_sync(lambda: completions._run_batch(the_plan, concurrency, progress, output, budget))

    @overload
    def submit(self, **params: Unpack[CanvasSubmitParams]) -> Run: ...
    @overload
    def submit(self, *, application_id: str, **params: Unpack[AppSubmitParams]) -> Task: ...
    def submit(self, **params: Unpack[SubmitParams]) -> Run | Task:
        """Starts a run without waiting for it and returns it: ``status`` is ``created``.
        ``run.wait()`` polls until the run is done. With ``application_id`` it starts a
        Workstation task and returns a ``Task`` (``status`` ``running``) whose ``wait()``
        polls ``GET /task/{id}``.

        Takes what ``create`` takes (exactly one of ``canvas_id`` with an optional
        ``environment_name``, ``version_id`` or ``application_id``; then ``variables``,
        ``messages``, ``override``, ``tags``, ``label``, and the per-call options), plus
        ``webhook_url``: where Tela POSTs the finished run (read it with
        ``tela_sdk.webhooks.parse``). Like ``create``, the POST is retried only when the
        server cannot have started the run. ``check_variables`` as for ``create`` (an
        application's run is not checked: which version it runs is not documented).
        """
        body, options = split_params(params, _SUBMIT_ARGS, "submit")
        if _checks(self._client, body):
            from . import variables

            variables.check(self._client, body)
        if body.get("application_id") is not None:
            return Task(*self._call("completions.submit", body, options), self._client)
        return Run(*self._call("completions.submit", body, options), self._client)

    def _wait_task(self, task: BaseTask, timeout: float | NotGiven | None, poll_interval: float | None) -> Task:
        return runs.wait_task(self, task, runs.task_wait_body(task, timeout, poll_interval))

    def retrieve(self, run_id: str, **options: Unpack[RequestOptions]) -> Run:
        """The run ``run_id`` as it is now (``GET /v2/chat/completions/{id}``); a 404 raises
        ``NotFoundError`` naming the id. Takes the per-call options (``extra_headers``,
        ``extra_query``, ``timeout``, ``max_retries``)."""
        return Run(*self._call("completions.retrieve", {"id": run_id}, options), self._client)

    def wait(
        self,
        run: str | BaseRun,
        *,
        timeout: float | NotGiven | None = NOT_GIVEN,
        poll_interval: float | None = None,
        on_status: Callable[[Run], object] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        request_timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> Run:
        """Polls ``run`` (an id, or a Run) until it is final: returns it once ``succeeded``,
        raises ``RunFailedError`` (with ``.run``) once ``failed``.

        ``timeout``: seconds to wait in all (default 10 minutes; None: no limit). Past it,
        ``RunTimeoutError`` (an ``APITimeoutError``, ``kind="wait"``) carries the last run
        seen; the run itself goes on. ``poll_interval``: the first pause between polls
        (default 1 s), 1.5x longer after each poll up to 10 s, with jitter. Connection
        errors, 429 and 5xx answers are polled through until the deadline.
        ``on_status(run)`` is called with every status change seen (a Run passed in counts
        as seen). ``request_timeout`` and ``max_retries`` apply to each poll, as do
        ``extra_headers`` and ``extra_query``.
        """
        args = runs.wait_args(run, timeout, poll_interval, extra_headers, extra_query, request_timeout, max_retries)
        return runs.wait(self, run, on_status, *args)

    def list(self, **params: Unpack[ListParams]) -> RunPage:
        """A page of the workspace's runs, newest first (``GET /v1/completion-run``):
        ``limit`` 1 to 100 (server default 10), filtered by canvas (``prompt_id``), version
        (``prompt_version_id``) or application (``prompt_application_id``); ``cursor``
        continues from an earlier page's ``next_cursor``. Iterating the page goes through
        every run, page after page. Takes the per-call options."""
        return self._page(*split_params(params, _LIST_ARGS, "list"))

    def _page(self, body: dict[str, Any], options: dict[str, Any]) -> RunPage:
        """One page of ``completions.list``; its next page is asked with the same arguments."""
        fetch = lambda cursor: self._page({**body, "cursor": cursor}, options)  # noqa: E731
        return RunPage(*self._call("completions.list", body, options), self._client, fetch)


class AsyncCompletions(AsyncResource):
    _client: AsyncClient

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] = False,
        **params: Unpack[RunParams],
    ) -> Completion: ...

    @overload
    async def create(
        self,
        *,
        stream: Literal[True],
        **params: Unpack[RunParams],
    ) -> AsyncStream[CompletionChunk]: ...

    @overload
    async def create(
        self,
        *,
        stream: bool,
        **params: Unpack[RunParams],
    ) -> Completion | AsyncStream[CompletionChunk]: ...

    async def create(
        self,
        *,
        stream: bool = False,
        **params: Unpack[RunParams],
    ) -> Completion | AsyncStream[CompletionChunk]:
        """Async twin of ``Client.completions.create``: awaits the answer, or an ``AsyncStream``."""
        body, options = split_params(params, _RUN_ARGS, "create")
        if _checks(self._client, body):
            from . import variables

            await variables.acheck(self._client, body)
        if stream:
            return AsyncStream(await self._stream("completions.create", body, options))
        return Completion(*await self._call("completions.create", body, options))

    async def batch(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 16,
        progress: bool = True,
        output: str | PathLike[str] | None = None,
        resume: bool = False,
        budget: float | None = None,
        **defaults: Any,
    ) -> list[BatchResult[Completion]]:
        """Async twin of ``Client.completions.batch``; cancelling the awaiting task cancels
        the items in flight (the finished ones are already in ``output``)."""
        the_plan = _batch_plan(items, defaults, concurrency, output, resume)
        for i, body in _batch_bodies(the_plan, self._client):
            from . import variables

            try:
                await variables.acheck(self._client, body)
            except InvalidRequestError as e:
                raise InvalidRequestError(f"items[{i}]: {e}") from None
        return await self._run_batch(the_plan, concurrency, progress, output, budget)

    async def _run_batch(
        self,
        the_plan: _batch.Plan[Completion],
        concurrency: int,
        progress: bool,
        output: str | PathLike[str] | None,
        budget: float | None = None,
    ) -> list[BatchResult[Completion]]:
        """The batch both faces run: the sync one on a private loop, with a copy of its client."""

        async def create(**item: Any) -> Completion:
            out: Completion = await self.create(**item)
            return out

        from contextlib import AbstractContextManager, nullcontext

        from .. import _batch
        from .._usage import Usage

        native = self._client._live()
        span: AbstractContextManager[object] = nullcontext()
        if _watched(self._client):  # one parent span over the items
            from ..observability import batch_span

            span = batch_span(self._client, len(the_plan.items), concurrency)
        with span:
            return await _batch.run_async(
                the_plan,
                create,
                concurrency=concurrency,
                progress=progress,
                output=output,
                usage=_usage,
                ledger=lambda: Usage(native),
                budget=budget,
            )

    @overload
    async def submit(self, **params: Unpack[CanvasSubmitParams]) -> AsyncRun: ...
    @overload
    async def submit(self, *, application_id: str, **params: Unpack[AppSubmitParams]) -> AsyncTask: ...
    async def submit(self, **params: Unpack[SubmitParams]) -> AsyncRun | AsyncTask:
        """Async twin of ``Client.completions.submit``."""
        body, options = split_params(params, _SUBMIT_ARGS, "submit")
        if _checks(self._client, body):
            from . import variables

            await variables.acheck(self._client, body)
        if body.get("application_id") is not None:
            return AsyncTask(*await self._call("completions.submit", body, options), self._client)
        return AsyncRun(*await self._call("completions.submit", body, options), self._client)

    async def _wait_task(
        self, task: BaseTask, timeout: float | NotGiven | None, poll_interval: float | None
    ) -> AsyncTask:
        return await runs.wait_task_async(self, task, runs.task_wait_body(task, timeout, poll_interval))

    async def retrieve(self, run_id: str, **options: Unpack[RequestOptions]) -> AsyncRun:
        """Async twin of ``Client.completions.retrieve``."""
        return AsyncRun(*await self._call("completions.retrieve", {"id": run_id}, options), self._client)

    async def wait(
        self,
        run: str | BaseRun,
        *,
        timeout: float | NotGiven | None = NOT_GIVEN,
        poll_interval: float | None = None,
        on_status: Callable[[AsyncRun], object] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        request_timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> AsyncRun:
        """Async twin of ``Client.completions.wait``; ``on_status`` may be a coroutine
        function. Cancelling the awaiting task stops the polling."""
        args = runs.wait_args(run, timeout, poll_interval, extra_headers, extra_query, request_timeout, max_retries)
        return await runs.wait_async(self, run, on_status, *args)

    async def list(self, **params: Unpack[ListParams]) -> AsyncRunPage:
        """Async twin of ``Client.completions.list``; ``async for`` goes through every run."""
        return await self._page(*split_params(params, _LIST_ARGS, "list"))

    async def _page(self, body: dict[str, Any], options: dict[str, Any]) -> AsyncRunPage:
        fetch = lambda cursor: self._page({**body, "cursor": cursor}, options)  # noqa: E731
        return AsyncRunPage(*await self._call("completions.list", body, options), self._client, fetch)


_docs.share(AsyncCompletions, Completions)
