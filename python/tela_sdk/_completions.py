"""``client.completions``: run canvases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from ._streaming import AsyncStream, Stream
from ._timeout import TimeoutTypes, timeout_arg
from .types import Completion, CompletionChunk

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
