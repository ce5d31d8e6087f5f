"""Typed, lazy views over JSON objects.

A model wraps the dict the native core parsed and converts a field only when it is read,
so building one costs nothing and a field the server adds later never breaks anything:
unknown fields stay in ``to_dict()`` and are readable as attributes too.
"""

from __future__ import annotations

import builtins
import sys

from ._typing_lite import TYPE_CHECKING, Generic, TypeVar, overload
from ._typing_lite import own_annotations as _own_annotations

if TYPE_CHECKING:
    from typing import Any, ClassVar, NoReturn

__all__ = ["Field", "Model", "ResponseModel"]

_T_co = TypeVar("_T_co", covariant=True)
_MISSING = object()
_UnionType = type(int | None)


class _Names(dict):  # type: ignore[type-arg]
    """Where a model's annotations are evaluated: the module's names, then the builtins; a
    name only type checkers see (``Any``, an alias) reads as ``object``: "use the JSON as is"."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        super().__init__()
        self.namespace = namespace

    def __missing__(self, name: str) -> Any:
        value = self.namespace.get(name, _MISSING)
        return getattr(builtins, name, object) if value is _MISSING else value


def _is_union(tp: Any) -> bool:
    if isinstance(tp, _UnionType):
        return True
    typing = sys.modules.get("typing")  # typing.Optional[X] only exists if typing was imported
    return typing is not None and getattr(tp, "__origin__", None) is typing.Union


def _converter(tp: Any) -> Any:
    """How to turn raw JSON into the annotated type, or None when it is used as is (read
    without ``typing``, which ``import tela_sdk`` does not load)."""
    origin = getattr(tp, "__origin__", None)
    args: tuple[Any, ...] = getattr(tp, "__args__", ())
    if _is_union(tp):
        inner = [a for a in args if a is not type(None)]
        convs = [_converter(a) for a in inner]
        model_convs = [c for c in convs if c is not None]
        if not model_convs:
            return None
        # Only dicts become models; a str in a `str | Model` union stays a str.
        first = model_convs[0]
        return lambda v: first(v) if isinstance(v, (dict, list)) else v
    if origin is list:
        (item,) = args or (object,)
        conv = _converter(item)
        if conv is None:
            return None
        return lambda v: [conv(x) for x in v] if isinstance(v, list) else v
    if origin is Field:
        (field_type,) = args or (object,)
        return _converter(field_type)
    if isinstance(tp, type) and issubclass(tp, Model):
        return lambda v: tp(v) if isinstance(v, dict) else v
    return None


class Field(Generic[_T_co]):
    """A documented field of a model: ``name: Field[str]`` reads as a ``str``, is read-only
    for type checkers and at run time, and is converted from JSON on first read (then cached).

    A descriptor rather than a plain annotation so that a checker sees exactly the declared
    fields (a typo is an error) and flags writes (``__set__`` takes ``Never``)."""

    __slots__ = ("name",)

    def __init__(self, name: str = "") -> None:
        self.name = name

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None, /) -> Field[_T_co]: ...
    @overload
    def __get__(self, obj: Model, owner: type[Any] | None = None, /) -> _T_co: ...
    def __get__(self, obj: Model | None, owner: type[Any] | None = None, /) -> Any:
        if obj is None:
            return self
        name = self.name
        value = obj._data.get(name)
        if value is None:
            return None
        cls = type(obj)
        conv = (cls.__dict__.get("_converters") or cls._fields()).get(name)
        if conv is None:
            return value
        cache = obj._cache
        if cache is None:
            cache = {}
            object.__setattr__(obj, "_cache", cache)
        elif name in cache:
            return cache[name]
        out = cache[name] = conv(value)
        return out

    def __set__(self, obj: Model, value: NoReturn, /) -> NoReturn:
        raise AttributeError(f"{type(obj).__name__}.{self.name} is read-only; use to_dict() for a mutable copy")

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


class Model:
    """Base of all result types: attribute access, ``to_dict()``, ``to_json()``, a readable repr."""

    __slots__ = ("_cache", "_data")
    _data: dict[str, Any]
    _cache: dict[str, Any] | None
    _converters: ClassVar[dict[str, Any] | None] = None
    _repr_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, data: dict[str, Any]) -> None:
        _set_data(self, data)
        _set_cache(self, None)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._converters = None  # resolved on first attribute read, keeping import cheap
        # A Field per declared field: found by normal lookup, much cheaper than failing
        # over to __getattr__ (which stays for fields the server adds later).
        for name in _own_annotations(cls):
            if not name.startswith("_") and name not in cls.__dict__:
                setattr(cls, name, Field(name))

    @classmethod
    def _fields(cls) -> dict[str, Any]:
        convs = cls.__dict__.get("_converters")
        if convs is None:
            convs = {}
            for klass in reversed(cls.__mro__):
                if not (isinstance(klass, type) and issubclass(klass, Model)) or klass is Model:
                    continue
                namespace = vars(sys.modules[klass.__module__])
                names = _Names(namespace)
                for name, ann in _own_annotations(klass).items():
                    if name.startswith("_"):
                        continue
                    tp = eval(ann, namespace, names) if isinstance(ann, str) else ann
                    convs[name] = _converter(tp)
            cls._converters = convs
        return convs

    if not TYPE_CHECKING:
        # Hidden from type checkers on purpose: undocumented fields stay readable at run time
        # (``out.new_field``), but a checker sees only the declared ones, so a typo is an
        # error. Typed code reads the others with ``get(name)`` or ``to_dict()``.
        def __getattr__(self, name: str) -> Any:
            if name[0] == "_":
                raise AttributeError(name)
            value = self._data.get(name, _MISSING)
            if value is _MISSING:
                raise AttributeError(f"{type(self).__name__} has no field {name!r}")
            return value

        def __setattr__(self, name: str, value: Any) -> None:
            raise AttributeError(f"{type(self).__name__} is read-only; use to_dict() for a mutable copy")

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The raw JSON value of ``key`` (no conversion), else ``default``, like ``dict.get``:
        the typed way to read a field the model does not declare."""
        return self._data.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the JSON object, as the server sent it."""
        import json  # lazy: json is not needed to import tela_sdk

        copy: dict[str, Any] = json.loads(json.dumps(self._data))
        return copy

    def to_json(self, *, indent: int | None = 2) -> str:
        """The JSON object as text, ``indent`` spaces deep (None: one line)."""
        import json

        return json.dumps(self._data, indent=indent, ensure_ascii=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and type(other) is type(self) and other._data == self._data

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        names = self._repr_fields or tuple(k for k in self._data if not isinstance(self._data[k], (dict, list)))
        parts = []
        for name in names:
            value = self._data.get(name, _MISSING)
            if hasattr(type(self), name):
                try:  # noqa: SIM105 - contextlib is not imported by `import tela_sdk`
                    value = getattr(self, name)
                except (AttributeError, TypeError, ValueError):
                    pass  # a field of the wrong JSON type shows raw: a repr never raises
            if value is _MISSING or value is None:
                continue
            text = repr(value)
            if len(text) > 80:
                text = text[:77] + "..."
            parts.append(f"{name}={text}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._data) | set(type(self)._fields()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data,))


# The slots' own setters: building a result is on every call's path, and these are about twice
# as fast as object.__setattr__ by name.
_set_data = Model.__dict__["_data"].__set__
_set_cache = Model.__dict__["_cache"].__set__


class ResponseModel(Model):
    """A result with the ``x-request-id`` of the response that carried it: quote it when
    reporting a problem."""

    __slots__ = ("_request_id",)
    _request_id: str | None

    def __init__(self, data: dict[str, Any], request_id: str | None = None) -> None:
        _set_data(self, data)  # Model.__init__ inlined: every call's result is built here
        _set_cache(self, None)
        _set_request_id(self, request_id)

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` of the response, if the server sent one."""
        request_id: str | None = self._request_id
        return request_id

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data, self._request_id))


_set_request_id = ResponseModel.__dict__["_request_id"].__set__
