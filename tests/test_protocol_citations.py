"""Code comments cite docs/protocol.md by section; a citation must name a section that exists."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITATION = re.compile(r"protocol\.md\s*(?:(?://!|///|//|#)\s*)?((?:§[\d.]+(?:, )?)+)")
HEADING = re.compile(r"^#{2,3} ([\d.]+)[. ]", re.MULTILINE)


def _tracked_sources() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "*.rs", "*.py", "*.pyi"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [ROOT / line for line in out.split()]


def test_every_protocol_citation_names_a_section() -> None:
    sections = {s.rstrip(".") for s in HEADING.findall((ROOT / "docs" / "protocol.md").read_text())}
    cited: list[tuple[str, str]] = []
    for path in _tracked_sources():
        for match in CITATION.finditer(path.read_text(encoding="utf-8")):
            cited += [(str(path.relative_to(ROOT)), s) for s in re.findall(r"§([\d.]+)", match.group(1))]
    assert len(cited) >= 40, "the citation pattern no longer matches the comments"
    missing = [(f, s) for f, s in cited if s.rstrip(".") not in sections]
    assert not missing, f"citations of sections docs/protocol.md lacks: {missing}"
    old = "wire" + ".md"  # the spec outside the repository that comments used to cite
    assert not [str(p) for p in _tracked_sources() if old in p.read_text(encoding="utf-8")]
