"""The typed boundary between the Python face and the core: the operation names the core
runs (``tela_sdk._native.OPERATIONS``, built from its per-API tables) and the ``Operation``
literal mypy checks the face against are the same list, and a name the client's API does
not run is a clear ``InvalidRequestError`` before anything is sent.

How a new endpoint is added (each step is checked by the suite or by ``make lint``):

1. core: an entry in the API's table, ``crates/tela-core/src/{tela,dify}/ops.rs`` (name,
   answer shape, whether it takes files, the function that runs it), and that function
   beside its siblings in the API's folder, with its unit tests;
2. ``python/tela_sdk/_operations.py``: the name in ``Operation`` (this file fails until it is),
   and the Python resource method in ``_tela/`` or ``_dify/``, calling
   ``self._call("<name>", ...)`` (mypy rejects a name missing from ``Operation``);
3. its raw face: one ``raw_method(...)`` line in ``_tela/raw.py`` or ``_dify/raw.py``;
4. the stub ``_native.pyi`` only if the native surface changed (stubtest checks it);
5. the emulator route in ``crates/tela-emulator``;
6. a test over real TCP against the emulator (``tests/test_<api>.py``).
"""

from __future__ import annotations

import ast
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest

import tela_sdk
from tela_sdk import Client, DifyClient, InvalidRequestError, _native
from tela_sdk._operations import Operation

from .rawserver import RawConn, RawServer, response

STUB = Path(tela_sdk.__file__).with_name("_native.pyi")


def test_the_literal_and_the_core_list_agree() -> None:
    names = _native.OPERATIONS
    assert isinstance(names, tuple)
    assert len(set(names)) == len(names) == 36
    assert typing.get_args(Operation) == names


def test_the_native_methods_take_an_operation() -> None:
    tree = ast.parse(STUB.read_text())
    native = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "NativeClient")
    methods = {f.name: f for f in native.body if isinstance(f, ast.FunctionDef)}
    for name in ("call", "acall", "stream", "astream"):
        op = methods[name].args.args[1]
        assert op.arg == "op"
        assert op.annotation is not None
        assert ast.unparse(op.annotation) == "Operation", name


def _never_answered(conn: RawConn) -> None:
    # Any request reaching the server fails the test with a status error, never a hang.
    conn.send(response(500, {"content-type": "application/json"}, b"{}"))
    conn.close()


@pytest.fixture
def server() -> Iterator[RawServer]:
    with RawServer(_never_answered) as srv:
        yield srv


def _call(client: Client | DifyClient, op: str, stream: bool = False) -> InvalidRequestError:
    native = client._live()
    with pytest.raises(InvalidRequestError) as info:
        if stream:
            native.stream(op, {})  # type: ignore[arg-type]
        else:
            native.call(op, {})  # type: ignore[call-overload]
    return info.value


def test_an_unknown_operation_is_a_typed_error_before_any_request(server: RawServer) -> None:
    client = Client(api_key="k", base_url=server.url, max_retries=0)
    for stream in (False, True):
        err = _call(client, "completions.craete", stream)
        assert 'unknown operation "completions.craete"' in str(err)
        assert "please report it" in str(err)
        assert "completions.create" in str(err)  # the known names are listed
    assert not server.accepted.is_set()


def test_an_operation_of_the_other_api_names_the_client_to_use(server: RawServer) -> None:
    tela = Client(api_key="k", base_url=server.url, max_retries=0)
    assert "is a Dify call; use tela_sdk.DifyClient" in str(_call(tela, "dify.info"))
    dify = DifyClient(api_key="k", base_url=server.url, max_retries=0)
    assert "is a Tela call; use tela_sdk.Client" in str(_call(dify, "completions.list"))
    assert not server.accepted.is_set()


def test_an_operation_called_in_the_wrong_shape_is_refused(server: RawServer) -> None:
    client = Client(api_key="k", base_url=server.url, max_retries=0)
    assert "only available as a stream" in str(_call(client, "runs.wait"))
    assert "only available as a call" in str(_call(client, "completions.list", stream=True))
    assert not server.accepted.is_set()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": True}, "timeout must be a number of seconds or a tela_sdk.Timeout, got bool"),
        ({"timeout": "5"}, "timeout must be a number of seconds or a tela_sdk.Timeout, got str"),
        ({"timeout": {"read": 1}}, "timeout must be a number of seconds or a tela_sdk.Timeout, got dict"),
        ({"timeout": -1}, "timeout=-1"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 10_000}, "max_retries"),
    ],
)
def test_call_options_are_checked_once_before_any_request(
    server: RawServer, options: dict[str, object], message: str
) -> None:
    client = Client(api_key="k", base_url=server.url, max_retries=0)
    with pytest.raises(InvalidRequestError) as info:
        client.completions.list(**options)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert not server.accepted.is_set()
