"""Fixtures: a real emulator on 127.0.0.1 per test, and clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tela_sdk import AsyncClient, Client
from tela_sdk.testing import Canvas, Emulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "lax: the `emulator` fixture is not strict (the test checks fields the docs do not show)"
    )


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    # Strict: only the fields the public docs show, so the SDK never relies on another one.
    # Tests of the extra fields (usage, model, finish_reason...) are marked `lax`.
    with Emulator(strict=request.node.get_closest_marker("lax") is None) as emu:
        yield emu


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    # Short backoff-free retries keep fault tests quick; tests that need retries pass max_retries.
    with emulator.client(max_retries=0) as c:
        yield c


@pytest.fixture
async def aclient(emulator: Emulator) -> AsyncIterator[AsyncClient]:
    async with emulator.async_client(max_retries=0) as c:
        yield c


@pytest.fixture
def canvas(emulator: Emulator) -> Canvas:
    # Many tests run it without variables (they look at the wire, retries, errors), so it
    # opts out of the emulator's missing-variable check; test_emulator_checks.py covers it.
    return emulator.add_canvas(
        template="Summarize: {{document}}", reply="Summary of {{document}}", allow_missing_variables=True
    )
