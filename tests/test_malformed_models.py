"""Found by tests/test_fuzz_webhooks.py: a webhook body whose fields have the wrong JSON type
parses into a Run or Completion whose repr raises. A property of a model that raises
AttributeError falls back to ``Model.__getattr__``, which reports a missing field instead.

These fail until the models tolerate malformed fields (the fix belongs in types.py/_models.py)."""

from __future__ import annotations

from tela_sdk import Completion, Run, webhooks


def test_run_with_non_object_output_content_has_a_repr() -> None:
    run = webhooks.parse({"id": "r1", "status": "succeeded", "output_content": 5})
    assert isinstance(run, Run)
    assert "r1" in repr(run)  # AttributeError: Run has no field 'content'


def test_legacy_completion_with_non_list_choices_has_a_repr() -> None:
    completion = webhooks.parse({"object": "chat.completion", "choices": 5})
    assert isinstance(completion, Completion)
    assert "Completion" in repr(completion)  # TypeError: 'int' object is not subscriptable
