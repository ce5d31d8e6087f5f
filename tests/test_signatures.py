"""Every public resource method shows its real keyword parameters at run time (``help()``,
``inspect.signature``, Jupyter and jedi), not just ``**params``: the keys of the TypedDicts
that type its ``**params: Unpack[...]``, built on first use."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import tela_sdk
from tela_sdk import _base
from tela_sdk._dify import client as dify_client
from tela_sdk._dify import files as dify_files
from tela_sdk._dify import messages as dify_messages
from tela_sdk._tela import completions, files

#: The raw faces are not listed: their methods are the ordinary ones wrapped (``_raw.raw_wrapper``),
#: checked on bound objects in ``test_bound_methods_list_what_to_complete``.
MODULES = [completions, files, dify_client, dify_files, dify_messages]


def _resource_methods() -> list[Any]:
    out = []
    for module in MODULES:
        for cls in vars(module).values():
            if not (isinstance(cls, type) and cls.__module__ == module.__name__):
                continue
            for name, fn in vars(cls).items():
                code = getattr(fn, "__code__", None)
                if name.startswith("_") or code is None or not code.co_flags & inspect.CO_VARKEYWORDS:
                    continue
                annotation = fn.__annotations__.get(code.co_varnames[code.co_argcount + code.co_kwonlyargcount])
                if isinstance(annotation, str) and annotation.startswith("Unpack["):
                    out.append(pytest.param(fn, id=fn.__qualname__))
    return out


METHODS = _resource_methods()


def test_every_face_is_covered() -> None:
    names = {p.id for p in METHODS}
    for expected in (
        "Completions.create",
        "AsyncCompletions.create",
        "Completions.submit",
        "AsyncCompletions.retrieve",
        "Files.retrieve",
        "AsyncFiles.upload",
        "DifyChatMessages.create",
        "AsyncDifyCompletionMessages.create",
        "DifyClient.info",
    ):
        assert expected in names


@pytest.mark.parametrize("method", METHODS)
def test_unpacked_params_are_keyword_parameters(method: Any) -> None:
    sig = inspect.signature(method)
    kinds = [p.kind for p in sig.parameters.values()]
    assert inspect.Parameter.VAR_KEYWORD not in kinds, f"{method.__qualname__}{sig}"
    for option in _base.OPTION_NAMES:
        assert sig.parameters[option].kind is inspect.Parameter.KEYWORD_ONLY
    assert "self" in sig.parameters
    # The source is still found (IPython's ``??``), and an async method is still a coroutine function.
    assert inspect.getsource(method).lstrip().startswith(("def ", "async def "))


def test_bound_methods_list_what_to_complete() -> None:
    client = tela_sdk.Client(api_key="k", base_url="http://127.0.0.1:9")
    sig = inspect.signature(client.completions.create)
    first = ["stream", "canvas_id", "version_id", "application_id", "environment_name", "variables"]
    assert list(sig.parameters)[:6] == first
    assert sig.parameters["canvas_id"].default is None
    assert str(sig.parameters["variables"].annotation) == "Mapping[str, Any] | None"
    raw_sig = inspect.signature(client.with_raw_response.completions.create)
    assert "canvas_id" in raw_sig.parameters
    assert "webhook_url" in inspect.signature(client.with_raw_response.completions.submit).parameters
    assert "timeout" in inspect.signature(client.files.retrieve).parameters
    aclient = tela_sdk.AsyncClient(api_key="k", base_url="http://127.0.0.1:9")
    assert "variables" in inspect.signature(aclient.completions.submit).parameters
    assert inspect.iscoroutinefunction(aclient.completions.create)
    dify = tela_sdk.DifyClient(api_key="k", base_url="http://127.0.0.1:9")
    chat = inspect.signature(dify.chat_messages.create).parameters
    assert {"query", "user", "conversation_id", "inputs"} <= set(chat)
    raw_chat = inspect.signature(dify.with_raw_response.chat_messages.create).parameters
    assert {"query", "user", "conversation_id", "timeout"} <= set(raw_chat)
    assert "user" in inspect.signature(dify.with_raw_response.parameters).parameters
    araw = aclient.with_raw_response.completions
    assert "variables" in inspect.signature(araw.submit).parameters
    assert inspect.iscoroutinefunction(araw.create)
    assert araw.create.__doc__ == aclient.completions.create.__doc__
    assert "canvas_id" in (client.completions.create.__doc__ or "")


def test_jedi_completes_the_keyword_arguments() -> None:
    jedi = pytest.importorskip("jedi")
    client = tela_sdk.Client(api_key="k", base_url="http://127.0.0.1:9")
    names = {c.name for c in jedi.Interpreter("client.completions.create(", [{"client": client}]).complete()}
    assert {"canvas_id=", "variables=", "stream=", "timeout="} <= names
