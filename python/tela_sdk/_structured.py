"""``parse(Model)``: structured output validated into a user type.

A canvas with a structured Output Format answers with a JSON object (a dict, or the same as a
JSON string); ``parse`` turns it into the type the caller names and says which field is wrong
when it does not fit. Targets: pydantic models (anything with ``model_validate``; pydantic is
imported only by the caller's own model), dataclasses and TypedDicts (checked here, field by
field, without extra dependencies). Imported on the first ``parse`` call, not by
``import tela_sdk``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar, Union

from ._exceptions import ParseError

__all__ = ["parse"]

T = TypeVar("T")

_NONE: Final = type(None)


def parse(content: Any, target: type[T], *, source: str = "content") -> T:
    """``content`` (a JSON object, or its text) as a ``target``; raises ``ParseError``."""
    name = getattr(target, "__name__", repr(target))
    data = _decode(content, name, source)
    validate = getattr(target, "model_validate", None)
    if callable(validate):
        model: T = _pydantic(validate, data, target, name, source)
        return model
    if not isinstance(target, type) or not (dataclasses.is_dataclass(target) or _is_typeddict(target)):
        raise TypeError(f"parse() takes a pydantic model, a dataclass or a TypedDict class, not {target!r}")
    out: T = _convert(data, target, "", name, source)
    return out


def _decode(content: Any, name: str, source: str) -> Any:
    if isinstance(content, (str, bytes, bytearray)):
        try:
            return json.loads(content)
        except ValueError as e:
            raise ParseError(
                f"The {source} is not JSON, so it cannot be parsed as {name} ({e}); "
                "does the canvas have a structured Output Format?",
                field=None,
                target=name,
                content=content,
            ) from None
    return content


def _pydantic(validate: Any, data: Any, target: Any, name: str, source: str) -> Any:
    try:
        return validate(data)
    except Exception as e:  # pydantic.ValidationError, without importing pydantic here
        errors = getattr(e, "errors", None)
        if not callable(errors):
            raise
        details = errors()
        first = details[0] if details else {}
        field = ".".join(str(part) for part in first.get("loc", ())) or None
        reason = first.get("msg", str(e))
        where = f"field {field!r}" if field else "the value"
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        raise ParseError(
            f"The {source} does not match {name}: {where}: {reason}{more}",
            field=field,
            target=name,
            content=data,
        ) from e


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def _fail(path: str, message: str, name: str, source: str, data: Any) -> ParseError:
    where = f"field {path!r}" if path else "the value"
    return ParseError(
        f"The {source} does not match {name}: {where}: {message}", field=path or None, target=name, content=data
    )


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _convert(value: Any, tp: Any, path: str, name: str, source: str) -> Any:
    """``value`` checked against ``tp``, with dataclasses built; raises ParseError at ``path``."""
    if tp is Any or tp is object:
        return value
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _convert(value, typing.get_args(tp)[0], path, name, source)
    if origin in (Union, types.UnionType):
        arms = typing.get_args(tp)
        if value is None and _NONE in arms:
            return None
        last: ParseError | None = None
        for arm in arms:
            if arm is _NONE:
                continue
            try:
                return _convert(value, arm, path, name, source)
            except ParseError as e:
                last = e
        if last is not None and len([a for a in arms if a is not _NONE]) == 1:
            raise last
        raise _fail(path, f"expected {_type_name(tp)}, got {_got(value)}", name, source, value)
    if origin is typing.Literal:
        if value in typing.get_args(tp):
            return value
        raise _fail(path, f"expected one of {list(typing.get_args(tp))!r}, got {value!r}", name, source, value)
    if tp is _NONE or tp is None:
        if value is None:
            return None
        raise _fail(path, f"expected null, got {_got(value)}", name, source, value)
    if origin in (list, Sequence, tuple) or tp in (list, tuple):
        if not isinstance(value, list):
            raise _fail(path, f"expected a list, got {_got(value)}", name, source, value)
        args = typing.get_args(tp)
        item = args[0] if args else Any
        items = [_convert(v, item, _join(path, i), name, source) for i, v in enumerate(value)]
        return tuple(items) if (origin is tuple or tp is tuple) else items
    if origin in (dict, Mapping) or tp is dict:
        if not isinstance(value, dict):
            raise _fail(path, f"expected an object, got {_got(value)}", name, source, value)
        args = typing.get_args(tp)
        item = args[1] if len(args) == 2 else Any
        return {k: _convert(v, item, _join(path, k), name, source) for k, v in value.items()}
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return _dataclass(value, tp, path, name, source)
        if _is_typeddict(tp):
            return _typeddict(value, tp, path, name, source)
        validate = getattr(tp, "model_validate", None)
        if callable(validate):
            return _pydantic(validate, value, tp, name, source)
        return _scalar(value, tp, path, name, source)
    return value  # a type form this checker does not know (a TypeVar, a NewType...): as is


def _scalar(value: Any, tp: type, path: str, name: str, source: str) -> Any:
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, bool):
        raise _fail(path, f"expected int, got {_got(value)}", name, source, value)
    if isinstance(value, tp):
        return value
    raise _fail(path, f"expected {tp.__name__}, got {_got(value)}", name, source, value)


def _hints(tp: type) -> dict[str, Any]:
    return typing.get_type_hints(tp, vars(sys.modules.get(tp.__module__, types.ModuleType("_"))))


def _dataclass(value: Any, tp: type, path: str, name: str, source: str) -> Any:
    if not isinstance(value, dict):
        raise _fail(path, f"expected an object for {tp.__name__}, got {_got(value)}", name, source, value)
    hints = _hints(tp)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(tp):
        if not f.init:
            continue
        if f.name not in value:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise _fail(_join(path, f.name), "missing", name, source, value)
            continue
        kwargs[f.name] = _convert(value[f.name], hints.get(f.name, Any), _join(path, f.name), name, source)
    return tp(**kwargs)


def _typeddict(value: Any, tp: type, path: str, name: str, source: str) -> Any:
    if not isinstance(value, dict):
        raise _fail(path, f"expected an object for {tp.__name__}, got {_got(value)}", name, source, value)
    hints = _hints(tp)
    required: frozenset[str] = getattr(tp, "__required_keys__", frozenset())
    for key in sorted(required):
        if key not in value:
            raise _fail(_join(path, key), "missing", name, source, value)
    out = dict(value)
    for key, hint in hints.items():
        if key in value:
            out[key] = _convert(value[key], hint, _join(path, key), name, source)
    return out


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _got(value: Any) -> str:
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"
