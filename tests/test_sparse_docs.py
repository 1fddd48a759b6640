"""Every ```python block of docs/sparse.md runs, in order, in one namespace."""
import os
from pathlib import Path

import pytest

from test_readme import python_blocks

pytest.importorskip("scipy")

DOC = Path(__file__).resolve().parent.parent / "docs" / "sparse.md"


def test_the_sparse_guide_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    namespace = {"__name__": "__sparse_guide__"}
    for line, code in blocks:
        exec(compile(code, f"docs/sparse.md (block at line {line})", "exec"), namespace)
