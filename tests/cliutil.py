"""Runs the ``tela-sdk`` command in-process, for the CLI tests."""

from __future__ import annotations

import io

from tela_sdk._cli import main


def cli(*argv: str) -> tuple[int, str]:
    """The exit code and what the command printed."""
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()
