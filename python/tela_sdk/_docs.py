"""One text for the sync and async twin of a method: ``help()`` on an async method shows the
whole parameter list of its sync twin under its own first line, so the two never drift."""

from __future__ import annotations

from ._typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

__all__ = ["share"]

_MARK = "Async twin of"


def _clean(doc: str) -> str:
    """``inspect.cleandoc`` without importing inspect (``import tela_sdk`` stays cheap)."""
    lines = doc.expandtabs().splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents, default=0)
    return "\n".join([lines[0].strip(), *(line[margin:] for line in lines[1:])]).strip()


def share(async_cls: type, sync_cls: type) -> None:
    """Appends the sync twin's text to every ``async_cls`` method documented as "Async twin
    of ..." that has a same-named method on ``sync_cls``."""
    for name, method in vars(async_cls).items():
        doc: Any = getattr(method, "__doc__", None)
        twin = vars(sync_cls).get(name)
        if not isinstance(doc, str) or not doc.startswith(_MARK) or twin is None or not twin.__doc__:
            continue
        method.__doc__ = f"{_clean(doc)}\n\n{_clean(twin.__doc__)}"
