"""``Client`` and ``AsyncClient``: the Tela API's two faces on one native core."""

from __future__ import annotations

from .._base import AsyncClientBase, SyncClient
from .completions import AsyncCompletions, Completions
from .files import AsyncFiles, Files

__all__ = ["Client", "AsyncClient"]


class Client(SyncClient):
    """The synchronous Tela client. Thread-safe: share one across threads.

    Reads ``TELA_API_KEY`` and ``TELA_BASE_URL`` when ``api_key``/``base_url`` are not given.
    """

    completions: Completions
    files: Files

    def _setup(self) -> None:
        self.completions = Completions(self)
        self.files = Files(self)


class AsyncClient(AsyncClientBase):
    """The asyncio Tela client: every call is awaited on the caller's event loop."""

    completions: AsyncCompletions
    files: AsyncFiles

    def _setup(self) -> None:
        self.completions = AsyncCompletions(self)
        self.files = AsyncFiles(self)
