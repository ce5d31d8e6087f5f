"""``client.with_raw_response``: the Tela calls, each returning a ``RawResponse`` (the
parameters, types and docs are the ordinary method's: see ``_raw.raw_wrapper``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._raw import async_raw_wrapper, raw_wrapper

if TYPE_CHECKING:
    from .client import AsyncClient, Client
    from .completions import AsyncCompletions, Completions
    from .files import AsyncFiles, Files

__all__ = ["WithRawResponse", "AsyncWithRawResponse"]


class CompletionsWithRawResponse:
    """``client.completions`` with each call's status and headers (no ``stream``)."""

    def __init__(self, completions: Completions) -> None:
        self.create = raw_wrapper(completions.create)
        self.submit = raw_wrapper(completions.submit)
        self.retrieve = raw_wrapper(completions.retrieve)
        self.wait = raw_wrapper(completions.wait)
        self.list = raw_wrapper(completions.list)


class FilesWithRawResponse:
    """``client.files`` with each call's status and headers."""

    def __init__(self, files: Files) -> None:
        self.upload = raw_wrapper(files.upload)
        self.retrieve = raw_wrapper(files.retrieve)


class WithRawResponse:
    """``client.with_raw_response``: ``.completions`` and ``.files`` whose calls return a
    ``RawResponse`` (``status_code``, ``headers``, ``request_id``, ``parse()``)."""

    def __init__(self, client: Client) -> None:
        self.completions = CompletionsWithRawResponse(client.completions)
        self.files = FilesWithRawResponse(client.files)


class AsyncCompletionsWithRawResponse:
    """Async twin of ``CompletionsWithRawResponse``."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = async_raw_wrapper(completions.create)
        self.submit = async_raw_wrapper(completions.submit)
        self.retrieve = async_raw_wrapper(completions.retrieve)
        self.wait = async_raw_wrapper(completions.wait)
        self.list = async_raw_wrapper(completions.list)


class AsyncFilesWithRawResponse:
    """Async twin of ``FilesWithRawResponse``."""

    def __init__(self, files: AsyncFiles) -> None:
        self.upload = async_raw_wrapper(files.upload)
        self.retrieve = async_raw_wrapper(files.retrieve)


class AsyncWithRawResponse:
    """``async_client.with_raw_response``: awaited calls returning a ``RawResponse``."""

    def __init__(self, client: AsyncClient) -> None:
        self.completions = AsyncCompletionsWithRawResponse(client.completions)
        self.files = AsyncFilesWithRawResponse(client.files)
