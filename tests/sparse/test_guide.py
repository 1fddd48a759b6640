"""Every ```python block of docs/sparse.md runs, in order, in one namespace."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("readme_blocks",
                                               ROOT / "tests" / "project" / "test_readme.py")
_readme = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_readme)
python_blocks = _readme.python_blocks        # the README test's own block extraction

pytest.importorskip("scipy")

DOC = ROOT / "docs" / "sparse.md"


def test_the_sparse_guide_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    namespace = {"__name__": "__sparse_guide__"}
    for line, code in blocks:
        exec(compile(code, f"docs/sparse.md (block at line {line})", "exec"), namespace)
