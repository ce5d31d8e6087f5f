"""No module circles in the core, the emulator or the binding: `crate::` imports point one way.

A circle (a uses b, b uses a) means neither can be read, moved or tested alone. Issue 23 broke
the last ones: client <-> tela/files, data_url <-> source, the emulator's tela/ four-file
circle, api <-> the op tables, and the binding's errors <-> convert and outcome <-> stream.
Parent and child modules (`mod.rs` and its files) may refer to each other; `#[cfg(test)]`
code is not counted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def module_of(src: Path, file: Path) -> str:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return "::".join(parts)


def crate_paths(text: str) -> list[str]:
    """Every `crate::a::b` path, with `use crate::{a::b, c}` groups (one level) expanded."""
    paths = re.findall(r"crate::((?:\w+::)*\w+)", text)
    for group in re.findall(r"crate::\{([^;]*)\}", text, flags=re.S):
        paths += re.findall(r"(?<![\w:])(\w+(?:::\w+)*)", group)
    return paths


def graph(src: Path) -> dict[str, set[str]]:
    modules = {module_of(src, f): f for f in src.rglob("*.rs")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for m, f in modules.items():
        code = f.read_text().split("#[cfg(test)]")[0]
        for path in crate_paths(code):
            segs = path.split("::")
            for i in range(len(segs), 0, -1):
                target = "::".join(segs[:i])
                if target in modules:
                    related = target == m or m.startswith(target + "::") or target.startswith(m + "::")
                    if target and m and not related:
                        edges[m].add(target)
                    break
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return out


@pytest.mark.parametrize("crate", ["crates/tela-core/src", "crates/tela-emulator/src", "src"])
def test_no_module_circles(crate: str) -> None:
    assert circles(graph(ROOT / crate)) == []


def test_the_check_sees_a_circle(tmp_path: Path) -> None:
    (tmp_path / "lib.rs").write_text("pub mod a;\npub mod b;\n")
    (tmp_path / "a.rs").write_text("use crate::b::B;\npub struct A;\n")
    (tmp_path / "b.rs").write_text("use crate::{a::A, lib};\npub struct B;\n")
    assert circles(graph(tmp_path)) == [["a", "b"]]
