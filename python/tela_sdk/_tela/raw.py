"""``client.with_raw_response``: the Tela calls, each returning a ``RawResponse``. Each
method is the ordinary one of both faces, wrapped (``_raw.raw_method``): the parameters,
types and docs are the ordinary method's; one class serves the sync and the async face."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from .._raw import Async, RawFace, Sync, raw_method
from .canvases import AsyncCanvases, AsyncEnvironments, Canvases, Environments
from .completions import AsyncCompletions, Completions
from .files import AsyncFiles, Files
from .tasks import AsyncTasks, Tasks

if TYPE_CHECKING:
    from .client import AsyncClient, Client

__all__ = ["WithRawResponse", "AsyncWithRawResponse"]

_M = TypeVar("_M", Sync, Async)


class CompletionsWithRawResponse(RawFace[_M]):
    """``client.completions`` with each call's status and headers (no ``stream``)."""

    create = raw_method(Completions.create, AsyncCompletions.create)
    submit = raw_method(Completions.submit, AsyncCompletions.submit)
    retrieve = raw_method(Completions.retrieve, AsyncCompletions.retrieve)
    wait = raw_method(Completions.wait, AsyncCompletions.wait)
    list = raw_method(Completions.list, AsyncCompletions.list)


class FilesWithRawResponse(RawFace[_M]):
    """``client.files`` with each call's status and headers."""

    upload = raw_method(Files.upload, AsyncFiles.upload)
    retrieve = raw_method(Files.retrieve, AsyncFiles.retrieve)


class CanvasesWithRawResponse(RawFace[_M]):
    """``client.canvases`` with each call's status and headers."""

    get = raw_method(Canvases.get, AsyncCanvases.get)
    list = raw_method(Canvases.list, AsyncCanvases.list)
    promoted_version = raw_method(Canvases.promoted_version, AsyncCanvases.promoted_version)
    latest_version = raw_method(Canvases.latest_version, AsyncCanvases.latest_version)
    version = raw_method(Canvases.version, AsyncCanvases.version)
    history = raw_method(Canvases.history, AsyncCanvases.history)


class EnvironmentsWithRawResponse(RawFace[_M]):
    """``client.environments`` with each call's status and headers."""

    publish = raw_method(Environments.publish, AsyncEnvironments.publish)
    version = raw_method(Environments.version, AsyncEnvironments.version)


class TasksWithRawResponse(RawFace[_M]):
    """``client.tasks`` with each call's status and headers (``list`` gives its first page)."""

    create = raw_method(Tasks.create, AsyncTasks.create)
    get = raw_method(Tasks.get, AsyncTasks.get)
    list = raw_method(Tasks.list, AsyncTasks.list)
    query = raw_method(Tasks.query, AsyncTasks.query)
    update = raw_method(Tasks.update, AsyncTasks.update)
    approve = raw_method(Tasks.approve, AsyncTasks.approve)


class _WithRawResponse(RawFace[_M]):
    """``client.with_raw_response``: ``.completions`` and ``.files`` whose calls return a
    ``RawResponse`` (``status_code``, ``headers``, ``request_id``, ``parse()``), awaited on
    the async client."""

    def __init__(self, client: Client | AsyncClient) -> None:
        super().__init__(client)
        self.completions: CompletionsWithRawResponse[_M] = CompletionsWithRawResponse(client.completions)
        self.files: FilesWithRawResponse[_M] = FilesWithRawResponse(client.files)
        self.canvases: CanvasesWithRawResponse[_M] = CanvasesWithRawResponse(client.canvases)
        self.environments: EnvironmentsWithRawResponse[_M] = EnvironmentsWithRawResponse(client.environments)
        self.tasks: TasksWithRawResponse[_M] = TasksWithRawResponse(client.tasks)


WithRawResponse = _WithRawResponse[Sync]
AsyncWithRawResponse = _WithRawResponse[Async]
