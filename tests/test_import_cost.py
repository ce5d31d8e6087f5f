"""`import tela_sdk` stays cheap: heavy standard-library modules load only when a call needs
them. Each check runs in a fresh interpreter, so nothing imported by the test run leaks in."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tela_sdk.testing import Canvas, Emulator

HEAVY = ("json", "tempfile", "inspect", "shutil", "urllib", "urllib.parse", "pathlib", "base64", "decimal")


def _loaded_after(code: str, modules: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after running ``code``."""
    probe = f"import sys\n{code}\nprint(sorted(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    loaded: list[str] = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    return loaded


def test_import_tela_sdk_loads_no_heavy_stdlib_module() -> None:
    assert _loaded_after("import tela_sdk") == []


#: What `typing` brings with it, and the other modules the package's run time path avoids: about
#: half of the import time they would cost (benchmarks/README.md, import section).
TYPING_AND_CO = (
    "typing",
    "re",
    "enum",
    "collections",
    "functools",
    "contextlib",
    "threading",
    "weakref",
    "warnings",
)


def test_import_tela_sdk_never_imports_opentelemetry() -> None:
    """OpenTelemetry costs about 19 ms to import: the SDK looks for it only in ``sys.modules``,
    so it is loaded when the program loaded it, never by ``import tela_sdk``."""
    assert _loaded_after("import tela_sdk", ("opentelemetry", "opentelemetry.trace", "tela_sdk.observability")) == []


def test_import_tela_sdk_loads_no_typing_machinery() -> None:
    assert _loaded_after("import tela_sdk", TYPING_AND_CO) == []


def test_a_first_call_and_its_fields_still_load_no_typing(emulator: Emulator, canvas: Canvas) -> None:
    """Field conversion (lists of models, ``X | None``) is read without typing too: a CLI or a
    serverless function that makes one call does not pay for it after the import either."""
    code = (
        "import tela_sdk\n"
        f"with tela_sdk.Client(base_url={emulator.url!r}, api_key='test-key') as client:\n"
        f"    out = client.completions.create(canvas_id={canvas.id!r}, variables={{'document': 'x'}})\n"
        "    assert out.choices[0].message.content == 'Summary of x', out\n"
        "    assert isinstance(out.choices[0], tela_sdk.types.Choice), out.choices\n"
        "    assert out.usage is None or isinstance(out.usage, tela_sdk.types.Usage), out.usage\n"
    )
    assert _loaded_after(code, ("typing", "re", "enum")) == []


def test_public_submodules_import_without_heavy_modules() -> None:
    assert _loaded_after("import tela_sdk.types, tela_sdk.dify_types, tela_sdk.webhooks") == []


def test_lazy_imports_still_work_when_needed() -> None:
    code = (
        "import tela_sdk, tela_sdk.webhooks as w\n"
        'assert w.parse(b\'{"id": "r1", "status": "succeeded"}\').id == \'r1\'\n'
        "import io; f = tela_sdk.File(io.BytesIO(b'hello'), name='a.txt')\n"
        "assert f.to_data_url() == 'data:text/plain;base64,aGVsbG8='\n"
    )
    assert "json" in _loaded_after(code)


def _modules_after(code: str, prefix: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(sorted(m for m in sys.modules if m.startswith({prefix!r})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    found: list[str] = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    return found


def test_dify_batch_and_webhooks_load_on_first_use() -> None:
    loaded = _modules_after("import tela_sdk", "tela_sdk.")
    assert not [m for m in loaded if m.startswith(("tela_sdk._dify", "tela_sdk._batch", "tela_sdk.webhooks"))], loaded
    after_use = _modules_after(
        "import tela_sdk\n"
        "assert tela_sdk.DifyClient.__name__ == 'DifyClient'\n"
        "assert tela_sdk.BatchResult.__name__ == 'BatchResult'\n"
        "assert callable(tela_sdk.webhooks.parse)\n"
        "from tela_sdk import AsyncDifyStream, DifyFinal  # from-import goes through the same hook\n"
        "assert set(tela_sdk.__all__) <= set(dir(tela_sdk))\n",
        "tela_sdk.",
    )
    assert {"tela_sdk._dify.client", "tela_sdk._batch", "tela_sdk.webhooks"} <= set(after_use)


def test_unknown_attribute_is_still_an_attribute_error() -> None:
    import tela_sdk

    with pytest.raises(AttributeError, match="no attribute 'Dify'"):
        tela_sdk.Dify  # noqa: B018
