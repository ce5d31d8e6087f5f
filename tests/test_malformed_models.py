"""Found by tests/test_fuzz_webhooks.py: results whose fields have the wrong JSON type must
still have a repr (a repr that raises hides the real problem in logs and debuggers)."""

from __future__ import annotations

import pytest

from tela_sdk import Completion, Run, WebhookError, webhooks


def test_run_with_non_object_output_content_has_a_repr() -> None:
    run = webhooks.parse({"id": "r1", "status": "succeeded", "output_content": 5})
    assert isinstance(run, Run)
    assert "r1" in repr(run)


def test_completion_with_non_list_choices_has_a_repr() -> None:
    completion = Completion({"id": "c1", "object": "chat.completion", "choices": 5})
    assert "c1" in repr(completion)


def test_webhook_with_non_list_choices_is_refused() -> None:
    with pytest.raises(WebhookError, match="choices must be a list"):
        webhooks.parse({"object": "chat.completion", "choices": 5})
