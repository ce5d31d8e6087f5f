"""Found by tests/test_fuzz_webhooks.py: results whose fields have the wrong JSON type must
still have a repr (a repr that raises hides the real problem in logs and debuggers)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tela_sdk import APIResponseValidationError, Client, Completion, Run, WebhookError, webhooks

from .rawserver import RawConn, RawServer, response


def test_run_with_non_object_output_content_has_a_repr() -> None:
    run = Run({"id": "r1", "status": "succeeded", "output_content": 5})
    assert "r1" in repr(run)


def test_completion_with_non_list_choices_has_a_repr() -> None:
    completion = Completion({"id": "c1", "object": "chat.completion", "choices": 5})
    assert "c1" in repr(completion)


def test_webhook_with_non_list_choices_is_refused() -> None:
    with pytest.raises(WebhookError, match="choices must be a list"):
        webhooks.parse({"object": "chat.completion", "choices": 5})


_BAD_RUNS = [
    ({"output_content": "just text"}, "output_content"),
    ({"output_content": [1, 2]}, "output_content"),
    ({"output_content": {"content": "x", "information": "cheap"}}, "output_content.information"),
    ({"input_content": 5}, "input_content"),
]


@pytest.mark.parametrize(("fields", "names"), _BAD_RUNS)
def test_a_webhook_run_of_the_wrong_shape_is_refused_at_once(fields: dict[str, Any], names: str) -> None:
    body = json.dumps({"id": "r1", "status": "succeeded", **fields}).encode()
    with pytest.raises(WebhookError, match=f"{re.escape(names)} must be a JSON object"):
        webhooks.parse(body, {"x-completion-run-id": "r1"})


@pytest.mark.parametrize(("fields", "names"), _BAD_RUNS)
def test_a_retrieved_run_of_the_wrong_shape_is_refused_at_once(fields: dict[str, Any], names: str) -> None:
    body = json.dumps({"id": "r1", "status": "succeeded", **fields}).encode()

    def handler(conn: RawConn) -> None:
        # GET /v1/completion-run answers a page (here a bare list) of such runs.
        page = conn.request.path.startswith("/v1/completion-run")
        conn.send(
            response(
                200, {"content-type": "application/json", "connection": "close"}, b"[" + body + b"]" if page else body
            )
        )

    with RawServer(handler) as srv, Client(api_key="k", base_url=srv.url, max_retries=0) as client:
        with pytest.raises(APIResponseValidationError, match=f"{re.escape(names)} to be a JSON object"):
            client.completions.retrieve("r1")
        with pytest.raises(APIResponseValidationError, match=f"{re.escape(names)} to be a JSON object"):
            client.completions.list()


def test_a_well_shaped_run_still_reads() -> None:
    run = webhooks.parse({"id": "r1", "status": "succeeded", "output_content": {"content": {"a": 1}}})
    assert isinstance(run, Run)
    assert run.result() == {"a": 1}
