"""Fixtures: a real emulator on 127.0.0.1 per test, and clients pointed at it.

The suite runs in parallel (pytest-xdist, ``--dist loadgroup``: see the Makefile's test-python).
Every test makes its own emulator on a free port, its own ``tmp_path`` and its own environment
(``monkeypatch``, or a copy for a subprocess), so tests can run in any worker. The exceptions
are grouped by ``pytest_collection_modifyitems`` below.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

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
def env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator, named by ``TELA_BASE_URL`` and ``TELA_API_KEY`` (for the CLI tests)."""
    monkeypatch.setenv("TELA_BASE_URL", emulator.url)
    monkeypatch.setenv("TELA_API_KEY", emulator.api_key)
    return emulator


@pytest.fixture
def canvas(emulator: Emulator) -> Canvas:
    # Many tests run it without variables (they look at the wire, retries, errors), so it
    # opts out of the emulator's missing-variable check; test_emulator_checks.py covers it.
    return emulator.add_canvas(
        template="Summarize: {{document}}", reply="Summary of {{document}}", allow_missing_variables=True
    )


# Modules whose module-scoped fixture is worth making once (one mypy run over every snippet, a
# 24 MiB file, one raw server under a Hypothesis run): all their tests go to one worker.
_ONE_WORKER_MODULES = {"test_typing.py", "test_upload_progress.py", "test_fuzz_sse.py"}
# Worker-process clusters (Dask, Ray) each start several interpreters: one at a time, so two of
# them never compete for a loaded machine's cores and memory with each other.
_CLUSTERS = {"test_dask_batch", "test_ray_batch", "test_notebook_runs"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = Path(str(item.fspath)).name
        if module in _ONE_WORKER_MODULES:
            item.add_marker(pytest.mark.xdist_group(module.removesuffix(".py")))
        elif isinstance(item, pytest.Function) and item.originalname in _CLUSTERS:
            item.add_marker(pytest.mark.xdist_group("clusters"))
