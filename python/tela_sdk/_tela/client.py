"""``Client`` and ``AsyncClient``: the Tela API's two faces on one native core."""

from __future__ import annotations

from .._base import AsyncClientBase, SyncClient
from .._typing_lite import TYPE_CHECKING
from .canvases import AsyncCanvases, AsyncEnvironments, Canvases, Environments
from .completions import AsyncCompletions, Completions
from .files import AsyncFiles, Files
from .tasks import AsyncTasks, Tasks

if TYPE_CHECKING:
    from typing import Any

    from .raw import AsyncWithRawResponse, WithRawResponse

__all__ = ["Client", "AsyncClient"]


class Client(SyncClient):
    """The synchronous Tela client. Thread-safe: share one across threads.

    Reads ``TELA_API_KEY`` and ``TELA_BASE_URL`` when ``api_key``/``base_url`` are not given.
    """

    completions: Completions
    files: Files
    canvases: Canvases
    environments: Environments
    tasks: Tasks

    def _setup(self) -> None:
        self.completions = Completions(self)
        self.files = Files(self)
        self.canvases = Canvases(self)
        self.environments = Environments(self)
        #: Version specs fetched for ``check_variables``, by version id (and the version a
        #: canvas or environment resolved to): one fetch per version for this client object.
        self._variable_specs: dict[tuple[str, ...], Any] = {}
        self.tasks = Tasks(self)

    @property
    def with_raw_response(self) -> WithRawResponse:
        """The same calls, each returning a ``RawResponse``: ``status_code``, ``headers``,
        ``request_id`` and ``parse()`` (the usual result), e.g.
        ``client.with_raw_response.completions.create(canvas_id=...)``. Not for streams."""
        from .raw import WithRawResponse  # lazy: most code never needs it

        return WithRawResponse(self)


class AsyncClient(AsyncClientBase):
    """The asyncio Tela client: every call is awaited on the caller's event loop."""

    completions: AsyncCompletions
    files: AsyncFiles
    canvases: AsyncCanvases
    environments: AsyncEnvironments
    tasks: AsyncTasks

    def _setup(self) -> None:
        self.completions = AsyncCompletions(self)
        self.files = AsyncFiles(self)
        self.canvases = AsyncCanvases(self)
        self.environments = AsyncEnvironments(self)
        self._variable_specs: dict[tuple[str, ...], Any] = {}
        self.tasks = AsyncTasks(self)

    @property
    def with_raw_response(self) -> AsyncWithRawResponse:
        """The same calls, each awaited to a ``RawResponse`` (``status_code``, ``headers``,
        ``request_id``, ``parse()``). Not for streams."""
        from .raw import AsyncWithRawResponse

        return AsyncWithRawResponse(self)
