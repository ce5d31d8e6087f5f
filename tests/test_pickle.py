"""Clients pickle as configuration (never a pool), so they cross into multiprocessing spawn,
Dask and Ray workers; what came from the environment is read in the worker's environment."""

from __future__ import annotations

import multiprocessing
import pickle
from typing import Any

import pytest

from tela_sdk import AsyncClient, AsyncDifyClient, Client, ConfigurationError, DifyClient, Timeout
from tela_sdk.testing import Canvas, Emulator


def test_explicit_settings_travel_and_the_copy_works(emulator: Emulator, canvas: Canvas) -> None:
    client = emulator.client(max_retries=3, timeout=Timeout(connect=2, read=30), default_headers={"x-team": "a"})
    copy = pickle.loads(pickle.dumps(client))
    assert type(copy) is Client
    assert copy is not client
    assert (copy.base_url, copy.max_retries, copy.timeout) == (client.base_url, 3, client.timeout)
    assert not copy._native.shares_pool_with(client._native)
    out = copy.completions.create(canvas_id=canvas.id, variables={"document": "x"})
    assert out.content == "Summary of x"
    assert emulator.requests[-1].headers["x-team"] == "a"


def test_with_options_travels(emulator: Emulator) -> None:
    client = emulator.client().with_options(max_retries=5, timeout=7)
    copy = pickle.loads(pickle.dumps(client))
    assert copy.max_retries == 5
    assert copy.timeout == client.timeout


def test_a_key_from_the_environment_does_not_travel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELA_API_KEY", "sk-env-0123456789")
    data = pickle.dumps(Client(base_url="http://127.0.0.1:1"))
    assert b"sk-env-0123456789" not in data
    monkeypatch.delenv("TELA_API_KEY")
    with pytest.raises(ConfigurationError, match="TELA_API_KEY"):
        pickle.loads(data)


def test_every_client_pickles(emulator: Emulator) -> None:
    app = emulator.add_dify_app(template="Echo: {{text}}")
    for client in (
        emulator.async_client(),
        DifyClient(api_key=app.api_key, base_url=emulator.dify_url),
        AsyncDifyClient(api_key=app.api_key, base_url=emulator.dify_url),
    ):
        copy: Any = pickle.loads(pickle.dumps(client))
        assert type(copy) is type(client)
        assert copy.base_url == client.base_url
    assert isinstance(pickle.loads(pickle.dumps(emulator.async_client())), AsyncClient)


def _summarize(job: tuple[Client, str, str]) -> Any:
    client, canvas_id, document = job
    return client.completions.create(canvas_id=canvas_id, variables={"document": document}).content


def test_multiprocessing_spawn_workers_use_a_pickled_client(emulator: Emulator, canvas: Canvas) -> None:
    client = emulator.client()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        out = pool.map(_summarize, [(client, canvas.id, f"doc {i}") for i in range(4)], chunksize=1)
    assert out == [f"Summary of doc {i}" for i in range(4)]
