"""One text for the sync and async twin of a method: ``help()`` on an async method shows the
whole parameter list of its sync twin under its own first line, so the two never drift.

And real keyword parameters for editors: a method typed ``**params: Unpack[RunParams]`` shows
only ``**params`` to ``inspect.signature`` (so ``help()``, Jupyter and jedi offer nothing to
complete). Each such method gets a ``__wrapped__`` whose ``__signature__`` lists the keys of
its TypedDicts as keyword parameters, built on first use: ``inspect`` is never imported here
unless the caller already uses it."""

from __future__ import annotations

from ._typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

__all__ = ["share", "signatures"]

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
    signatures(async_cls)
    signatures(sync_cls)


_CO_VARKEYWORDS = 0x08


def signatures(cls: type) -> None:
    """Gives each public method (and the constructor) of ``cls`` that takes ``**kwargs:
    Unpack[...]`` a lazily built signature with the TypedDict's keys as keyword parameters
    (see the module docstring)."""
    for name, method in list(vars(cls).items()):
        code = getattr(method, "__code__", None)
        if (name.startswith("_") and name != "__init__") or code is None or not code.co_flags & _CO_VARKEYWORDS:
            continue
        if "__wrapped__" not in vars(method):
            method.__wrapped__ = _Signature(method)


class _Signature:
    """What ``inspect.unwrap`` finds behind a method: an object whose ``__signature__`` is the
    method's own parameters with ``**kwargs: Unpack[TD]`` spelt out as ``TD``'s keys."""

    __slots__ = ("_method", "_signature")

    def __init__(self, method: Any) -> None:
        self._method = method
        self._signature: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._method(*args, **kwargs)

    @property
    def __wrapped__(self) -> Any:
        """For ``inspect.getsource`` (IPython's ``??``), which unwraps to the end: a copy of
        the method without ``__wrapped__``, the same code, so the same source lines."""
        import types

        m = self._method
        return types.FunctionType(m.__code__, m.__globals__, m.__name__, m.__defaults__, m.__closure__)

    @property
    def __signature__(self) -> Any:
        if self._signature is None:
            self._signature = _expanded(self._method)
        return self._signature

    def __repr__(self) -> str:
        return f"<signature of {self._method.__qualname__}>"


def _expanded(method: Any) -> Any:
    import inspect  # the caller (help, Jupyter, jedi) already imported it

    sig = inspect.signature(method, follow_wrapped=False)
    params = []
    extra: list[Any] = []
    for p in sig.parameters.values():
        if p.kind is not p.VAR_KEYWORD:
            params.append(p)
            continue
        typed = _typed_dict(method, p.annotation)
        if typed is None:
            extra.append(p)  # not an Unpack: left as it is
            continue
        taken = {q.name for q in params}
        required = set(getattr(typed, "__required_keys__", ()))
        for key, annotation in _keys(typed).items():
            if key not in taken:
                # None is "not given" for every key (split_params and the binding drop it).
                default = p.empty if key in required else None
                params.append(inspect.Parameter(key, p.KEYWORD_ONLY, default=default, annotation=annotation))
    return sig.replace(parameters=params + extra)


def _typed_dict(method: Any, annotation: Any) -> Any:
    """The TypedDict of an ``Unpack[Name]`` annotation, looked up where the method was written
    (or in any loaded tela_sdk module, for a name imported only for type checkers)."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    if not (text.startswith("Unpack[") and text.endswith("]")):
        return None
    name = text[len("Unpack[") : -1].split(".")[-1]
    found = method.__globals__.get(name)
    if found is None:
        import sys

        for module_name, module in list(sys.modules.items()):
            if module_name.startswith("tela_sdk") and isinstance(getattr(module, name, None), type):
                found = getattr(module, name)
                break
    return found if isinstance(found, type) and issubclass(found, dict) else None


def _keys(typed: type) -> dict[str, Any]:
    """The keys of a TypedDict with their (string) annotations: its own first, then its bases'."""
    from ._typing_lite import own_annotations

    allowed = set(getattr(typed, "__required_keys__", ())) | set(getattr(typed, "__optional_keys__", ()))
    out: dict[str, Any] = {}
    for klass in typed.__mro__:
        for key, annotation in own_annotations(klass).items():
            if key in allowed and key not in out:
                out[key] = annotation
    # typing's TypedDicts keep only themselves in __mro__ (their bases' keys are in their own
    # __annotations__); anything still missing is listed without an annotation.
    for key in sorted(allowed - set(out)):
        out[key] = "Any"
    return out
