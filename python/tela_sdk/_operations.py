"""The names of the core's operations, as a type.

The list itself lives in the core (``crates/tela-core/src/{tela,dify}/ops.rs``) and is exported
as ``tela_sdk._native.OPERATIONS``; this ``Literal`` lets mypy catch a misspelt name where the
Python face calls the native client. tests/test_native_ops.py checks that the two agree.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Operation"]

Operation = Literal[
    "completions.create",
    "completions.submit",
    "completions.retrieve",
    "completions.list",
    "runs.wait",
    "tasks.get",
    "tasks.wait",
    "canvases.get",
    "canvases.list",
    "canvases.promoted_version",
    "canvases.latest_version",
    "canvases.version",
    "canvases.history",
    "environments.version",
    "environments.publish",
    "tasks.create",
    "tasks.list",
    "tasks.query",
    "tasks.update",
    "files.upload",
    "files.retrieve",
    "dify.completion_messages.create",
    "dify.chat_messages.create",
    "dify.completion_messages.stop",
    "dify.chat_messages.stop",
    "dify.files.upload",
    "dify.messages.feedback",
    "dify.parameters",
    "dify.meta",
    "dify.info",
    "dify.site",
    "dify.files.preview",
    "dify.conversations.list",
    "dify.conversations.rename",
    "dify.conversations.delete",
    "dify.messages.list",
]
