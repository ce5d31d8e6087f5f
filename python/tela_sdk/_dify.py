"""``DifyClient`` and ``AsyncDifyClient``: Dify's service API on the same native core.

    from tela_sdk import DifyClient
    dify = DifyClient()                              # DIFY_API_KEY / DIFY_BASE_URL
    out = dify.completion_messages.create(inputs={"query": "Hi"}, user="user-1")
    print(out.answer, out.usage.total_price)

Timeouts, retries, proxies, errors and key masking work as for ``Client``; request rules
(``user`` required, file references, ``response_mode``) are checked in the core before
anything is sent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import IO, TYPE_CHECKING, Any, Literal, Union, overload

from ._client import _AsyncClient, _BaseClient, _SyncClient
from ._completions import _options
from ._dify_streaming import AsyncDifyStream, DifyStream
from ._exceptions import InvalidRequestError
from ._files import File, _disk_path, _stream_name
from ._timeout import TimeoutTypes
from .dify_types import (
    DifyAppInfo,
    DifyChatCompletion,
    DifyCompletion,
    DifyMeta,
    DifyParameters,
    DifyResult,
    DifyUploadedFile,
)

if TYPE_CHECKING:
    from ._native import NativeClient

__all__ = ["DifyClient", "AsyncDifyClient", "DifyFileInput", "UploadInput"]

#: A file reference for ``files=[...]``: an upload result, a dict (``{"type", "url"}`` or
#: ``{"type", "upload_file_id"}``), or ``tela_sdk.File("https://...")``.
DifyFileInput = DifyUploadedFile | Mapping[str, Any] | File
#: What ``files.upload`` takes: a path, bytes (with ``filename=``), a binary file object, or a ``File``.
UploadInput = Union[str, "PathLike[str]", bytes, bytearray, memoryview, IO[bytes], File]

_UNSET: Any = object()


def _given(**fields: Any) -> dict[str, Any]:
    """The arguments that were given; the rules about them live in the native core."""
    return {k: v for k, v in fields.items() if v is not None}


def _file_ref(item: Any) -> Any:
    """``File("https://...")`` becomes a ``remote_url`` reference; everything else goes as given."""
    if isinstance(item, File):
        url = item.url
        if url is None or not url.startswith(("https://", "http://")):
            raise InvalidRequestError(
                "files=[...] takes web URLs and uploaded files; upload a local File first with "
                "files.upload(...) and pass its result."
            )
        return {"url": url}
    return item


def _inputs(inputs: Mapping[str, Any] | None) -> Any:
    """File values of file variables: ``File("https://...")`` becomes a remote reference."""
    if not isinstance(inputs, Mapping):
        return inputs
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, File):
            value = {"transfer_method": "remote_url", **_file_ref(value)}
        elif isinstance(value, list) and any(isinstance(v, File) for v in value):
            value = [{"transfer_method": "remote_url", **_file_ref(v)} if isinstance(v, File) else v for v in value]
        out[name] = value
    return out


def _files(files: Sequence[DifyFileInput] | None) -> Any:
    if files is None or isinstance(files, (str, bytes, Mapping, DifyUploadedFile, File)):
        return files  # the core names the mistake
    return [_file_ref(f) for f in files]


def _upload_body(file: UploadInput, user: str | None, filename: str | None, mime_type: str | None) -> dict[str, Any]:
    """Where the upload's bytes come from: a path is streamed from disk by the core; bytes and
    file objects without a path on disk are sent from memory."""
    import base64  # lazy: not needed to import tela_sdk

    body: dict[str, Any] = _given(user=user, filename=filename, mime_type=mime_type)
    if isinstance(file, File):
        body["file"] = file  # opened and streamed by the core (name and MIME type from the File)
        return body
    if isinstance(file, str):
        body["path"] = file
    elif isinstance(file, PathLike):
        body["path"] = os.fsdecode(os.fspath(file))
    elif isinstance(file, (bytes, bytearray, memoryview)):
        body["data_base64"] = base64.b64encode(file).decode("ascii")
    elif callable(getattr(file, "read", None)):
        path = _disk_path(file)
        if path is not None:
            body["path"] = path  # a file on disk: streamed by the core, not read here
        else:
            data = file.read()
            if not isinstance(data, (bytes, bytearray)):
                raise InvalidRequestError("files.upload(...) needs bytes: open the file in binary mode ('rb').")
            body["data_base64"] = base64.b64encode(data).decode("ascii")
            name = _stream_name(file)
            if name is not None and "filename" not in body:
                body["filename"] = name
    else:
        raise InvalidRequestError(
            "files.upload(...) takes a path (str or PathLike), bytes with filename=..., a binary file "
            f"object or a tela_sdk.File; got {type(file).__name__}."
        )
    return body


def _feedback_body(message_id: str, rating: Any, user: str | None, content: str | None) -> dict[str, Any]:
    body: dict[str, Any] = _given(message_id=message_id, user=user, content=content)
    if rating is not _UNSET:
        body["rating"] = rating  # None is meaningful: it revokes
    return body


class _Resource:
    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    def _native(self) -> NativeClient:
        return self._client._live()


class DifyCompletionMessages(_Resource):
    """``POST /completion-messages`` of a completion (text generator) app."""

    @overload
    def create(
        self,
        *,
        inputs: Mapping[str, Any] | None = None,
        user: str | None = None,
        query: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        stream: Literal[False] = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyCompletion: ...

    @overload
    def create(
        self,
        *,
        inputs: Mapping[str, Any] | None = None,
        user: str | None = None,
        query: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        stream: Literal[True],
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyStream: ...

    def create(
        self,
        *,
        inputs: Mapping[str, Any] | None = None,
        user: str | None = None,
        query: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        stream: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyCompletion | DifyStream:
        """Runs the app and returns its answer (or, with ``stream=True``, a stream of typed
        events).

        ``inputs`` are the app's variables (``parameters().input_fields``); ``user`` is your
        end user's id and is required. ``files`` takes upload results, ``{"type", "url"}``
        dicts or ``File("https://...")``. The POST is retried only when the app cannot have
        started (connection refused, 429).
        """
        native = self._native()
        body = _given(inputs=_inputs(inputs), query=query, user=user, files=_files(files))
        opts = _options(extra_body, extra_headers, extra_query, timeout, max_retries)
        if stream:
            return DifyStream(native.stream("dify.completion_messages.create", body, **opts))
        data, request_id = native.call("dify.completion_messages.create", body, **opts)
        return DifyCompletion(data, request_id)

    def stop(
        self,
        task_id: str,
        *,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyResult:
        """Stops a streaming answer (``stream.task_id``); the stream then ends with
        ``message_end``. Pass the same ``user`` as the answer: Dify ignores a stop from
        another user and still answers success."""
        data, request_id = self._native().call(
            "dify.completion_messages.stop",
            _given(task_id=task_id, user=user),
            **_options(None, extra_headers, extra_query, timeout, max_retries),
        )
        return DifyResult(data, request_id)


class DifyChatMessages(_Resource):
    """``POST /chat-messages`` of a chat, agent or chatflow app."""

    @overload
    def create(
        self,
        *,
        query: str | None = None,
        user: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        auto_generate_name: bool | None = None,
        workflow_id: str | None = None,
        stream: Literal[False] = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyChatCompletion: ...

    @overload
    def create(
        self,
        *,
        query: str | None = None,
        user: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        auto_generate_name: bool | None = None,
        workflow_id: str | None = None,
        stream: Literal[True],
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyStream: ...

    def create(
        self,
        *,
        query: str | None = None,
        user: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        auto_generate_name: bool | None = None,
        workflow_id: str | None = None,
        stream: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyChatCompletion | DifyStream:
        """Sends the user's message ``query`` and returns the answer (or a stream).
        Leave ``conversation_id`` out to start a conversation; pass the answer's
        ``conversation_id`` to continue it. Agent apps answer only with ``stream=True``."""
        native = self._native()
        body = _given(
            inputs=_inputs(inputs),
            query=query,
            user=user,
            conversation_id=conversation_id,
            files=_files(files),
            auto_generate_name=auto_generate_name,
            workflow_id=workflow_id,
        )
        opts = _options(extra_body, extra_headers, extra_query, timeout, max_retries)
        if stream:
            return DifyStream(native.stream("dify.chat_messages.create", body, **opts))
        data, request_id = native.call("dify.chat_messages.create", body, **opts)
        return DifyChatCompletion(data, request_id)

    def stop(
        self,
        task_id: str,
        *,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyResult:
        """Stops a streaming chat answer (same rules as ``completion_messages.stop``)."""
        data, request_id = self._native().call(
            "dify.chat_messages.stop",
            _given(task_id=task_id, user=user),
            **_options(None, extra_headers, extra_query, timeout, max_retries),
        )
        return DifyResult(data, request_id)


class DifyFiles(_Resource):
    """``POST /files/upload``."""

    def upload(
        self,
        file: UploadInput,
        *,
        user: str | None = None,
        filename: str | None = None,
        mime_type: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyUploadedFile:
        """Uploads one file for ``user`` (only that user can use it) and returns its record;
        pass the record in ``files=[...]``. A path is streamed from disk (multipart); bytes
        need ``filename=``. ``mime_type`` defaults to a guess from the filename."""
        data, request_id = self._native().call(
            "dify.files.upload",
            _upload_body(file, user, filename, mime_type),
            **_options(extra_body, extra_headers, extra_query, timeout, max_retries),
        )
        return DifyUploadedFile(data, request_id)


class DifyMessages(_Resource):
    """``POST /messages/{message_id}/feedbacks``."""

    def feedback(
        self,
        message_id: str,
        *,
        rating: Literal["like", "dislike"] | None = _UNSET,
        user: str | None = None,
        content: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyResult:
        """Rates an answer: ``rating="like"`` or ``"dislike"`` (with optional ``content``),
        or ``rating=None`` to revoke an earlier rating."""
        data, request_id = self._native().call(
            "dify.messages.feedback",
            _feedback_body(message_id, rating, user, content),
            **_options(None, extra_headers, extra_query, timeout, max_retries),
        )
        return DifyResult(data, request_id)


class AsyncDifyCompletionMessages(_Resource):
    """Async twin of ``DifyClient.completion_messages``."""

    @overload
    async def create(
        self,
        *,
        inputs: Mapping[str, Any] | None = None,
        user: str | None = None,
        query: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        stream: Literal[False] = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyCompletion: ...

    @overload
    async def create(
        self,
        *,
        inputs: Mapping[str, Any] | None = None,
        user: str | None = None,
        query: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        stream: Literal[True],
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> AsyncDifyStream: ...

    async def create(
        self,
        *,
        inputs: Mapping[str, Any] | None = None,
        user: str | None = None,
        query: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        stream: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyCompletion | AsyncDifyStream:
        """Async twin of ``DifyClient.completion_messages.create``."""
        native = self._native()
        body = _given(inputs=_inputs(inputs), query=query, user=user, files=_files(files))
        opts = _options(extra_body, extra_headers, extra_query, timeout, max_retries)
        if stream:
            return AsyncDifyStream(await native.astream("dify.completion_messages.create", body, **opts))
        data, request_id = await native.acall("dify.completion_messages.create", body, **opts)
        return DifyCompletion(data, request_id)

    async def stop(
        self,
        task_id: str,
        *,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyResult:
        """Async twin of ``DifyClient.completion_messages.stop``."""
        data, request_id = await self._native().acall(
            "dify.completion_messages.stop",
            _given(task_id=task_id, user=user),
            **_options(None, extra_headers, extra_query, timeout, max_retries),
        )
        return DifyResult(data, request_id)


class AsyncDifyChatMessages(_Resource):
    """Async twin of ``DifyClient.chat_messages``."""

    @overload
    async def create(
        self,
        *,
        query: str | None = None,
        user: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        auto_generate_name: bool | None = None,
        workflow_id: str | None = None,
        stream: Literal[False] = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        query: str | None = None,
        user: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        auto_generate_name: bool | None = None,
        workflow_id: str | None = None,
        stream: Literal[True],
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> AsyncDifyStream: ...

    async def create(
        self,
        *,
        query: str | None = None,
        user: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        files: Sequence[DifyFileInput] | None = None,
        auto_generate_name: bool | None = None,
        workflow_id: str | None = None,
        stream: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyChatCompletion | AsyncDifyStream:
        """Async twin of ``DifyClient.chat_messages.create``."""
        native = self._native()
        body = _given(
            inputs=_inputs(inputs),
            query=query,
            user=user,
            conversation_id=conversation_id,
            files=_files(files),
            auto_generate_name=auto_generate_name,
            workflow_id=workflow_id,
        )
        opts = _options(extra_body, extra_headers, extra_query, timeout, max_retries)
        if stream:
            return AsyncDifyStream(await native.astream("dify.chat_messages.create", body, **opts))
        data, request_id = await native.acall("dify.chat_messages.create", body, **opts)
        return DifyChatCompletion(data, request_id)

    async def stop(
        self,
        task_id: str,
        *,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyResult:
        """Async twin of ``DifyClient.chat_messages.stop``."""
        data, request_id = await self._native().acall(
            "dify.chat_messages.stop",
            _given(task_id=task_id, user=user),
            **_options(None, extra_headers, extra_query, timeout, max_retries),
        )
        return DifyResult(data, request_id)


class AsyncDifyFiles(_Resource):
    """Async twin of ``DifyClient.files``."""

    async def upload(
        self,
        file: UploadInput,
        *,
        user: str | None = None,
        filename: str | None = None,
        mime_type: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyUploadedFile:
        """Async twin of ``DifyClient.files.upload`` (a path is streamed from disk by the core,
        off the event loop)."""
        data, request_id = await self._native().acall(
            "dify.files.upload",
            _upload_body(file, user, filename, mime_type),
            **_options(extra_body, extra_headers, extra_query, timeout, max_retries),
        )
        return DifyUploadedFile(data, request_id)


class AsyncDifyMessages(_Resource):
    """Async twin of ``DifyClient.messages``."""

    async def feedback(
        self,
        message_id: str,
        *,
        rating: Literal["like", "dislike"] | None = _UNSET,
        user: str | None = None,
        content: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyResult:
        """Async twin of ``DifyClient.messages.feedback``."""
        data, request_id = await self._native().acall(
            "dify.messages.feedback",
            _feedback_body(message_id, rating, user, content),
            **_options(None, extra_headers, extra_query, timeout, max_retries),
        )
        return DifyResult(data, request_id)


def _info_args(
    user: str | None,
    extra_headers: Mapping[str, str] | None,
    extra_query: Mapping[str, str] | None,
    timeout: TimeoutTypes,
    max_retries: int | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    return _given(user=user), _options(None, extra_headers, extra_query, timeout, max_retries)


class _DifyBase(_BaseClient):
    _api = "dify"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        proxy: str | None = None,
        ca_bundle: str | PathLike[str] | None = None,
        max_event_bytes: int | None = None,
        trust_env: bool = True,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            proxy=proxy,
            ca_bundle=ca_bundle,
            max_event_bytes=max_event_bytes,
            trust_env=trust_env,
        )


class DifyClient(_DifyBase, _SyncClient):
    """The synchronous Dify client for one app (its API key, ``app-...``). Thread-safe.

    Reads ``DIFY_API_KEY`` and ``DIFY_BASE_URL`` when ``api_key``/``base_url`` are not
    given; the default base is ``https://api.dify.ai/v1``, and a self-hosted base keeps its
    path (``https://dify.example.com/v1``).
    """

    completion_messages: DifyCompletionMessages
    chat_messages: DifyChatMessages
    files: DifyFiles
    messages: DifyMessages

    def _setup(self) -> None:
        self.completion_messages = DifyCompletionMessages(self)
        self.chat_messages = DifyChatMessages(self)
        self.files = DifyFiles(self)
        self.messages = DifyMessages(self)

    def parameters(
        self,
        *,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyParameters:
        """The app's input form (``input_fields``), features and upload limits."""
        body, opts = _info_args(user, extra_headers, extra_query, timeout, max_retries)
        data, request_id = self._live().call("dify.parameters", body, **opts)
        return DifyParameters(data, request_id)

    def meta(
        self,
        *,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyMeta:
        """The icons of the app's tools."""
        body, opts = _info_args(user, extra_headers, extra_query, timeout, max_retries)
        data, request_id = self._live().call("dify.meta", body, **opts)
        return DifyMeta(data, request_id)

    def info(
        self,
        *,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyAppInfo:
        """The app's name, description, tags and mode."""
        body, opts = _info_args(user, extra_headers, extra_query, timeout, max_retries)
        data, request_id = self._live().call("dify.info", body, **opts)
        return DifyAppInfo(data, request_id)


class AsyncDifyClient(_DifyBase, _AsyncClient):
    """The asyncio Dify client: every call is awaited on the caller's event loop."""

    completion_messages: AsyncDifyCompletionMessages
    chat_messages: AsyncDifyChatMessages
    files: AsyncDifyFiles
    messages: AsyncDifyMessages

    def _setup(self) -> None:
        self.completion_messages = AsyncDifyCompletionMessages(self)
        self.chat_messages = AsyncDifyChatMessages(self)
        self.files = AsyncDifyFiles(self)
        self.messages = AsyncDifyMessages(self)

    async def parameters(
        self,
        *,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyParameters:
        """Async twin of ``DifyClient.parameters``."""
        body, opts = _info_args(user, extra_headers, extra_query, timeout, max_retries)
        data, request_id = await self._live().acall("dify.parameters", body, **opts)
        return DifyParameters(data, request_id)

    async def meta(
        self,
        *,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyMeta:
        """Async twin of ``DifyClient.meta``."""
        body, opts = _info_args(user, extra_headers, extra_query, timeout, max_retries)
        data, request_id = await self._live().acall("dify.meta", body, **opts)
        return DifyMeta(data, request_id)

    async def info(
        self,
        *,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> DifyAppInfo:
        """Async twin of ``DifyClient.info``."""
        body, opts = _info_args(user, extra_headers, extra_query, timeout, max_retries)
        data, request_id = await self._live().acall("dify.info", body, **opts)
        return DifyAppInfo(data, request_id)
