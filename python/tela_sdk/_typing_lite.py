"""The few ``typing`` names the package needs at run time, without ``import typing``.

``typing``, with the ``re``, ``enum``, ``collections`` and ``functools`` it imports, would be
about half of what ``import tela_sdk`` costs. Type checkers read the real names (the first
branch); at run time the stand-ins do what the package asks of them: generic classes stay
subscriptable (``Stream[CompletionChunk]`` in an annotation that FastAPI evaluates),
TypedDicts keep their key sets, ``@overload`` stubs are dropped. Annotations are strings
(``from __future__ import annotations``), so everything else comes from ``typing`` under
``if TYPE_CHECKING:`` only. The modules a user imports on purpose (batch runs, webhooks,
the Dify types, testing) use ``typing`` itself.
"""

from __future__ import annotations

import sys

#: What ``typing.TYPE_CHECKING`` is; type checkers treat any name spelt so as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Generic as Generic
    from typing import Protocol as Protocol
    from typing import TypedDict as TypedDict
    from typing import TypeVar as TypeVar
    from typing import overload as overload


def own_annotations(klass: type) -> dict[str, object]:
    """The annotations ``klass`` itself declares, unevaluated (``inspect.get_annotations``
    without importing inspect, which alone pulls in ast, dis, enum, tokenize and more)."""
    if sys.version_info >= (3, 14):  # annotations may be deferred: ask annotationlib
        import annotationlib

        return dict(annotationlib.get_annotations(klass))
    ann = klass.__dict__.get("__annotations__")  # noqa: RUF063 - what inspect.get_annotations does, without importing inspect
    return dict(ann) if isinstance(ann, dict) else {}


if not TYPE_CHECKING:
    _GenericAlias = type(list[int])

    def TypeVar(name, *constraints, bound=None, covariant=False, contravariant=False):
        """A type variable is only read by type checkers: its name is enough."""
        return name

    def overload(func):
        """The implementation that follows each group of stubs is what runs."""
        return func

    class Generic:
        """Base of the package's generic classes (``Generic[T]`` and ``Protocol`` alike):
        ``Cls[X]`` is a ``types.GenericAlias``, which ``typing.get_origin`` and evaluated
        annotations understand."""

        __slots__ = ()

        def __class_getitem__(cls, params):
            return _GenericAlias(cls, params)

    Protocol = Generic

    class TypedDict(dict):
        """A TypedDict base that keeps what the package reads at run time: each class's
        ``__required_keys__`` and ``__optional_keys__``. Calling one builds a dict."""

        def __init_subclass__(cls, total=True, **kwargs):
            super().__init_subclass__(**kwargs)
            required, optional = set(), set()
            for base in cls.__bases__:
                required |= getattr(base, "__required_keys__", set())
                optional |= getattr(base, "__optional_keys__", set())
            (required if total else optional).update(own_annotations(cls))
            cls.__required_keys__ = frozenset(required)
            cls.__optional_keys__ = frozenset(optional)
            cls.__total__ = total
