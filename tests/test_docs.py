"""What ``help()`` and editors show: every public method documents each of its parameters,
and public names show their public path."""

from __future__ import annotations

import inspect
import pickle
import re
import typing

import pytest

import tela_sdk
from tela_sdk import AsyncClient, AsyncDifyClient, Client, DifyClient
from tela_sdk._base import RequestOptions

# The resources each client exposes, found by building one (no request is sent).
_CLIENTS = [
    Client(api_key="sk-test", base_url="http://127.0.0.1:9"),
    AsyncClient(api_key="sk-test", base_url="http://127.0.0.1:9"),
    DifyClient(api_key="sk-test", base_url="http://127.0.0.1:9"),
    AsyncDifyClient(api_key="sk-test", base_url="http://127.0.0.1:9"),
]
_OPTIONS = frozenset(RequestOptions.__optional_keys__)


def _public_classes() -> list[type]:
    classes = {obj for name in tela_sdk.__all__ if isinstance(obj := getattr(tela_sdk, name), type)}
    for client in _CLIENTS:
        classes |= {type(v) for k, v in vars(client).items() if not k.startswith("_") and hasattr(v, "_client")}
    return sorted((c for c in classes if not issubclass(c, BaseException)), key=lambda c: c.__qualname__)


#: The classes users build themselves: their constructors are documented too (the class
#: docstring counts, as ``help()`` shows both).
_BUILT_BY_USERS = (Client, AsyncClient, DifyClient, AsyncDifyClient, tela_sdk.File, tela_sdk.Timeout)


def _methods() -> list[tuple[str, typing.Any, str]]:
    out: list[tuple[str, typing.Any, str]] = []
    for cls in _public_classes():
        for klass in cls.__mro__:
            if not klass.__module__.startswith("tela_sdk"):
                continue
            for name, member in vars(klass).items():
                if not inspect.isfunction(member) or any(w.startswith(f"{cls.__qualname__}.{name}") for w, *_ in out):
                    continue
                if name == "__init__":
                    if cls not in _BUILT_BY_USERS:
                        continue
                elif name.startswith("_"):
                    continue
                extra = (cls.__doc__ or "") if name == "__init__" else ""
                out.append((f"{cls.__qualname__}.{name}", member, extra))
    return out


def _documented_names(func: typing.Any) -> set[str]:
    """The parameter names a reader needs explained: the named ones, and the keys of an
    ``**params: Unpack[...]`` other than the shared ``RequestOptions``."""
    names = set()
    # The signature as written (not the spelt-out one editors see, tela_sdk._docs.signatures).
    for param in inspect.signature(func, follow_wrapped=False).parameters.values():
        if param.name == "self":
            continue
        if param.kind is param.VAR_KEYWORD:
            unpacked = re.fullmatch(r"Unpack\[(\w+)\]", str(param.annotation))
            params = func.__globals__[unpacked[1]] if unpacked else None
            names |= set(getattr(params, "__optional_keys__", ())) - _OPTIONS
            continue
        if param.kind is param.VAR_POSITIONAL:
            continue
        names.add(param.name)
    return names


@pytest.mark.parametrize(("where", "func", "extra"), _methods(), ids=[w for w, *_ in _methods()])
def test_every_parameter_is_documented(where: str, func: typing.Any, extra: str) -> None:
    doc = (inspect.getdoc(func) or "") + extra
    assert doc, f"{where} has no docstring"
    assert "see README" not in doc
    missing = sorted(n for n in _documented_names(func) if not re.search(rf"``{n}(?!\w)", doc))
    assert not missing, f"{where}'s docstring does not explain {missing}"


@pytest.mark.parametrize("name", [n for n in tela_sdk.__all__ if isinstance(getattr(tela_sdk, n), type)])
def test_public_classes_show_their_public_path(name: str) -> None:
    cls = getattr(tela_sdk, name)
    if issubclass(cls, BaseException):
        assert f"{cls.__module__}.{cls.__qualname__}" == f"tela_sdk.{name}"


def test_an_error_pickles_with_its_public_name_and_fields() -> None:
    err = tela_sdk.NotFoundError("gone", status_code=404, code="NOT_FOUND", body={"a": 1}, request_id="r")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is tela_sdk.NotFoundError
    assert (back.message, back.status_code, back.code, back.body, back.request_id) == (
        "gone",
        404,
        "NOT_FOUND",
        {"a": 1},
        "r",
    )
    assert repr(err).startswith("NotFoundError(")


def test_async_twins_show_the_whole_text() -> None:
    from tela_sdk._tela.completions import AsyncCompletions, Completions

    doc = inspect.getdoc(AsyncCompletions.create) or ""
    assert doc.startswith("Async twin of ``Client.completions.create``")
    assert (inspect.getdoc(Completions.create) or "") in doc
