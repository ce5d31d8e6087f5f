"""``tela_sdk.testing.client_or_emulator()`` and its twins: the real API when its key is set,
else an embedded emulator with the demo canvas, closed with the client."""

from __future__ import annotations

import pytest

from tela_sdk import AsyncClient, AsyncDifyClient, Client, DifyClient, TelaError
from tela_sdk.testing import (
    EmulatorClient,
    async_client_or_emulator,
    async_dify_client_or_emulator,
    client_or_emulator,
    dify_client_or_emulator,
)


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELA_API_KEY", "TELA_BASE_URL", "DIFY_API_KEY", "DIFY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_without_a_key_an_emulator_with_the_demo_canvas() -> None:
    with client_or_emulator(canvases=[{"id": "haiku", "template": "A haiku about {{topic}}"}]) as client:
        assert isinstance(client, EmulatorClient)
        emulator = client.emulator
        assert emulator is not None
        out = client.completions.create(canvas_id="demo", variables={"document": "Invoice #1042"})
        assert out.content == "Summary of: Invoice #1042"
        assert client.completions.create(canvas_id="haiku", variables={"topic": "rain"}).content == (
            "A haiku about rain"
        )
        copy = client.with_options(max_retries=0)
        copy.close()  # a copy does not own the emulator
        assert client.completions.create(canvas_id="demo", variables={"document": "x"}).content
    assert client.emulator is None
    other = Client(base_url=emulator.url, api_key="test-key", trust_env=False, max_retries=0)
    with other, pytest.raises(TelaError):  # the emulator is gone: connection refused
        other.completions.create(canvas_id="demo", variables={"document": "x"})


def test_with_a_key_the_real_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELA_API_KEY", "sk-real")
    with client_or_emulator(base_url="https://tela.example") as client:
        assert type(client) is Client
        assert client.base_url == "https://tela.example"
    monkeypatch.setenv("DIFY_API_KEY", "app-real")
    with dify_client_or_emulator() as dify:
        assert type(dify) is DifyClient


async def test_async_twin() -> None:
    async with async_client_or_emulator() as client:
        assert isinstance(client, AsyncClient)
        out = await client.completions.create(canvas_id="demo", variables={"document": "a"})
        assert out.content == "Summary of: a"


def test_dify_twins() -> None:
    with dify_client_or_emulator() as dify:
        answer = dify.completion_messages.create(inputs={"text": "ping"}, user="u1")
        assert answer.answer == "Echo: ping"


async def test_async_dify_twin() -> None:
    async with async_dify_client_or_emulator() as dify:
        assert isinstance(dify, AsyncDifyClient)
        answer = await dify.completion_messages.create(inputs={"text": "pong"}, user="u1")
        assert answer.answer == "Echo: pong"


def test_the_fallback_is_said_once_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    from tela_sdk import TelaWarning
    from tela_sdk.testing import _either

    monkeypatch.setattr(_either, "_told", set())
    monkeypatch.setenv("TELA_APIKEY", "sk-secret-value")
    with pytest.warns(TelaWarning, match="TELA_API_KEY is not set") as record:
        client_or_emulator().close()
    (warning,) = record
    assert "TELA_APIKEY is set: did you mean TELA_API_KEY?" in str(warning.message)
    assert "sk-secret-value" not in str(warning.message)
    assert warning.filename == __file__  # points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client_or_emulator().close()  # once per process
    monkeypatch.setenv("DIFY_API_KEY", "")
    with pytest.warns(TelaWarning, match="DIFY_API_KEY is set but empty.*Set DIFY_API_KEY"):
        dify_client_or_emulator().close()
