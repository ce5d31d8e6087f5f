"""Shared hypothesis settings for the fuzz tests: bounded and reproducible by default.

``make test`` runs the ``tela-ci`` profile: derandomized (the same examples every run, so
a failure in CI reproduces locally) with no example database. For a longer, random hunt:
``TELA_FUZZ_PROFILE=tela-deep TELA_FUZZ_SCALE=20 .venv/bin/python -m pytest tests/test_fuzz_*.py``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["examples"]

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

settings.register_profile(
    "tela-ci", derandomize=True, database=None, deadline=None, print_blob=True, suppress_health_check=_QUIET
)
settings.register_profile("tela-deep", derandomize=False, database=None, deadline=None, suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("TELA_FUZZ_PROFILE", "tela-ci"))


def examples(n: int) -> int:
    """``n`` examples, times ``TELA_FUZZ_SCALE`` (default 1)."""
    return n * int(os.environ.get("TELA_FUZZ_SCALE", "1"))
