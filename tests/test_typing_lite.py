"""What the run-time stand-ins of ``tela_sdk._typing_lite`` keep of typing (the modules on the
``import tela_sdk`` path use them instead of importing typing): generic classes subscript,
TypedDicts keep their key sets, overloads leave the implementation, aliases are real."""

from __future__ import annotations

import inspect
import typing
from typing import Any, Optional

import pydantic
import pytest

import tela_sdk
from tela_sdk import types
from tela_sdk._base import RequestOptions
from tela_sdk._models import Field, Model
from tela_sdk._tela.completions import Completions, RunParams, SubmitParams


@pytest.mark.parametrize(
    ("generic", "arg"),
    [
        (tela_sdk.Stream, tela_sdk.CompletionChunk),
        (tela_sdk.AsyncStream, tela_sdk.CompletionChunk),
        (tela_sdk.RawResponse, tela_sdk.Completion),
        (Field, int),
    ],
)
def test_generic_classes_subscript_as_typing_expects(generic: Any, arg: Any) -> None:
    alias = generic[arg]
    assert typing.get_origin(alias) is generic
    assert typing.get_args(alias) == (arg,)


def test_a_stream_annotation_evaluates_where_frameworks_read_it() -> None:
    def handler() -> tela_sdk.Stream[tela_sdk.CompletionChunk]:
        raise NotImplementedError

    hints = typing.get_type_hints(handler, globalns={"tela_sdk": tela_sdk})
    assert typing.get_args(hints["return"]) == (tela_sdk.CompletionChunk,)


def test_run_status_is_a_literal_at_run_time() -> None:
    assert typing.get_origin(types.RunStatus) is typing.Literal
    assert typing.get_args(types.RunStatus) == ("created", "running", "succeeded", "failed")

    class Row(pydantic.BaseModel):
        status: types.RunStatus

    assert Row(status="running").status == "running"
    with pytest.raises(pydantic.ValidationError):
        Row(status="paused")  # type: ignore[arg-type]
    with pytest.raises(AttributeError, match="has no attribute 'RunStatuses'"):
        types.RunStatuses  # type: ignore[attr-defined]  # noqa: B018


def test_typed_dicts_keep_their_key_sets() -> None:
    assert RequestOptions.__optional_keys__ == {"extra_headers", "extra_query", "extra_body", "timeout", "max_retries"}
    assert RunParams.__optional_keys__ >= {"canvas_id", "variables", "messages", "timeout", "max_retries"}
    assert SubmitParams.__optional_keys__ == RunParams.__optional_keys__ | {"webhook_url"}
    assert RunParams.__required_keys__ == frozenset()
    assert RequestOptions(timeout=5) == {"timeout": 5}


def test_overloads_leave_the_implementation() -> None:
    params = inspect.signature(Completions.create, follow_wrapped=False).parameters
    assert list(params) == ["self", "stream", "params"]
    assert params["stream"].default is False


class _Inner(Model):
    n: Field[int]


class _Outer(Model):
    maybe: Field[Optional[_Inner]]  # noqa: UP045 - the typing.Union spelling is the point
    either: Field[_Inner | None]
    many: Field[list[_Inner]]
    anything: Field[Any]


def test_model_fields_convert_in_either_union_spelling() -> None:
    out = _Outer({"maybe": {"n": 1}, "either": {"n": 2}, "many": [{"n": 3}], "anything": {"n": 4}})
    assert isinstance(out.maybe, _Inner)
    assert out.maybe.n == 1
    assert isinstance(out.either, _Inner)
    assert out.either.n == 2
    assert [i.n for i in out.many] == [3]
    assert out.anything == {"n": 4}  # Any: the JSON as is
