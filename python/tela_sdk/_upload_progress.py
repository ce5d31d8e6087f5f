"""``files.upload(progress=...)``: what the core's throttled ``(sent, total)`` reports drive.

``progress=True`` shows a bar: tqdm's (``tqdm.auto``, a widget in notebooks) when tqdm is
installed, imported only then; else a line on stderr. A callable gets the reports itself.
"""

from __future__ import annotations

import sys

from ._exceptions import InvalidRequestError
from ._typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType
    from typing import Any

    #: Called as ``progress(sent_bytes, total_bytes)``: once with 0, about every 1% and at the
    #: end (``sent == total``); ``sent`` never goes back, also across a retried PUT. It runs on
    #: the thread driving the upload.
    ProgressCallback = Callable[[int, int], object]
    Progress = bool | ProgressCallback | None

__all__ = ["progress_option"]  # and, for type checkers, Progress and ProgressCallback


class _Bar:
    """The bar of one upload, made on the first report (when the total is known)."""

    def __init__(self, name: str | None) -> None:
        self.name = name or "upload"
        self.bar: Any = None
        self.line = False
        self.last = (-1, -1)
        try:
            import importlib  # lazy, as is tqdm: only a shown bar needs it, and only if installed

            self.tqdm: Any = importlib.import_module("tqdm.auto").tqdm
        except ImportError:
            self.tqdm = None

    def __call__(self, sent: int, total: int) -> None:
        self.last = (sent, total)
        if self.tqdm is not None:
            if self.bar is None:
                self.bar = self.tqdm(
                    total=total, desc=self.name, unit="B", unit_scale=True, unit_divisor=1024, dynamic_ncols=True
                )
            self.bar.update(sent - self.bar.n)
            return
        if sys.stderr.isatty():
            self.line = True
            print(f"\r{self.name}: {_size(sent)} / {_size(total)} ({_percent(sent, total)})", end="", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            return
        sent, total = self.last
        if self.line or sent >= 0:
            end = "\r" if self.line else ""
            print(f"{end}{self.name}: {_size(sent)} / {_size(total)} ({_percent(sent, total)})", file=sys.stderr)


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def _percent(sent: int, total: int) -> str:
    return f"{100 * sent // total if total else 100}%"


class _ProgressScope:
    """The extra call option of one upload; a bar made for it is closed when the call ends."""

    def __init__(self, option: dict[str, Any]) -> None:
        self.option = option

    def __enter__(self) -> dict[str, Any]:
        return self.option

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        bar = self.option.get("progress")
        if isinstance(bar, _Bar):
            bar.close()


def progress_option(progress: Progress, name: str | None) -> _ProgressScope:
    """The call option that reports an upload's progress (none for ``None``/``False``), as a
    ``with`` block: a bar made for ``True`` is closed when the call ends, also when it fails."""
    if progress is None or progress is False:
        return _ProgressScope({})
    if progress is True:
        return _ProgressScope({"progress": _Bar(name)})
    if callable(progress):
        return _ProgressScope({"progress": progress})
    raise InvalidRequestError(
        f"progress must be True, False, None or a callable (sent_bytes, total_bytes), got {type(progress).__name__}"
    )
