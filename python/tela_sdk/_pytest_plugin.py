"""The pytest plugin of tela-sdk (registered by the package: entry point ``pytest11``).

The ``tela_cassette`` fixture records or replays every request the SDK sends during the test
in ``cassettes/<test module>/<test name>.yaml`` beside the test file::

    def test_summary(tela_cassette):
        client = Client()
        assert client.completions.create(canvas_id="...", variables={...}).content

``--tela-record-mode`` (``once``, ``record``, ``replay``, ``none``; default ``once``) picks
the mode for the whole run; ``@pytest.mark.tela_cassette(path=..., **options)`` sets a
test's file or any option of ``tela_sdk.testing.cassette``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .testing import Cassette

_MODES = ("once", "record", "replay", "none")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tela-sdk")
    group.addoption(
        "--tela-record-mode",
        action="store",
        choices=_MODES,
        default=None,
        help="tela_cassette fixture: once (default: replay when the cassette exists, else record), "
        "record (send and overwrite), replay (send nothing), none (neither).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "tela_cassette(path=None, **options): the tela_cassette fixture's file and tela_sdk.testing.cassette options",
    )


@pytest.fixture
def tela_cassette(request: pytest.FixtureRequest) -> Iterator[Cassette]:
    """Records or replays the SDK's requests during the test (``tela_sdk.testing.cassette``)."""
    from .testing import cassette

    marker = request.node.get_closest_marker("tela_cassette")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    test_file = Path(str(request.node.path))
    path = options.pop("path", None)
    if path is None:
        name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
        path = test_file.parent / "cassettes" / test_file.stem / f"{name}.yaml"
    elif not Path(path).is_absolute():
        path = test_file.parent / path
    mode = request.config.getoption("--tela-record-mode") or options.pop("mode", "once")
    options.pop("mode", None)
    with cassette(path, mode, **options) as c:
        yield c
