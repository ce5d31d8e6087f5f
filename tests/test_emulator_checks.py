"""The emulator's missing-variable check: a run whose template uses a variable the request
did not send is a 400 ``MISSING_VARIABLES`` naming it (``BadRequestError``), unless the
canvas or the whole emulator allows it; standalone, ``--allow-missing-variables``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from tela_sdk import AsyncClient, BadRequestError, Client
from tela_sdk.testing import Emulator


def test_a_typo_is_a_bad_request_naming_the_variable(emulator: Emulator, client: Client) -> None:
    canvas = emulator.add_canvas(template="Summarize: {{document}}", reply="Summary of {{document}}")
    with pytest.raises(BadRequestError) as caught:
        client.completions.create(canvas_id=canvas.id, variables={"documnet": "Invoice #1042"})
    assert caught.value.code == "MISSING_VARIABLES"
    assert '"document"' in caught.value.message
    assert "emulator" in caught.value.message
    with pytest.raises(BadRequestError, match="MISSING_VARIABLES"):
        client.completions.submit(canvas_id=canvas.id)
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "Invoice #1042"})
    assert out.content == "Summary of Invoice #1042"


async def test_async_and_streams_are_checked(emulator: Emulator, aclient: AsyncClient) -> None:
    canvas = emulator.add_canvas(template="{{a}} {{b}}")
    with pytest.raises(BadRequestError, match=r'"a", "b"'):
        await aclient.completions.create(canvas_id=canvas.id, stream=True)


def test_a_canvas_can_allow_it(emulator: Emulator, client: Client) -> None:
    canvas = emulator.add_canvas(template="Summarize: {{document}}", allow_missing_variables=True)
    assert client.completions.create(canvas_id=canvas.id).content == "Summarize: {{document}}"


def test_the_emulator_can_allow_it() -> None:
    with Emulator(allow_missing_variables=True) as emu, emu.client() as client:
        canvas = emu.add_canvas(template="Summarize: {{document}}")
        assert client.completions.create(canvas_id=canvas.id).content == "Summarize: {{document}}"


def test_the_registration_endpoint_takes_the_field(emulator: Emulator, client: Client) -> None:
    body = json.dumps({"id": "lax", "template": "{{x}}", "allow_missing_variables": True}).encode()
    request = urllib.request.Request(
        f"{emulator.url}/_emulator/canvases", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request) as resp:
        assert json.load(resp)["id"] == "lax"
    assert client.completions.create(canvas_id="lax").content == "{{x}}"


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "tela_sdk", "emulator", "--allow-missing-variables"],
        ["-m", "tela_sdk.testing", "serve", "--demo", "--allow-missing-variables"],
    ],
)
def test_standalone_flag(command: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELA_", "DIFY_"))}
    proc = subprocess.Popen(
        [sys.executable, *command], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        with Client(base_url=url, api_key="test-key", trust_env=False) as client:
            assert client.completions.create(canvas_id="demo").content == "Summary of: {{document}}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
